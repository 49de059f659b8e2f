package org.minimeter.gateway.hal.pi4j;

import com.pi4j.context.Context;
import com.pi4j.io.gpio.digital.DigitalInputConfig;
import com.pi4j.io.gpio.digital.PullResistance;
import com.pi4j.plugin.gpiod.provider.gpio.digital.GpioDDigitalInputProvider;
import com.pi4j.plugin.mock.provider.gpio.digital.MockDigitalInputProvider;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jboss.logging.Logger;
import org.minimeter.gateway.hal.DigitalInput;

/**
 * Opens digital inputs through Pi4J 2: a converter's DRDY line through gpiod on a board, or
 * Pi4J's in-memory mock provider off one.
 *
 * <p>Providers by name: {@code gpiod} (the GPIO character device {@code /dev/gpiochip*}, which
 * delivers edges as kernel events), {@code mock} (Pi4J's mock: the level is set by the test or
 * demo with {@code MockDigitalInput.mockState}), or {@code auto}: gpiod. As for SPI, {@code auto}
 * never falls back to mock: a DRDY that can never fire would only turn into endless timeouts.
 * linuxfs (sysfs) is not offered: it has no edge events in Pi4J 2.8 and its numbers are
 * offset from kernel 6.6.
 *
 * <p>Inputs are opened with no pull resistor (a DRDY output drives the line both ways) and with
 * Pi4J's debounce off: its default of 10 ms would swallow every DRDY pulse at 8 kHz.
 */
public final class Pi4jDigitalInputs implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Pi4jDigitalInputs.class);

    /** The provider names the constructor accepts. */
    public static final List<String> PROVIDERS = List.of("auto", "gpiod", "mock");

    /** Where the kernel creates the GPIO character devices gpiod opens. */
    public static final Path DEVICE_DIR = Path.of("/dev");

    static final Pi4jBackend MOCK = Pi4jBackend.mock(MockDigitalInputProvider.ID,
            MockDigitalInputProvider::newInstance);
    static final Pi4jBackend GPIOD = new Pi4jBackend("gpiod", GpioDDigitalInputProvider.ID,
            "gpiod needs a Raspberry Pi with a /dev/gpiochip* device this user may open, e.g. in group gpio", false,
            GpioDDigitalInputProvider::newInstance);

    private final Pi4jBackend backend;
    private final String description;
    private final Path deviceDir;
    private final Context context;
    private final Map<Integer, Pi4jDigitalInput> open = new LinkedHashMap<>();
    private boolean closed;

    /**
     * Builds a Pi4J context for the named provider, looking for gpiochip devices in
     * {@link #DEVICE_DIR}.
     *
     * @throws IllegalArgumentException if the provider is not one of {@link #PROVIDERS}
     * @throws IllegalStateException if Pi4J cannot start the provider
     */
    public Pi4jDigitalInputs(String provider) {
        this(provider, DEVICE_DIR);
    }

    /** As {@link #Pi4jDigitalInputs(String)}, looking for gpiochip devices in {@code deviceDir}. */
    public Pi4jDigitalInputs(String provider, Path deviceDir) {
        this.deviceDir = Objects.requireNonNull(deviceDir, "deviceDir");
        if (provider == null) {
            throw Pi4jContexts.notAllowed("Pi4J digital input provider", null, PROVIDERS);
        }
        this.backend = switch (provider) {
            case "mock" -> MOCK;
            case "gpiod", "auto" -> GPIOD;
            default -> throw Pi4jContexts.notAllowed("Pi4J digital input provider", provider, PROVIDERS);
        };
        String reason = backend.mock() ? "chosen explicitly; in memory, no GPIO pin is read"
                : Pi4jContexts.reason(provider, deviceDir, "gpiochip");
        this.description = backend.name("digital input provider") + " (" + reason + ")";
        this.context = backend.buildContext("digital input provider");
    }

    /** Which backend is in use and why, for the start-up log. */
    public String description() {
        return description;
    }

    /**
     * Opens an input.
     *
     * @param name the line's role, e.g. {@code DRDY}
     * @param pin the BCM GPIO number
     * @throws IllegalArgumentException if the pin is off the header or already open
     * @throws IllegalStateException if there is no GPIO device or Pi4J cannot read the pin,
     *     naming the pin, the role and the fix
     */
    public synchronized DigitalInput open(String name, int pin) {
        Objects.requireNonNull(name, "name");
        if (closed) {
            throw new IllegalStateException("Pi4J " + backend.label() + " inputs are closed: cannot open GPIO " + pin
                    + " for " + name);
        }
        Pi4jDigitalLines.checkHeaderPin(pin, name);
        Pi4jDigitalInput existing = open.get(pin);
        if (existing != null) {
            throw new IllegalArgumentException("GPIO " + pin + " for " + name + " is already used by "
                    + existing.name());
        }
        if (backend == GPIOD && Pi4jContexts.devices(deviceDir, "gpiochip").isEmpty()) {
            throw new IllegalStateException("GPIO " + pin + " for " + name + ": no gpiochip device in " + deviceDir
                    + ": gpiod needs the GPIO character device (a Raspberry Pi has " + deviceDir.resolve("gpiochip0")
                    + "; in a container, mount it: --device " + deviceDir.resolve("gpiochip0") + ")");
        }
        String id = "gpio-in" + pin;
        DigitalInputConfig config = com.pi4j.io.gpio.digital.DigitalInput.newConfigBuilder(context)
                .id(id)
                .name(name)
                .address(pin)
                .pull(PullResistance.OFF)
                .debounce(0L)
                .provider(backend.providerId())
                .build();
        com.pi4j.io.gpio.digital.DigitalInput input = Pi4jContexts.create(() -> context.create(config),
                "Pi4J " + backend.label() + " provider cannot read GPIO " + pin + " for " + name,
                backend.requirement());
        Pi4jDigitalInput line = new Pi4jDigitalInput(name, pin, input, backend.label(), () -> release(id, pin));
        open.put(pin, line);
        LOG.debugf("Opened input %s through the Pi4J %s provider", line.name(), backend.label());
        return line;
    }

    private synchronized void release(String id, int pin) {
        open.remove(pin);
        Pi4jContexts.release(LOG, context, id, "Pi4J " + backend.label() + " provider could not release GPIO " + pin);
    }

    /** Closes every open input (waiters return false) and the Pi4J context. */
    @Override
    public void close() {
        List<Pi4jDigitalInput> toClose;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            toClose = new ArrayList<>(open.values());
        }
        Pi4jContexts.closeAll(LOG, toClose, Pi4jDigitalInput::close, in -> "Could not close " + in.name(), context,
                backend.name("digital input provider"));
    }
}
