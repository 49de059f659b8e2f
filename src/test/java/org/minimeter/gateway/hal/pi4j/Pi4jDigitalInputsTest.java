package org.minimeter.gateway.hal.pi4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.pi4j.io.gpio.digital.DigitalState;
import com.pi4j.plugin.mock.provider.gpio.digital.MockDigitalInput;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.minimeter.gateway.hal.DigitalInput;

/** Pi4J digital inputs: DRDY waits driven by the mock provider's edges; provider choice; errors. */
class Pi4jDigitalInputsTest {

    // Long enough never to expire on a loaded machine: the tests end by an edge, not by time.
    private static final long LONG_WAIT = TimeUnit.MINUTES.toNanos(1);

    @TempDir
    Path tmp;

    private final List<Pi4jDigitalInputs> opened = new ArrayList<>();
    private final ExecutorService waiter = Executors.newSingleThreadExecutor();

    @AfterEach
    void closeAll() {
        opened.forEach(Pi4jDigitalInputs::close);
        waiter.shutdownNow();
    }

    private Pi4jDigitalInputs inputs(String provider) {
        return inputs(provider, tmp.resolve("dev-absent"));
    }

    private Pi4jDigitalInputs inputs(String provider, Path dev) {
        Pi4jDigitalInputs inputs = new Pi4jDigitalInputs(provider, dev);
        opened.add(inputs);
        return inputs;
    }

    private static MockDigitalInput mockSide(DigitalInput input) {
        return (MockDigitalInput) ((Pi4jDigitalInput) input).pi4jInput();
    }

    private static void awaitParked(DigitalInput input, Future<Boolean> result) {
        // Not a timing assertion: only orders the test's edge after the waiter has parked. A
        // waiter that returned instead of parking ends the loop too, and the test's assertion
        // on its result then fails rather than hanging.
        while (!((Pi4jDigitalInput) input).hasWaiter() && !result.isDone()) {
            Thread.onSpinWait();
        }
    }

    // --- levels and waits on the mock provider ---

    @Test
    void mock_isHigh_followsTheMockLevel() {
        DigitalInput drdy = inputs("mock").open("DRDY", 25);
        MockDigitalInput line = mockSide(drdy);
        line.mockState(DigitalState.HIGH);
        assertThat(drdy.isHigh()).isTrue();
        line.mockState(DigitalState.LOW);
        assertThat(drdy.isHigh()).isFalse();
    }

    @Test
    void awaitLow_alreadyLow_returnsTrueAtOnce() throws InterruptedException {
        DigitalInput drdy = inputs("mock").open("DRDY", 25);
        mockSide(drdy).mockState(DigitalState.HIGH);
        mockSide(drdy).mockState(DigitalState.LOW);
        assertThat(drdy.awaitLow(0)).isTrue();
    }

    @Test
    void awaitLow_fallingEdgeWhileParked_wakesTheWaiterWithTrue() throws Exception {
        DigitalInput drdy = inputs("mock").open("DRDY", 25);
        MockDigitalInput line = mockSide(drdy);
        line.mockState(DigitalState.HIGH);

        Future<Boolean> result = waiter.submit(() -> drdy.awaitLow(LONG_WAIT));
        awaitParked(drdy, result);
        line.mockState(DigitalState.LOW);

        assertThat(result.get()).isTrue();
    }

    @Test
    void awaitLow_risingEdgeWhileParked_keepsWaiting_untilTheFallingOne() throws Exception {
        DigitalInput drdy = inputs("mock").open("DRDY", 25);
        MockDigitalInput line = mockSide(drdy);
        line.mockState(DigitalState.HIGH);
        line.mockState(DigitalState.LOW);
        line.mockState(DigitalState.HIGH);

        Future<Boolean> result = waiter.submit(() -> drdy.awaitLow(LONG_WAIT));
        awaitParked(drdy, result);
        line.mockState(DigitalState.HIGH); // no change, no event
        assertThat(result).isNotDone();
        line.mockState(DigitalState.LOW);

        assertThat(result.get()).isTrue();
    }

    @Test
    void awaitLow_staysHigh_timesOutWithFalse() throws InterruptedException {
        DigitalInput drdy = inputs("mock").open("DRDY", 25);
        mockSide(drdy).mockState(DigitalState.HIGH);
        assertThat(drdy.awaitLow(TimeUnit.MILLISECONDS.toNanos(1))).isFalse();
        assertThat(drdy.awaitLow(0)).isFalse();
        assertThat(drdy.awaitLow(-5)).isFalse();
    }

