package org.minimeter.gateway.hal.pi4j;

import com.pi4j.context.Context;
import com.pi4j.io.gpio.digital.DigitalOutput;
import com.pi4j.io.gpio.digital.DigitalOutputConfig;
import com.pi4j.io.gpio.digital.DigitalState;
import com.pi4j.plugin.gpiod.provider.gpio.digital.GpioDDigitalOutputProvider;
import com.pi4j.plugin.linuxfs.provider.gpio.digital.LinuxFsDigitalOutputProvider;
import com.pi4j.plugin.mock.provider.gpio.digital.MockDigitalOutputProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jboss.logging.Logger;
import org.minimeter.gateway.hal.DigitalLine;
import org.minimeter.gateway.hal.DigitalLines;

/**
 * Digital outputs driven through Pi4J 2: the pulse outputs' opto switches and the counter
 * driver on a Raspberry Pi's header, or Pi4J's in-memory mock provider off a board.
 *
 * <p>The provider is chosen by name: {@code gpiod} (the GPIO character device,
 * {@code /dev/gpiochip*}, the interface current kernels support), {@code linuxfs} (the legacy
 * sysfs interface {@code /sys/class/gpio}), {@code mock} (Pi4J's mock platform: real Pi4J
 * code that keeps each line's state in memory, driving nothing), or {@code auto}: gpiod when
 * the device tree says this is a Raspberry Pi and a gpiochip device exists, mock otherwise. The
 * context is built explicitly with {@link com.pi4j.Pi4J#newContextBuilder()} and only the chosen
 * provider, never by auto-detection: Pi4J's auto-detection leaves the mock plugins out on a
 * real Pi and picks providers by priority, so the backend would depend on the board rather
 * than on the configuration.
 *
 * <p><b>Native image (Quarkus / GraalVM).</b> Pi4J normally discovers its plugins with
 * {@code ServiceLoader<com.pi4j.extension.Plugin>} (each plugin jar's
 * {@code META-INF/services}). Because this class turns auto-detection off and adds the platform
 * and provider through their static factories, Pi4J's runtime never calls the
 * {@code ServiceLoader} and instantiates no plugin class reflectively, so no service or
 * reflection registration is needed for plugin discovery; Pi4J 2.8 also no longer wraps
 * providers in dynamic proxies (older 2.x releases did, Pi4J issue #223). What a native build
 * still needs (gpiod's JNI libraries and call-back, board detection initialised on the board,
 * not at build time) is registered in {@code META-INF/native-image/org.minimeter/minimeter-gateway}
 * and {@code application.properties}, and checked by {@code NativeRegistrationTest}; the README's
 * "Native image notes" say by provider what, and what was not verified.
 */
public final class Pi4jDigitalLines implements DigitalLines {

    private static final Logger LOG = Logger.getLogger(Pi4jDigitalLines.class);

    /** The provider names the constructor accepts. */
    public static final List<String> PROVIDERS = List.of("auto", "mock", "gpiod", "linuxfs");

    /** Where the firmware's device tree names the board, e.g. {@code Raspberry Pi 4 Model B Rev 1.4}. */
    public static final Path MODEL_FILE = Path.of("/proc/device-tree/model");

    /** Where the kernel creates the GPIO character devices gpiod opens. */
    public static final Path DEVICE_DIR = Path.of("/dev");

    // The 40-pin header brings out BCM GPIO 0..27; higher BCM numbers are wired on the board
    // (SD card, Ethernet, LEDs) and must never be driven as an output.
    static final int FIRST_PIN = 0;
    static final int LAST_PIN = 27;

    static final Pi4jBackend MOCK = Pi4jBackend.mock(MockDigitalOutputProvider.ID,
            MockDigitalOutputProvider::newInstance);
    static final Pi4jBackend GPIOD = new Pi4jBackend("gpiod", GpioDDigitalOutputProvider.ID,
            "gpiod needs a Raspberry Pi with a /dev/gpiochip* device this user may open, e.g. in group gpio", false,
            GpioDDigitalOutputProvider::newInstance);
    static final Pi4jBackend LINUXFS = new Pi4jBackend("linuxfs", LinuxFsDigitalOutputProvider.ID,
            "linuxfs needs a writable /sys/class/gpio; from kernel 6.6 its numbers are offset"
                    + " (512 on a Pi 4, 571 on a Pi 5), which Pi4J 2.8 does not add: prefer gpiod there", false,
            LinuxFsDigitalOutputProvider::newInstance);

    private final Pi4jBackend backend;
    private final String description;
    private final Context context;
    private final Map<Integer, Pi4jDigitalLine> lines = new LinkedHashMap<>();
    private boolean closed;

    /**
     * Builds a Pi4J context for the named provider, detecting the board from
     * {@link #MODEL_FILE} and {@link #DEVICE_DIR} when the name is {@code auto}.
     *
     * @throws IllegalArgumentException if the provider is not one of {@link #PROVIDERS}
     * @throws IllegalStateException if Pi4J cannot start the provider
     */
    public Pi4jDigitalLines(String provider) {
        this(provider, MODEL_FILE, DEVICE_DIR);
    }

