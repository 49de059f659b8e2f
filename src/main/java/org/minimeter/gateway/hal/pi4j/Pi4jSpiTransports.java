package org.minimeter.gateway.hal.pi4j;

import com.pi4j.context.Context;
import com.pi4j.io.spi.Spi;
import com.pi4j.io.spi.SpiChipSelect;
import com.pi4j.io.spi.SpiConfig;
import com.pi4j.io.spi.SpiMode;
import com.pi4j.plugin.linuxfs.provider.spi.LinuxFsSpiProvider;
import com.pi4j.plugin.mock.provider.spi.MockSpiProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;
import org.jboss.logging.Logger;
import org.minimeter.gateway.hal.SpiTransport;

/**
 * Opens SPI devices through Pi4J 2 for the front-end chip drivers: Linux spidev through the
 * {@code linuxfs} provider on a board, or Pi4J's in-memory mock provider off one.
 *
 * <p>Providers by name: {@code linuxfs} (the kernel's {@code /dev/spidev<bus>.<cs>}),
 * {@code mock} (Pi4J's {@code MockSpi}: what is written is queued and read back by later
 * transfers; for tests and demos, no bus is driven), or {@code auto}: linuxfs, the only real
 * SPI backend. {@code auto} never falls back to mock: a meter whose converter cannot be reached
 * must stop at start with the reason, not meter zeros from a pretend bus.
 *
 * <p>Before Pi4J opens a device, this class checks it in the device directory and turns the two
 * common set-up faults into a message naming the device and the fix: SPI not enabled (or the
 * wrong bus / chip select, or not mounted into the container), and no permission. Pi4J's own
 * error for both is a bare {@code open} failure.
 *
 * <p>Native image: linuxfs SPI calls libc ({@code open}, {@code ioctl}) through JNA, which ships
 * no native-image metadata: JNA's JNI and reflection, the {@code LinuxLibC} proxy and the
 * {@code LinuxFsSpi$spi_ioc_transfer} structure are registered in
 * {@code META-INF/native-image/org.minimeter/minimeter-gateway} (README, "Native image notes").
 */