    @Test
    void close_wakesAParkedWaiterWithFalse_andFreesThePin() throws Exception {
        Pi4jDigitalInputs inputs = inputs("mock");
        DigitalInput drdy = inputs.open("DRDY", 25);
        mockSide(drdy).mockState(DigitalState.HIGH);
        Future<Boolean> result = waiter.submit(() -> drdy.awaitLow(LONG_WAIT));
        awaitParked(drdy, result);

        drdy.close();

        assertThat(result.get()).isFalse();
        assertThat(drdy.awaitLow(LONG_WAIT)).isFalse();
        assertThatCode(drdy::close).doesNotThrowAnyException();
        DigitalInput again = inputs.open("power-fail", 25);
        assertThat(again.name()).isEqualTo("power-fail (GPIO 25)");
    }

    @Test
    void inputsClose_closesEveryInput_andRefusesNewOnes() throws InterruptedException {
        Pi4jDigitalInputs inputs = inputs("mock");
        DigitalInput a = inputs.open("DRDY", 25);
        mockSide(a).mockState(DigitalState.HIGH);

        inputs.close();

        assertThat(a.awaitLow(LONG_WAIT)).isFalse();
        assertThatThrownBy(() -> inputs.open("DRDY", 24)).isInstanceOf(IllegalStateException.class)
                .hasMessage("Pi4J mock inputs are closed: cannot open GPIO 24 for DRDY");
        assertThatCode(inputs::close).doesNotThrowAnyException();
    }

    // --- pins and providers ---

    @ParameterizedTest
    @ValueSource(ints = {-1, 28, 40})
    void pinOffTheHeader_throwsNamingPinAndRole(int pin) {
        Pi4jDigitalInputs inputs = inputs("mock");
        assertThatThrownBy(() -> inputs.open("DRDY", pin)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("GPIO " + pin + " for DRDY is outside 0..27 (BCM numbers on the Raspberry Pi header)");
    }

    @Test
    void pinAlreadyOpen_throwsNamingBoth() {
        Pi4jDigitalInputs inputs = inputs("mock");
        inputs.open("DRDY", 25);
        assertThatThrownBy(() -> inputs.open("power-fail", 25)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("GPIO 25 for power-fail is already used by DRDY (GPIO 25)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"linuxfs", "", "MOCK", "pigpio"})
    void unknownProvider_throwsNamingValueAndAllowed(String provider) {
        assertThatThrownBy(() -> inputs(provider)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Pi4J digital input provider '" + provider + "' is not allowed: allowed auto, gpiod, mock");
    }

    @Test
    void mock_description_saysSo() {
        assertThat(inputs("mock").description())
                .isEqualTo("Pi4J mock digital input provider (chosen explicitly; in memory, no GPIO pin is read)");
    }

    @Test
    void auto_noGpioChip_refusesToOpenNamingTheDeviceAndTheFix() {
        Path dev = tmp.resolve("dev-absent");
        Pi4jDigitalInputs inputs = inputs("auto", dev);
        assertThat(inputs.description())
                .isEqualTo("Pi4J gpiod digital input provider (auto: no gpiochip device in " + dev + ")");
        assertThatThrownBy(() -> inputs.open("DRDY", 25)).isExactlyInstanceOf(IllegalStateException.class)
                .hasMessage("GPIO 25 for DRDY: no gpiochip device in " + dev + ": gpiod needs the GPIO character"
                        + " device (a Raspberry Pi has " + dev.resolve("gpiochip0") + "; in a container, mount it:"
                        + " --device " + dev.resolve("gpiochip0") + ")");
    }

    @Test
    void gpiod_chipPresentButNoRealGpio_pi4jFailureIsNamed() throws IOException {
        assumeFalse(!Pi4jContexts.devices(Path.of("/dev"), "gpiochip").isEmpty(),
                "this machine has real GPIO: gpiod would read it");
        Path dev = Files.createDirectories(tmp.resolve("dev"));
        Files.createFile(dev.resolve("gpiochip0"));
        Pi4jDigitalInputs inputs = inputs("gpiod", dev);
        for (int attempt = 0; attempt < 2; attempt++) {
            // The second attempt must fail the same way, not as "already used".
            assertThatThrownBy(() -> inputs.open("DRDY", 25)).isExactlyInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("Pi4J gpiod provider cannot read GPIO 25 for DRDY: ");
        }
    }
}
