package org.minimeter.gateway.hal.pi4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.pi4j.io.gpio.digital.DigitalState;
import com.pi4j.plugin.mock.provider.gpio.digital.MockDigitalOutput;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.minimeter.gateway.hal.DigitalLine;

/** Pi4J-backed digital lines: Pi4J's mock provider keeps real state; provider choice; errors. */
class Pi4jDigitalLinesTest {

    @TempDir
    Path tmp;

    private final List<Pi4jDigitalLines> opened = new ArrayList<>();

    @AfterEach
    void shutDownContexts() {
        opened.forEach(Pi4jDigitalLines::close);
    }

    private Pi4jDigitalLines lines(String provider) {
        Pi4jDigitalLines lines = new Pi4jDigitalLines(provider, tmp.resolve("no-model"), tmp.resolve("no-dev"));
        opened.add(lines);
        return lines;
    }

    private Pi4jDigitalLines auto(Path modelFile, Path deviceDir) {
        Pi4jDigitalLines lines = new Pi4jDigitalLines("auto", modelFile, deviceDir);
        opened.add(lines);
        return lines;
    }

    private Path model(String text) throws IOException {
        // As the firmware writes it: NUL-terminated.
        return Files.write(tmp.resolve("model"), (text + "\0").getBytes(StandardCharsets.UTF_8));
    }

    private Path devWith(String... entries) throws IOException {
        Path dev = Files.createDirectories(tmp.resolve("dev"));
        for (String e : entries) {
            Files.createFile(dev.resolve(e));
        }
        return dev;
    }

    private static boolean realGpioChip() {
        try (Stream<Path> dev = Files.list(Path.of("/dev"))) {
            return dev.anyMatch(p -> p.getFileName().toString().startsWith("gpiochip"));
        } catch (IOException e) {
            return false;
        }
    }

    // --- mock provider: state kept by Pi4J ---

    @Test
    void mock_setSequence_readsBackEveryState() {
        DigitalLine line = lines("mock").open("pulse10", 17);
        List<Boolean> seen = new ArrayList<>();
        seen.add(line.isOn());
        for (boolean on : new boolean[] {true, true, false, true, false, false, true}) {
            line.set(on);
            seen.add(line.isOn());
        }
        assertThat(seen).containsExactly(false, true, true, false, true, false, false, true);
    }

    @Test
    void mock_isOn_readsThePi4jOutputNotARememberedValue() {
        Pi4jDigitalLine line = (Pi4jDigitalLine) lines("mock").open("pulse10", 17);
        MockDigitalOutput output = (MockDigitalOutput) line.output();

        output.mockState(DigitalState.HIGH);
        assertThat(line.isOn()).isTrue();
        output.mockState(DigitalState.LOW);
        assertThat(line.isOn()).isFalse();

        line.set(true);
        assertThat(output.state()).isEqualTo(DigitalState.HIGH);
    }

    @Test
    void mock_linesAreIndependentPerPin() {
        Pi4jDigitalLines lines = lines("mock");
        DigitalLine a = lines.open("pulse10", 17);
        DigitalLine b = lines.open("pulse100", 27);
        a.set(true);
        assertThat(a.isOn()).isTrue();
        assertThat(b.isOn()).isFalse();
        b.set(true);
        a.set(false);
        assertThat(a.isOn()).isFalse();
        assertThat(b.isOn()).isTrue();
    }

    @Test
    void mock_headerEdgePins0And27_open() {
        Pi4jDigitalLines lines = lines("mock");
        assertThat(lines.open("a", 0).name()).isEqualTo("a (GPIO 0)");
        assertThat(lines.open("b", 27).name()).isEqualTo("b (GPIO 27)");
    }

    @Test
    void mock_lineClose_drivesOffRejectsSetAndFreesThePin() {
        Pi4jDigitalLines lines = lines("mock");
        DigitalLine line = lines.open("pulse10", 17);
        line.set(true);

        line.close();

        assertThat(line.isOn()).isFalse();
        assertThatThrownBy(() -> line.set(true)).isInstanceOf(IllegalStateException.class)
                .hasMessage("pulse10 (GPIO 17) is closed");
        assertThatCode(line::close).doesNotThrowAnyException();
        DigitalLine again = lines.open("counter", 17);
        assertThat(again.isOn()).isFalse();
        again.set(true);
        assertThat(again.isOn()).isTrue();
    }