    /**
     * As {@link #Pi4jDigitalLines(String)}, reading the board's model from {@code modelFile} and
     * looking for {@code gpiochip*} devices in {@code deviceDir}: lets the {@code auto} choice be
     * exercised without a board.
     */
    public Pi4jDigitalLines(String provider, Path modelFile, Path deviceDir) {
        Objects.requireNonNull(modelFile, "modelFile");
        Objects.requireNonNull(deviceDir, "deviceDir");
        Choice choice = choose(provider, modelFile, deviceDir);
        this.backend = choice.backend();
        this.description = backend.name("provider") + " (" + choice.reason() + ")";
        this.context = backend.buildContext("provider");
    }

    private record Choice(Pi4jBackend backend, String reason) {
    }

    private static Choice choose(String provider, Path modelFile, Path deviceDir) {
        if (provider == null) {
            throw Pi4jContexts.notAllowed("Pi4J GPIO provider", null, PROVIDERS);
        }
        return switch (provider) {
            case "mock" -> new Choice(MOCK, "chosen explicitly; in memory, no GPIO pin is driven");
            case "gpiod" -> new Choice(GPIOD, "chosen explicitly; GPIO character device");
            case "linuxfs" -> new Choice(LINUXFS, "chosen explicitly; sysfs /sys/class/gpio");
            case "auto" -> detect(modelFile, deviceDir);
            default -> throw Pi4jContexts.notAllowed("Pi4J GPIO provider", provider, PROVIDERS);
        };
    }

    private static Choice detect(Path modelFile, Path deviceDir) {
        String model;
        try {
            // The device-tree string is NUL-terminated.
            model = new String(Files.readAllBytes(modelFile), StandardCharsets.UTF_8).replace("\0", "").strip();
        } catch (NoSuchFileException e) {
            return mock("no Raspberry Pi detected: " + modelFile + " absent");
        } catch (IOException e) {
            return mock("no Raspberry Pi detected: " + modelFile + " unreadable (" + e + ")");
        }
        if (!model.contains("Raspberry Pi")) {
            return mock("no Raspberry Pi detected: " + modelFile + " says \"" + model + "\"");
        }
        List<String> chips = gpioChips(deviceDir);
        if (chips.isEmpty()) {
            return mock("\"" + model + "\" detected but no gpiochip device in " + deviceDir);
        }
        return new Choice(GPIOD, "auto: \"" + model + "\" detected, "
                + deviceDir.resolve(chips.get(0)) + " present");
    }

    private static Choice mock(String why) {
        return new Choice(MOCK, "auto: " + why + "; in memory, no GPIO pin is driven");
    }

    private static List<String> gpioChips(Path deviceDir) {
        return Pi4jContexts.devices(deviceDir, "gpiochip");
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public synchronized DigitalLine open(String name, int pin) {
        Objects.requireNonNull(name, "name");
        if (closed) {
            throw new IllegalStateException("Pi4J " + backend.label() + " lines are closed: cannot open GPIO " + pin
                    + " for " + name);
        }
        checkHeaderPin(pin, name);
        Pi4jDigitalLine existing = lines.get(pin);
        if (existing != null) {
            throw new IllegalArgumentException("GPIO " + pin + " for " + name + " is already used by "
                    + existing.role());
        }
        // Off at start and at shutdown: a switch left closed would read to the receiving device
        // as one endless pulse.
        DigitalOutputConfig config = DigitalOutput.newConfigBuilder(context)
                .id(Pi4jDigitalLine.ioId(pin))
                .name(name)
                .address(pin)
                .initial(DigitalState.LOW)
                .shutdown(DigitalState.LOW)
                .provider(backend.providerId())
                .build();
        DigitalOutput output = Pi4jContexts.create(() -> context.create(config),
                "Pi4J " + backend.label() + " provider cannot drive GPIO " + pin + " for " + name,
                backend.requirement());
        Pi4jDigitalLine line = new Pi4jDigitalLine(name, pin, output, this);
        lines.put(pin, line);
        LOG.debugf("Opened %s through the Pi4J %s provider", line.name(), backend.label());
        return line;
    }

    /** Releases a closed line's pin in Pi4J and here, so it may be opened again. */
    void release(Pi4jDigitalLine line) {
        try {
            if (!context.isShutdown()) {
                context.shutdown(line.ioId());
            }
        } catch (RuntimeException e) {
            throw new IllegalStateException("Pi4J " + backend.label() + " provider could not release " + line.name()
                    + ": " + Pi4jContexts.causes(e), e);
        } finally {
            synchronized (this) {
                lines.remove(line.pin(), line);
            }
        }
    }

    @Override
    public void close() {
        List<Pi4jDigitalLine> open;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            open = new ArrayList<>(lines.values());
        }
        Pi4jContexts.closeAll(LOG, open, Pi4jDigitalLine::close,
                line -> "Could not drive " + line.name() + " off on close", context, backend.name("provider"));
    }

    String providerLabel() {
        return backend.label();
    }

    /**
     * @throws IllegalArgumentException if {@code pin} is not a BCM number brought out on the
     *     header (a higher one is wired on the board and must never be touched)
     */
    static void checkHeaderPin(int pin, String name) {
        if (pin < FIRST_PIN || pin > LAST_PIN) {
            throw new IllegalArgumentException("GPIO " + pin + " for " + name + " is outside " + FIRST_PIN + ".."
                    + LAST_PIN + " (BCM numbers on the Raspberry Pi header)");
        }
    }
}
