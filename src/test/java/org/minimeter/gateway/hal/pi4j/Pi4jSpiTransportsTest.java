package org.minimeter.gateway.hal.pi4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.pi4j.io.spi.SpiConfig;
import com.pi4j.io.spi.SpiProvider;
import com.pi4j.plugin.mock.provider.spi.MockSpi;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.minimeter.gateway.hal.SpiTransport;
import org.minimeter.gateway.hal.SpiTransport.SpiException;

/**
 * SPI through Pi4J: the mock provider's real behaviour, a chip-style exchange over the adapter,
 * and the start-up errors a board without SPI (or without permission) produces.
 */
class Pi4jSpiTransportsTest {

    @TempDir
    Path tmp;

    private final List<AutoCloseable> opened = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : opened) {
            c.close();
        }
    }

    private Pi4jSpiTransports spi(String provider) {
        return spi(provider, tmp.resolve("dev-absent"));
    }

    private Pi4jSpiTransports spi(String provider, Path dev) {
        Pi4jSpiTransports t = new Pi4jSpiTransports(provider, dev);
        opened.add(t);
        return t;
    }

    private Path devWith(String... entries) throws IOException {
        Path dev = Files.createDirectories(tmp.resolve("dev"));
        for (String e : entries) {
            Files.createFile(dev.resolve(e));
        }
        return dev;
    }

    private static MockSpi mockSide(SpiTransport transport) {
        return (MockSpi) ((Pi4jSpiTransport) transport).pi4jSpi();
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    private static boolean realSpidev() {
        return !Pi4jContexts.devices(Path.of("/dev"), "spidev").isEmpty();
    }

    // --- Pi4J's MockSpi, as it really behaves ---

    @Test
    void mock_transferReadsWhatWasQueued_andQueuesWhatItWrites() {
        SpiTransport t = spi("mock").open(0, 0, 0, 1_000_000);
        MockSpi bus = mockSide(t);
        bus.write(bytes(0xA1, 0xB2, 0xC3));

        byte[] rx = t.transfer(bytes(0x01, 0x02, 0x03));

        assertThat(rx).containsExactly(bytes(0xA1, 0xB2, 0xC3));
        assertThat(bus.readEntireMockBuffer()).containsExactly(bytes(0x01, 0x02, 0x03));
    }

    @Test
    void mock_nothingQueued_readsZeros_thenTheNextTransferReadsThePreviousOne() {
        SpiTransport t = spi("mock").open(0, 1, 1, 8_000_000);

        assertThat(t.transfer(bytes(0x11, 0x22))).containsExactly(0, 0);
        assertThat(t.transfer(bytes(0x33, 0x44))).containsExactly(bytes(0x11, 0x22));
        assertThat(mockSide(t).readEntireMockBuffer()).containsExactly(bytes(0x33, 0x44));
    }

    @Test
    void mock_shortQueue_fillsTheRestWithZeros() {
        SpiTransport t = spi("mock").open(0, 0, 0, 1_000_000);
        mockSide(t).write(bytes(0x7F));

        assertThat(t.transfer(bytes(0, 0, 0))).containsExactly(bytes(0x7F, 0, 0));
    }

    @Test
    void emptyTransfer_returnsEmptyWithoutTouchingTheBus() {
        SpiTransport t = spi("mock").open(0, 0, 0, 1_000_000);
        assertThat(t.transfer(new byte[0])).isEmpty();
        assertThat(mockSide(t).readEntireMockBuffer()).isEmpty();
    }

    /**
     * An MCP3208 conversion as its driver would do it over the port: start bit, single-ended,
     * channel 1 is 0x06 0x40 0x00; the 12-bit result comes back in the low nibble of the second
     * byte and all of the third (datasheet figure 6-1).
     */
    @Test
    void mcp3208StyleExchange_overTheAdapter_sendsTheCommandAndDecodesTheResult() {
        SpiTransport t = spi("mock").open(0, 0, 0, 1_000_000);
        MockSpi bus = mockSide(t);
        bus.write(bytes(0xFF, 0xEA, 0xBC)); // high bits of byte 1 are undefined on the wire

        int code = mcp3208Read(t, 1);

        assertThat(code).isEqualTo(0xABC);
        assertThat(bus.readEntireMockBuffer()).containsExactly(bytes(0x06, 0x40, 0x00));
    }

    private static int mcp3208Read(SpiTransport spi, int channel) {
        byte[] rx = spi.transfer(bytes(0x06 | (channel >> 2), (channel & 0x03) << 6, 0x00));
        return (rx[1] & 0x0F) << 8 | (rx[2] & 0xFF);
    }

    @Test
    void mock_description_namesDeviceModeAndClock() {
        Pi4jSpiTransports spi = spi("mock");
        assertThat(spi.description()).isEqualTo("Pi4J mock SPI provider (chosen explicitly; in memory, no SPI bus is driven)");
        assertThat(spi.open(0, 1, 1, 8_192_000).description()).isEqualTo("mock spidev0.1 mode 1 at 8.192 MHz");
    }

    @Test
    void close_rejectsTransfers_andFreesTheDeviceToOpenAgain() {
        Pi4jSpiTransports spi = spi("mock");
        SpiTransport t = spi.open(0, 0, 0, 1_000_000);
        assertThatThrownBy(() -> spi.open(0, 0, 3, 2_000_000)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("SPI bus 0 chip select 0 is already open as mock spidev0.0 mode 0 at 1 MHz");

        t.close();

        assertThatThrownBy(() -> t.transfer(bytes(1))).isInstanceOf(IllegalStateException.class)
                .hasMessage("mock spidev0.0 mode 0 at 1 MHz is closed");
        assertThatCode(t::close).doesNotThrowAnyException();
        SpiTransport again = spi.open(0, 0, 3, 2_000_000);
        assertThat(again.transfer(bytes(5))).containsExactly(0);
    }

    @Test
    void factoryClose_closesEveryDevice_andRefusesNewOnes() {
        Pi4jSpiTransports spi = spi("mock");
        SpiTransport a = spi.open(0, 0, 0, 1_000_000);
        SpiTransport b = spi.open(1, 2, 1, 1_000_000);

        spi.close();

        assertThatThrownBy(() -> a.transfer(bytes(1))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> b.transfer(bytes(1))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> spi.open(0, 1, 0, 1_000_000)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed").hasMessageContaining("spidev0.1");
        assertThatCode(spi::close).doesNotThrowAnyException();
    }

    // --- bus failures become SpiException naming the device ---

    @Test
    void transfer_pi4jThrows_isSpiExceptionNamingTheDevice() {
        MockSpi failing = new MockSpi(null, config()) {
            @Override
            public int transfer(byte[] w, int wo, byte[] r, int ro, int n) {
                throw new com.pi4j.io.exception.IOException("Remote I/O error");
            }
        };
        SpiTransport t = new Pi4jSpiTransport(failing, "/dev/spidev0.0 mode 1 at 8 MHz", () -> { });
        assertThatThrownBy(() -> t.transfer(bytes(1, 2, 3))).isExactlyInstanceOf(SpiException.class)
                .hasMessage("/dev/spidev0.0 mode 1 at 8 MHz: transfer of 3 bytes failed: IOException: Remote I/O error")
                .hasCauseInstanceOf(com.pi4j.io.exception.IOException.class);
    }

    @Test
    void transfer_pi4jReturnsMinusOne_isSpiException() {
        // What Pi4J 2.8's linuxfs provider does when the ioctl fails: logs, returns -1.
        MockSpi failing = new MockSpi(null, config()) {
            @Override
            public int transfer(byte[] w, int wo, byte[] r, int ro, int n) {
                return -1;
            }
        };
        SpiTransport t = new Pi4jSpiTransport(failing, "/dev/spidev0.0 mode 1 at 8 MHz", () -> { });
        assertThatThrownBy(() -> t.transfer(bytes(1, 2))).isExactlyInstanceOf(SpiException.class)
                .hasMessageStartingWith("/dev/spidev0.0 mode 1 at 8 MHz: transfer of 2 bytes failed (Pi4J returned -1");
    }

    private SpiConfig config() {
        Pi4jSpiTransports spi = spi("mock");
        SpiTransport t = spi.open(0, 0, 1, 8_000_000);
        return ((Pi4jSpiTransport) t).pi4jSpi().config();
    }

    // --- arguments ---

    @ParameterizedTest
    @CsvSource({
        "-1, 0, 0, 1000000, SPI bus -1 is outside 0..6",
        "7, 0, 0, 1000000, SPI bus 7 is outside 0..6",
        "0, 3, 0, 1000000, SPI chip select 3 is outside 0..2",
        "0, 0, 4, 1000000, SPI mode 4 is outside 0..3",
        "0, 0, -1, 1000000, SPI mode -1 is outside 0..3",
        "0, 0, 0, 0, SPI clock 0 Hz must be positive"})
    void outOfRange_throwsNamingWhatAndRange(int bus, int cs, int mode, int hz, String message) {
        Pi4jSpiTransports spi = spi("mock");
        assertThatThrownBy(() -> spi.open(bus, cs, mode, hz)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpiod", "", "MOCK", "pigpio"})
    void unknownProvider_throwsNamingValueAndAllowed(String provider) {
        assertThatThrownBy(() -> spi(provider)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Pi4J SPI provider '" + provider + "' is not allowed: allowed auto, linuxfs, mock");
    }

    @Test
    void nullProvider_throwsNamingAllowed() {
        assertThatThrownBy(() -> spi(null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Pi4J SPI provider is missing: allowed auto, linuxfs, mock");
    }

    // --- set-up faults on a board: device missing, wrong numbers, no permission ---

    @Test
    void auto_noSpidevAtAll_saysEnableSpi() {
        Path dev = tmp.resolve("dev-absent");
        Pi4jSpiTransports spi = spi("auto", dev);
        assertThat(spi.description()).isEqualTo("Pi4J linuxfs SPI provider (auto: no spidev device in " + dev + ")");
        Path device = dev.resolve("spidev0.0");
        assertThatThrownBy(() -> spi.open(0, 0, 0, 1_000_000)).isExactlyInstanceOf(IllegalStateException.class)
                .hasMessage("SPI device " + device + " does not exist, nor any other spidev device: enable SPI: add"
                        + " dtparam=spi=on to /boot/firmware/config.txt and reboot (in a container, also mount the"
                        + " device: --device " + device + ")");
    }

    @Test
    void linuxfs_otherDevicesPresent_saysCheckTheNumbers() throws IOException {
        Path dev = devWith("spidev0.0", "spidev0.1", "null");
        Pi4jSpiTransports spi = spi("linuxfs", dev);
        assertThat(spi.description())
                .isEqualTo("Pi4J linuxfs SPI provider (chosen explicitly; spidev0.0, spidev0.1 in " + dev + ")");
        assertThatThrownBy(() -> spi.open(1, 0, 1, 8_000_000)).isExactlyInstanceOf(IllegalStateException.class)
                .hasMessage("SPI device " + dev.resolve("spidev1.0") + " does not exist (present: spidev0.0,"
                        + " spidev0.1): check the bus and chip-select numbers (a bus other than 0 needs its own"
                        + " overlay, e.g. dtoverlay=spi1-1cs)");
    }

    @Test
    void linuxfs_noPermission_saysSpiGroupOrContainerMount() throws IOException {
        Path dev = devWith("spidev0.0");
        Pi4jSpiTransports spi = new Pi4jSpiTransports("auto", dev, p -> false);
        opened.add(spi);
        Path device = dev.resolve("spidev0.0");
        assertThatThrownBy(() -> spi.open(0, 0, 0, 1_000_000)).isExactlyInstanceOf(IllegalStateException.class)
                .hasMessage("SPI device " + device + " is not readable and writable by this user: add the user to"
                        + " the spi group (usermod -aG spi <user>, then log in again) or mount the device into the"
                        + " container (--device " + device + ")");
    }

    @Test
    void linuxfs_noPermission_realFileMode000() throws IOException {
        assumeFalse("root".equals(System.getProperty("user.name")), "root may open a mode-000 file");
        Path dev = devWith("spidev0.0");
        Files.setPosixFilePermissions(dev.resolve("spidev0.0"), java.util.Set.of());
        Pi4jSpiTransports spi = spi("linuxfs", dev);
        assertThatThrownBy(() -> spi.open(0, 0, 0, 1_000_000)).isExactlyInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is not readable and writable by this user");
    }

    @Test
    void linuxfs_deviceCheckPasses_butNoRealSpi_pi4jFailureIsNamed() throws IOException {
        assumeFalse(realSpidev(), "this machine has real SPI: linuxfs would open it");
        Pi4jSpiTransports spi = spi("linuxfs", devWith("spidev0.0"));
        for (int attempt = 0; attempt < 2; attempt++) {
            // The second attempt must fail the same way, not as "already open".
            assertThatThrownBy(() -> spi.open(0, 0, 1, 8_000_000)).isExactlyInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("Pi4J linuxfs SPI provider could not open ")
                    .hasMessageContaining("spidev0.0 mode 1 at 8 MHz: ");
        }
    }

    @ParameterizedTest
    @CsvSource({"8000000, 8 MHz", "1350000, 1.35 MHz", "500000, 500 kHz", "900, 900 Hz", "8192000, 8.192 MHz"})
    void hertz_readable(int hz, String text) {
        assertThat(Pi4jSpiTransports.hertz(hz)).isEqualTo(text);
    }
}