public final class Pi4jSpiTransports implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Pi4jSpiTransports.class);

    /** The provider names the constructor accepts. */
    public static final List<String> PROVIDERS = List.of("auto", "linuxfs", "mock");

    /** Where the kernel creates {@code spidev<bus>.<cs>} when SPI is enabled. */
    public static final Path DEVICE_DIR = Path.of("/dev");

    // Pi4J 2.8 names buses 0..6 and chip selects 0..2 (SpiBus, SpiChipSelect); a Pi 4 or 5 has
    // at most SPI0..SPI6 on the header, and the kernel's spidev overlays give up to 3 chip selects.
    static final int LAST_BUS = 6;
    static final int LAST_CHIP_SELECT = 2;

    static final String ENABLE_SPI = "enable SPI: add dtparam=spi=on to /boot/firmware/config.txt and reboot";
    static final String CHECK_NUMBERS = "check the bus and chip-select numbers";
    static final String GRANT_ACCESS = "add the user to the spi group (usermod -aG spi <user>, then log in again)"
            + " or mount the device into the container (--device ";

    static final Pi4jBackend MOCK = Pi4jBackend.mock(MockSpiProvider.ID, MockSpiProvider::newInstance);
    static final Pi4jBackend LINUXFS = new Pi4jBackend("linuxfs", LinuxFsSpiProvider.ID,
            "linuxfs needs /dev/spidev<bus>.<cs>, readable and writable by this user", false,
            LinuxFsSpiProvider::newInstance);

    private final Pi4jBackend backend;
    private final String description;
    private final Path deviceDir;
    private final Predicate<Path> readWrite;
    private final Context context;
    private final Map<String, Pi4jSpiTransport> open = new LinkedHashMap<>();
    private boolean closed;

    /**
     * Builds a Pi4J context for the named provider, checking devices in {@link #DEVICE_DIR}.
     *
     * @throws IllegalArgumentException if the provider is not one of {@link #PROVIDERS}
     * @throws IllegalStateException if Pi4J cannot start the provider
     */
    public Pi4jSpiTransports(String provider) {
        this(provider, DEVICE_DIR);
    }

    /**
     * As {@link #Pi4jSpiTransports(String)}, checking devices in {@code deviceDir} instead of
     * {@code /dev}: lets the set-up errors be exercised without a board. Pi4J itself always opens
     * {@code /dev/spidev<bus>.<cs>}.
     */
    public Pi4jSpiTransports(String provider, Path deviceDir) {
        this(provider, deviceDir, p -> Files.isReadable(p) && Files.isWritable(p));
    }

    /** As above, with the permission check replaceable: root may read any file, even mode 000. */
    Pi4jSpiTransports(String provider, Path deviceDir, Predicate<Path> readWrite) {
        this.deviceDir = Objects.requireNonNull(deviceDir, "deviceDir");
        this.readWrite = Objects.requireNonNull(readWrite, "readWrite");
        if (provider == null) {
            throw Pi4jContexts.notAllowed("Pi4J SPI provider", null, PROVIDERS);
        }
        this.backend = switch (provider) {
            case "mock" -> MOCK;
            case "linuxfs", "auto" -> LINUXFS;
            default -> throw Pi4jContexts.notAllowed("Pi4J SPI provider", provider, PROVIDERS);
        };
        this.description = backend.name("SPI provider") + " (" + reason(provider) + ")";
        this.context = backend.buildContext("SPI provider");
    }

    private String reason(String provider) {
        if (backend.mock()) {
            return "chosen explicitly; in memory, no SPI bus is driven";
        }
        return Pi4jContexts.reason(provider, deviceDir, "spidev");
    }

    /** Which backend is in use and why, for the start-up log. */
    public String description() {
        return description;
    }

    /**
     * Opens the SPI device on {@code bus} selected by {@code chipSelect}, with the clock
     * polarity and phase of {@code mode} and the clock at most {@code clockHz}.
     *
     * @throws IllegalArgumentException if a number is out of range, or the device is already open
     * @throws IllegalStateException if the device is missing or not accessible, or Pi4J cannot
     *     open it: the message names the device and the fix
     */
    public synchronized SpiTransport open(int bus, int chipSelect, int mode, int clockHz) {
        check("SPI bus", bus, 0, LAST_BUS);
        check("SPI chip select", chipSelect, 0, LAST_CHIP_SELECT);
        check("SPI mode", mode, 0, 3);
        if (clockHz <= 0) {
            throw new IllegalArgumentException("SPI clock " + clockHz + " Hz must be positive");
        }
        String device = "spidev" + bus + "." + chipSelect;
        String what = (backend.mock() ? "mock " + device : deviceDir.resolve(device).toString())
                + " mode " + mode + " at " + hertz(clockHz);
        if (closed) {
            throw new IllegalStateException("Pi4J " + backend.label() + " SPI provider is closed: cannot open " + what);
        }
        String id = "spi" + bus + "." + chipSelect;
        Pi4jSpiTransport existing = open.get(id);
        if (existing != null) {
            throw new IllegalArgumentException("SPI bus " + bus + " chip select " + chipSelect + " is already open as "
                    + existing.description());
        }
        if (backend == LINUXFS) {
            checkDevice(deviceDir.resolve(device));
        }
        SpiConfig config = Spi.newConfigBuilder(context)
                .id(id)
                .name(what)
                .bus(bus)
                .chipSelect(SpiChipSelect.getByNumber(chipSelect))
                .mode(SpiMode.getByNumber(mode))
                .baud(clockHz)
                .provider(backend.providerId())
                .build();
        Spi spi = Pi4jContexts.create(() -> context.create(config),
                "Pi4J " + backend.label() + " SPI provider could not open " + what, backend.requirement());
        Pi4jSpiTransport transport = new Pi4jSpiTransport(spi, what, () -> release(id));
        open.put(id, transport);
        LOG.debugf("Opened %s through the Pi4J %s SPI provider", what, backend.label());
        return transport;
    }

    private void checkDevice(Path path) {
        if (!Files.exists(path)) {
            List<String> present = Pi4jContexts.devices(deviceDir, "spidev");
            if (present.isEmpty()) {
                throw new IllegalStateException("SPI device " + path + " does not exist, nor any other spidev device: "
                        + ENABLE_SPI + " (in a container, also mount the device: --device " + path + ")");
            }
            throw new IllegalStateException("SPI device " + path + " does not exist (present: "
                    + String.join(", ", present) + "): " + CHECK_NUMBERS
                    + " (a bus other than 0 needs its own overlay, e.g. dtoverlay=spi1-1cs)");
        }
        if (!readWrite.test(path)) {
            throw new IllegalStateException("SPI device " + path + " is not readable and writable by this user: "
                    + GRANT_ACCESS + path + ")");
        }
    }

    private synchronized void release(String id) {
        open.remove(id);
        Pi4jContexts.release(LOG, context, id, "Pi4J " + backend.label() + " SPI provider could not release " + id);
    }

    /** Closes every open device and the Pi4J context. */
    @Override
    public void close() {
        List<Pi4jSpiTransport> toClose;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            toClose = new ArrayList<>(open.values());
        }
        Pi4jContexts.closeAll(LOG, toClose, Pi4jSpiTransport::close, t -> "Could not close " + t.description(),
                context, backend.name("SPI provider"));
    }

    private static void check(String what, int value, int first, int last) {
        if (value < first || value > last) {
            throw new IllegalArgumentException(what + " " + value + " is outside " + first + ".." + last);
        }
    }

    /** {@code 8 MHz}, {@code 1.35 MHz}, {@code 500 kHz}, {@code 900 Hz}. */
    static String hertz(int hz) {
        if (hz >= 1_000_000) {
            return trim(hz / 1e6) + " MHz";
        }
        if (hz >= 1_000) {
            return trim(hz / 1e3) + " kHz";
        }
        return hz + " Hz";
    }

    private static String trim(double v) {
        String s = String.format(Locale.ROOT, "%.3f", v);
        s = s.replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }
}