    @Test
    void mock_linesClose_drivesEveryLineOffAndIsIdempotent() {
        Pi4jDigitalLines lines = lines("mock");
        DigitalLine a = lines.open("pulse10", 17);
        DigitalLine b = lines.open("counter", 23);
        a.set(true);
        b.set(true);

        lines.close();

        assertThat(a.isOn()).isFalse();
        assertThat(b.isOn()).isFalse();
        assertThatThrownBy(() -> b.set(true)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("counter (GPIO 23)");
        assertThatCode(lines::close).doesNotThrowAnyException();
        assertThatThrownBy(() -> lines.open("pulse100", 27)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed").hasMessageContaining("GPIO 27").hasMessageContaining("pulse100");
    }

    // --- pin errors ---

    @ParameterizedTest
    @ValueSource(ints = {-1, 28, 40, 53})
    void pinOffTheHeader_throwsNamingPinAndRole(int pin) {
        Pi4jDigitalLines lines = lines("mock");
        assertThatThrownBy(() -> lines.open("pulse1000", pin)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("GPIO " + pin + " for pulse1000 is outside 0..27");
    }

    @Test
    void pinAlreadyOpen_throwsNamingBothRoles_andFirstLineKeepsWorking() {
        Pi4jDigitalLines lines = lines("mock");
        DigitalLine first = lines.open("pulse10", 17);
        assertThatThrownBy(() -> lines.open("counter", 17)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("GPIO 17 for counter is already used by pulse10");
        first.set(true);
        assertThat(first.isOn()).isTrue();
    }

    // --- provider choice ---

    @ParameterizedTest
    @ValueSource(strings = {"pigpio", "", "MOCK", "simulated", " gpiod"})
    void unknownProvider_throwsNamingValueAndAllowed(String provider) {
        assertThatThrownBy(() -> lines(provider)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Pi4J GPIO provider '" + provider + "' is not allowed: allowed auto, mock, gpiod, linuxfs");
    }

    @Test
    void nullProvider_throwsNamingAllowed() {
        assertThatThrownBy(() -> lines(null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("missing").hasMessageContaining("auto, mock, gpiod, linuxfs");
    }

    @Test
    void mockChosenExplicitly_saysSo() {
        assertThat(lines("mock").description())
                .isEqualTo("Pi4J mock provider (chosen explicitly; in memory, no GPIO pin is driven)");
    }

    @Test
    void auto_modelFileAbsent_picksMockAndSaysWhy() {
        Path absent = tmp.resolve("model");
        Pi4jDigitalLines lines = auto(absent, devWithNothing());
        assertThat(lines.description()).startsWith("Pi4J mock provider (")
                .contains("no Raspberry Pi detected: " + absent + " absent");
        DigitalLine line = lines.open("pulse10", 17);
        line.set(true);
        assertThat(line.isOn()).isTrue();
    }

    @Test
    void auto_otherBoard_picksMockEvenWithAGpioChip() throws IOException {
        Pi4jDigitalLines lines = auto(model("Pine64 RockPro64 v2.1"), devWith("gpiochip0"));
        assertThat(lines.description()).startsWith("Pi4J mock provider (")
                .contains("says \"Pine64 RockPro64 v2.1\"");
        DigitalLine line = lines.open("pulse10", 17);
        line.set(true);
        assertThat(line.isOn()).isTrue();
    }

    @Test
    void auto_raspberryPiWithoutGpioChip_picksMock() throws IOException {
        Pi4jDigitalLines lines = auto(model("Raspberry Pi 4 Model B Rev 1.4"), devWith("null", "ttyAMA0"));
        assertThat(lines.description()).startsWith("Pi4J mock provider (")
                .contains("\"Raspberry Pi 4 Model B Rev 1.4\" detected but no gpiochip device");
    }

    @Test
    void auto_raspberryPiWithGpioChip_picksGpiod_andFailsClearlyWithoutRealGpio() throws IOException {
        Path dev = devWith("gpiochip0", "gpiochip1");
        Pi4jDigitalLines lines = auto(model("Raspberry Pi 5 Model B Rev 1.0"), dev);
        assertThat(lines.description()).isEqualTo("Pi4J gpiod provider (auto: \"Raspberry Pi 5 Model B Rev 1.0\""
                + " detected, " + dev.resolve("gpiochip0") + " present)");

        assumeFalse(realGpioChip(), "this machine has real GPIO: gpiod would drive it");
        assertThatThrownBy(() -> lines.open("pulse10", 17)).isExactlyInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("Pi4J gpiod provider cannot drive GPIO 17 for pulse10: ")
                .hasMessageContaining("/dev/gpiochip")
                .hasCauseInstanceOf(RuntimeException.class);
    }

    @Test
    void gpiodChosen_withoutGpio_failsClearlyAndLeavesThePinFree() {
        assumeFalse(realGpioChip(), "this machine has real GPIO: gpiod would drive it");
        Pi4jDigitalLines lines = lines("gpiod");
        assertThat(lines.description()).startsWith("Pi4J gpiod provider (chosen explicitly");
        for (int attempt = 0; attempt < 2; attempt++) {
            // The second attempt must fail the same way, not as "already used".
            assertThatThrownBy(() -> lines.open("counter", 23)).isExactlyInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("Pi4J gpiod provider cannot drive GPIO 23 for counter: ");
        }
    }

    @Test
    void linuxfsChosen_withoutSysfsGpio_failsClearlyNamingTheCause() {
        assumeFalse(Files.exists(Path.of("/sys/class/gpio/export")), "this machine has sysfs GPIO");
        Pi4jDigitalLines lines = lines("linuxfs");
        assertThat(lines.description()).startsWith("Pi4J linuxfs provider (chosen explicitly");
        assertThatThrownBy(() -> lines.open("pulse100", 27)).isExactlyInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("Pi4J linuxfs provider cannot drive GPIO 27 for pulse100: ")
                .hasMessageContaining("/sys/class/gpio/export");
    }

    private Path devWithNothing() {
        return tmp.resolve("dev-absent");
    }
}
