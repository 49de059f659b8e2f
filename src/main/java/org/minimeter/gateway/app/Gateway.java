package org.minimeter.gateway.app;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Clock;
import java.time.Duration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;
import org.eclipse.microprofile.config.ConfigProvider;
import org.minimeter.gateway.app.config.GatewayConfig;
import org.minimeter.gateway.app.config.GatewaySetup;
import org.minimeter.gateway.app.config.HaConfig;
import org.minimeter.gateway.app.config.MetersConfig;
import org.minimeter.gateway.app.config.HalConfig;
import org.minimeter.gateway.app.config.InvalidConfigException;
import org.minimeter.gateway.app.config.MeterConfig;
import org.minimeter.gateway.app.config.MeterSetup;
import org.minimeter.gateway.app.config.MqttConfig;
import org.minimeter.gateway.app.config.MqttSetup;
import org.minimeter.gateway.app.config.OutputsConfig;
import org.minimeter.gateway.app.config.ReplayConfig;
import org.minimeter.gateway.app.config.SimulatorConfig;
import org.minimeter.gateway.app.config.SparkplugConfig;
import org.minimeter.gateway.app.config.SparkplugSetup;
import org.minimeter.gateway.app.config.StorageConfig;
import org.minimeter.gateway.hal.DigitalLine;
import org.minimeter.gateway.hal.DigitalLines;
import org.minimeter.gateway.hal.MonotonicClock;
import org.minimeter.gateway.hal.pi4j.Pi4jDigitalLines;
import org.minimeter.gateway.hal.simulator.SimulatedDigitalLines;
import org.minimeter.gateway.metering.AlarmEvent;
import org.minimeter.gateway.metering.Condition;
import org.minimeter.gateway.mqtt.Discovery;
import org.minimeter.gateway.mqtt.EmbeddedBroker;
import org.minimeter.gateway.mqtt.Topics;
import org.minimeter.gateway.hal.pi4j.Pi4jDigitalInputs;
import org.minimeter.gateway.persistence.MeterCalibration;
import org.minimeter.gateway.persistence.history.IntervalHistory;
import org.minimeter.gateway.persistence.Outbox;
import org.minimeter.gateway.persistence.RegisterState;
import org.minimeter.gateway.persistence.RegisterStore;
import org.minimeter.gateway.persistence.StorageException;

/**
 * Wires the gateway at start-up: checks the configuration (stopping start-up on a bad value,
 * with nothing started), logs the effective configuration once, opens every meter's
 * register, source and output lines, the one outbox and the one MQTT session, and only then
 * starts the shared threads. A start-up that fails half-way releases everything it opened.
 */
@ApplicationScoped
public class Gateway {

    private static final Logger LOG = Logger.getLogger(Gateway.class);

    private final MeterConfig meterConfig;
    private final HalConfig halConfig;
    private final SimulatorConfig simulatorConfig;
    private final StorageConfig storageConfig;
    private final OutputsConfig outputsConfig;
    private final MqttConfig mqttConfig;
    private final HaConfig haConfig;
    private final MetersConfig metersConfig;
    private final GatewayConfig gatewayConfig;
    private final ReplayConfig replayConfig;
    private final Map<String, MeterRuntime> meters = new LinkedHashMap<>();
    private final Map<String, MeterCalibration> calibrations = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean started;
    private volatile GatewaySetup setup;
    private volatile MqttSetup mqttSetup;
    private final long startedNanos = System.nanoTime();
    private MeterHost host;
    private MqttPublisher publisher;
    @jakarta.inject.Inject
    SparkplugConfig sparkplugConfig;
    private SparkplugBridge sparkplug; // null unless sparkplug.enabled: started last, stopped first
    private DigitalLines lines;
    private EmbeddedBroker broker;
    private java.util.concurrent.ScheduledExecutorService logService;
    private PowerFailWatch powerFail;
    /** The meters' front ends and the devices they share. */
    private MeterSources sources;
    @jakarta.inject.Inject
    org.minimeter.gateway.app.config.ModbusConfig modbusConfig;
    private ModbusBridge modbus;

    Gateway(MeterConfig meterConfig, HalConfig halConfig, SimulatorConfig simulatorConfig,
            StorageConfig storageConfig, OutputsConfig outputsConfig, MqttConfig mqttConfig, HaConfig haConfig,
            MetersConfig metersConfig, GatewayConfig gatewayConfig, ReplayConfig replayConfig) {
        this.replayConfig = replayConfig;
        this.mqttConfig = mqttConfig;
        this.haConfig = haConfig;
        this.meterConfig = meterConfig;
        this.halConfig = halConfig;
        this.simulatorConfig = simulatorConfig;
        this.storageConfig = storageConfig;
        this.outputsConfig = outputsConfig;
        this.metersConfig = metersConfig;
        this.gatewayConfig = gatewayConfig;
    }

    /** The configuration, checked: throws with one line per bad key. */
    GatewaySetup setup() {
        return GatewaySetup.from(meterConfig, halConfig, simulatorConfig, replayConfig, storageConfig, outputsConfig,
                metersConfig, gatewayConfig);
    }

    void onStart(@Observes StartupEvent event) {
        if (Main.commandMode()) {
            // a command (calibrate, capture) opens only the meter it works on
            return;
        }
        GatewaySetup setup = setup();
        MqttSetup mqtt = MqttSetup.from(mqttConfig, haConfig, setup.gatewayId());
        var modbusSetup = org.minimeter.gateway.app.config.ModbusSetup.from(modbusConfig, metersConfig, setup);
        int savesPerSecond = storageConfig.maxSavesPerSecond();
        if (savesPerSecond < 1 || savesPerSecond > 100_000) {
            throw new InvalidConfigException(List.of("storage.max-saves-per-second=" + savesPerSecond
                    + " is not allowed: allowed 1 to 100000"));
        }
        if (storageConfig.historyDays() < 1 || storageConfig.historyDays() > 3660) {
            throw new InvalidConfigException(List.of("storage.history-days=" + storageConfig.historyDays()
                    + " is not allowed: allowed 1 to 3660 days"));
        }
        SparkplugSetup sparkplugSetup = SparkplugSetup.from(sparkplugConfig, setup);
        this.setup = setup;
        this.mqttSetup = mqtt;
        LOG.info("Mini Meter Gateway starting with:");
        setup.describe().forEach(line -> LOG.info("  " + line));
        LOG.info("  " + mqtt.describe() + " storage.max-saves-per-second=" + savesPerSecond);
        LOG.info("  " + modbusSetup.describe());
        LOG.info("  " + sparkplugSetup.describe());
        Deque<AutoCloseable> opened = new ArrayDeque<>();
        try {
            if (setup.meters().stream().anyMatch(m -> !m.pins().isEmpty())) {
                lines = openLines(setup.meters().get(0).gpioProvider());
                opened.push(lines);
                LOG.infof("Outputs: %s", lines.description());
            }
            sources = new MeterSources(MonotonicClock.SYSTEM);
            opened.push(sources);
            List<PublishedMeter> published = new ArrayList<>();
            String gatewayStatus = new Topics(mqtt.settings().topicPrefix(), setup.gatewayId(),
                    mqtt.settings().discoveryPrefix()).status();
            var intervals = new Discovery.Intervals(mqtt.energyInterval(), mqtt.powerInterval(), mqtt.healthInterval());
            for (MeterSetup m : setup.meters()) {
                boolean newRegister = !Files.exists(m.registerDir());
                MeterRuntime runtime = openMeter(m, opened, null, null);
                synchronized (meters) {
                    meters.put(m.id(), runtime);
                }
                String model = String.format("Mini Meter, %d element(s), CT %d A, %d Hz", m.elements(), m.ctRating(),
                        m.frequency());
                published.add(PublishedMeter.of(runtime, mqtt.settings(), gatewayStatus, intervals, model, version(),
                        m.sampleRate(), newRegister));
            }
            if (mqtt.embedded()) {
                broker = EmbeddedBroker.start(mqtt.settings().host(), mqtt.settings().port());
                opened.push(broker);
            } else {
                if (mqtt.settings().brokers().size() == 1) {
                    LOG.infof("MQTT: using the broker at %s", mqtt.settings().brokers().get(0));
                } else {
                    LOG.infof("MQTT: using %d brokers, first %s, then the others in turn when one fails: %s",
                            mqtt.settings().brokers().size(), mqtt.settings().brokers().get(0),
                            mqtt.settings().brokerList());
                }
            }
            Map<String, Path> registerDirs = new LinkedHashMap<>();
            setup.meters().forEach(m -> registerDirs.put(m.id(), m.registerDir()));
            Outbox outbox = openOutbox(setup.outboxDir(), mqtt.outboxMaxBytes(), registerDirs);
            opened.push(outbox);
            publisher = new MqttPublisher(published, outbox, mqtt.settings(),
                    new Topics(mqtt.settings().topicPrefix(), setup.gatewayId(), mqtt.settings().discoveryPrefix()),
                    mqtt.energyInterval(), mqtt.powerInterval(), mqtt.healthInterval(), Clock.systemUTC());
            host = new MeterHost(0, MonotonicClock.SYSTEM, publisher, savesPerSecond);
            for (MeterRuntime m : meters()) {
                host.add(m);
            }
            // Everything is wired: only now does anything run (alarms raised while opening the
            // meters, such as register_fallback, wait in their queues for the first dispatch).
            publisher.start();
            host.start();
            if (halConfig.powerFailPin().isPresent()) {
                powerFail = openPowerFail(halConfig.powerFailPin().get(), setup, opened);
            }
            if (modbusSetup.enabled()) {
                modbus = ModbusBridge.start(modbusSetup.settings(), modbusSetup.unitIds(), this::meter, version());
                opened.push(modbus);
            }
            sparkplug = SparkplugBridge.startIfEnabled(sparkplugSetup, mqtt.settings(), setup, this::meter, version());
        } catch (RuntimeException e) {
            if (host != null) {
                host.close();
            }
            if (publisher != null) {
                publisher.stop(Duration.ZERO);
            }
            closeAll(opened);
            synchronized (meters) {
                meters.clear();
            }
            host = null;
            publisher = null;
            sources = null;
            if (e instanceof InvalidConfigException ice) {
                throw ice;
            }
            throw new InvalidConfigException(List.of(e.getMessage() != null ? e.getMessage() : e.toString()));
        }
        startLog(setup.meters().get(0).logInterval());
        started = true;
        for (MeterSetup m : setup.meters()) {
            LOG.infof("Meter %s: %d element(s), %d Hz, CT %d A, %d samples/s from the %s source, %s%s", m.id(),
                    m.elements(), m.frequency(), m.ctRating(), m.sampleRate(), m.source(), describeSource(m),
                    m.pins().isEmpty() ? ", no physical outputs" : "");
        }
        LOG.infof("Gateway %s: %d meter(s) on %d sampling thread(s)", setup.gatewayId(), meters().size(),
                Runtime.getRuntime().availableProcessors());
    }

    /**
     * @param newCalibration a calibration to store and use (audited with {@code auditLine}), or
     *     null for the stored one
     */
    private MeterRuntime openMeter(MeterSetup m, Deque<AutoCloseable> opened, MeterCalibration newCalibration,
            String auditLine) {
        // The front end first: a meter whose device is missing leaves nothing behind on disk.
        MeterCalibration stored = newCalibration != null ? newCalibration
                : RegisterStore.peekCalibration(m.storageDir(), m.id()).orElse(MeterCalibration.none(m.elements()));
        MeterCalibration calibration = withConfiguredSigns(m, stored, Clock.systemUTC());
        MeterSources.Opened source = sources.open(m, calibration);
        opened.push(source.resource());
        RegisterStore store = new RegisterStore(m.storageDir(), m.id(), m.keep());
        opened.push(store);
        if (newCalibration != null) {
            store.saveCalibration(newCalibration, auditLine);
        }
        recordCalibration(m, store, stored, calibration);
        calibrations.put(m.id(), calibration);
        RegisterStore.Loaded loaded = store.load();
        RegisterState state = startingState(m, store, loaded);
        // a restarted meter opens its lines again: its predecessor released them at its stop
        Map<String, DigitalLine> outputLines = new LinkedHashMap<>();
        for (var pin : m.pins().entrySet()) {
            outputLines.put(pin.getKey(), lines.open(pin.getKey(), pin.getValue()));
        }
        MeterRuntime runtime = new MeterRuntime(m.id(), source.input(), store, state, m.outputs(), outputLines,
                m.savePolicy(), MonotonicClock.SYSTEM, Clock.systemUTC());
        if (loaded.fellBack()) {
            runtime.onAlarm(new AlarmEvent(Condition.REGISTER_FALLBACK, 0, true, 0, state.generation(), Double.NaN));
        }
        runtime.addAlarmListener(a -> ReadingLog.logAlarm(m.id(), a));
        runtime.attachHistory(IntervalHistory.open(m.registerDir().resolve("history"), m.elements(),
                storageConfig.historyDays()));
        return runtime;
    }

    /**
     * The stored calibration with the channel signs the configuration gives ({@code invert}).
     * A sign change is a calibration change: {@link #recordCalibration} stores and audits it.
     */
    static MeterCalibration withConfiguredSigns(MeterSetup m, MeterCalibration stored, Clock clock) {
        if (stored.trim().size() != m.elements()) {
            throw new StorageException("calibration: " + m.registerDir().toAbsolutePath().normalize()
                    + "/calibration.properties is for " + stored.trim().size() + " element(s) but meter " + m.id()
                    + " has " + m.elements() + "; move it away and calibrate again");
        }
        return stored.inverted().equals(m.invert()) ? stored : stored.withInverted(m.invert(), clock.instant());
    }

    /** Logs the calibration in use; a change of channel signs is stored and audited with both values. */
    static void recordCalibration(MeterSetup m, RegisterStore store, MeterCalibration stored,
            MeterCalibration effective) {
        if (effective.equals(stored)) {
            if (!stored.equals(MeterCalibration.none(m.elements()))) {
                LOG.infof("Meter %s: calibration of %s applied: %s", m.id(), stored.updated(), stored.describe());
            }
            return;
        }
        String was = channels(stored.inverted());
        String is = channels(effective.inverted());
        store.saveCalibration(effective, effective.updated() + " channel sign by configuration (invert): inverted "
                + was + " -> " + is + "; now " + effective.describe());
        LOG.warnf("Meter %s: channels read inverted changed from %s to %s by configuration (recorded in audit.log)",
                m.id(), was, is);
    }

    private static String channels(java.util.Set<String> c) {
        return c.isEmpty() ? "none" : String.join(",", new java.util.TreeSet<>(c));
    }

    /**
     * The gateway's one outbox under {@code <storage.dir>/outbox}; a single meter's outbox of an
     * earlier version ({@code <storage.dir>/<id>/outbox}) is moved into it first, before
     * anything new is appended, so each meter's old messages still go before its new ones.
     */
    static Outbox openOutbox(Path dir, long maxBytes, Map<String, Path> registerDirs) {
        Outbox outbox = new Outbox(dir, maxBytes);
        try {
            for (var e : registerDirs.entrySet()) {
                Path old = e.getValue().resolve("outbox");
                if (Files.isDirectory(old)) {
                    long moved = outbox.importFrom(old);
                    LOG.infof("MQTT: moved %d unsent message(s) of meter %s from %s into the gateway's outbox %s",
                            moved, e.getKey(), old, dir);
                }
            }
            if (outbox.integrity().lost() > 0 || outbox.integrity().ackJournalDamaged()) {
                LOG.errorf("MQTT: the outbox in %s was damaged on disk: %s", outbox.directory(), outbox.integrity());
            }
            if (outbox.stats().depth() > 0) {
                LOG.infof("MQTT: %d message(s) waiting in the outbox from before; they go first",
                        outbox.stats().depth());
            }
            return outbox;
        } catch (RuntimeException e) {
            outbox.close();
            throw e;
        }
    }

    private static void closeAll(Deque<AutoCloseable> opened) {
        while (!opened.isEmpty()) {
            try {
                opened.pop().close();
            } catch (Exception e) {
                LOG.debugf("closing after a failed start: %s", e.getMessage());
            }
        }
    }

    /** True once every meter is wired and running. */
    public boolean started() {
        return started;
    }

    /** The loaded register (or a new one on a first start), checked against the meter and seeded. */
    private static RegisterState startingState(MeterSetup setup, RegisterStore store, RegisterStore.Loaded loaded) {
        RegisterState state;
        if (loaded.fresh()) {
            state = RegisterState.empty(setup.elements());
            LOG.warnf("Register: none under %s; starting a new register at zero (first start of meter %s)",
                    store.directory().toAbsolutePath().normalize(), setup.id());
            store.audit(Clock.systemUTC().instant() + " created new register at zero");
        } else {
            state = loaded.state();
            if (loaded.fellBack()) {
                LOG.errorf("Register: newest file(s) damaged (%s); loaded the previous good one, %s",
                        String.join("; ", loaded.rejected()), loaded.file().getFileName());
            }
            LOG.infof("Register: generation %d from %s, delivered %.6f kWh, received %.6f kWh, pulse seq %s,"
                    + " counter owed %d", state.generation(), state.savedAt(), state.energy().deliveredKwh(0),
                    state.energy().receivedKwh(0), state.sequences(), state.counterBacklog());
        }
        if (state.energy().elements() != setup.elements()) {
            throw new StorageException("storage.dir: the register in " + store.directory().toAbsolutePath().normalize() + " has "
                    + state.energy().elements() + " element(s) but meter.elements=" + setup.elements()
                    + "; use another meter.id or storage.dir for a different meter");
        }
        long wh = setup.outputs().counterWh();
        if (state.counterWh() != 0 && state.counterWh() != wh && state.counterBacklog() > 0) {
            RegisterState converted = state.withCounterQuantum(wh);
            LOG.warnf("Register: outputs.counter.wh changed from %d to %d with %d step(s) owed: now %d step(s) of %d Wh"
                    + " (%d Wh under one step not driven)", state.counterWh(), wh, state.counterBacklog(),
                    converted.counterBacklog(), wh, state.counterRemainderWh(wh));
            store.audit(Clock.systemUTC().instant() + " counter quantum " + state.counterWh() + " Wh -> " + wh
                    + " Wh, owed steps " + state.counterBacklog() + " -> " + converted.counterBacklog());
        }
        state = state.withCounterQuantum(wh);
        if (setup.seed().isPresent()) {
            var seed = setup.seed().get();
            Optional<RegisterState> seeded = seed.applyTo(store, state, Clock.systemUTC().instant());
            if (seeded.isPresent()) {
                LOG.warnf("Register seeded (storage.seed.id=%s): delivered %.6f -> %.6f kWh, received %.6f -> %.6f kWh;"
                        + " recorded in audit.log", seed.id(), state.energy().deliveredKwh(0),
                        seeded.get().energy().deliveredKwh(0), state.energy().receivedKwh(0),
                        seeded.get().energy().receivedKwh(0));
                state = seeded.get();
            } else {
                LOG.infof("Register seed %s was applied before (see audit.log); not applied again", seed.id());
            }
        }
        return state;
    }

    private static DigitalLines openLines(String provider) {
        if ("simulated".equals(provider)) {
            return new SimulatedDigitalLines(MonotonicClock.SYSTEM);
        }
        return new Pi4jDigitalLines(provider);
    }

    private static String describeSource(MeterSetup setup) {
        if (setup.simulator() == null) {
            return setup.sourceDescription();
        }
        var s = setup.simulator();
        String frontEnd = s.adcBits() == 0 ? "ideal samples"
                : s.adcBits() + "-bit ADC, " + MeterSetup.fmt(s.noiseLsb()) + " LSB noise, "
                        + MeterSetup.fmt(s.skewMicros()) + " us V/I skew (calibrated out)";
        return MeterSetup.fmt(s.speed()) + " x real time, " + frontEnd;
    }

    static String version() {
        return ConfigProvider.getConfig().getOptionalValue("quarkus.application.version", String.class).orElse("dev");
    }

    /** The reading log and failure log, on a thread of their own started once everything is wired. */
    private void startLog(Duration interval) {
        ReadingLog log = new ReadingLog(this::meters);
        logService = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "reading-log");
            t.setDaemon(true);
            return t;
        });
        logService.scheduleWithFixedDelay(guarded(log::logReadings), 1000, interval.toMillis(),
                java.util.concurrent.TimeUnit.MILLISECONDS);
        logService.scheduleWithFixedDelay(guarded(log::logFailures), 1000, 1000,
                java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    private static Runnable guarded(Runnable r) {
        return () -> {
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.debugf("reading log: %s", e.getMessage());
            }
        };
    }

    /** The power-fail input on its pin, checked against every pin the meters use. */
    private PowerFailWatch openPowerFail(int pin, GatewaySetup setup, Deque<AutoCloseable> opened) {
        List<String> problems = new ArrayList<>();
        if (pin < 0 || pin > 27) {
            problems.add("hal.power-fail-pin=" + pin + " is not allowed: allowed BCM GPIO 0 to 27");
        }
        for (MeterSetup m : setup.meters()) {
            if (m.pins().containsValue(pin) || m.spi().map(s -> s.drdyPin() == pin).orElse(false)) {
                problems.add("hal.power-fail-pin=" + pin + " is not allowed: allowed a GPIO no meter uses (meter "
                        + m.id() + " uses it)");
            }
        }
        String provider = setup.meters().get(0).gpioProvider();
        if (!Pi4jDigitalInputs.PROVIDERS.contains(provider)) {
            problems.add("hal.power-fail-pin=" + pin + " needs hal.gpio.provider " + Pi4jDigitalInputs.PROVIDERS
                    + ", was " + provider);
        }
        if (!problems.isEmpty()) {
            throw new InvalidConfigException(problems);
        }
        Pi4jDigitalInputs inputs = new Pi4jDigitalInputs(provider);
        PowerFailWatch w;
        try {
            w = new PowerFailWatch(inputs.open("power-fail", pin), inputs, host);
        } catch (RuntimeException e) {
            inputs.close();
            throw e;
        }
        opened.push(w);
        w.start();
        LOG.infof("Power-fail input on GPIO %d (%s): every register is saved when it goes low", pin,
                inputs.description());
        return w;
    }

    void onStop(@Observes ShutdownEvent event) {
        started = false;
        if (modbus != null) {
            modbus.close(); // first: no read sees a meter that is stopping
        }
        if (powerFail != null) {
            powerFail.close();
        }
        if (sparkplug != null) {
            sparkplug.stop();
        }
        if (logService != null) {
            logService.shutdownNow();
        }
        if (host != null) {
            // Every meter stops (saved, outputs off, unlocked) even if one of them fails to.
            host.close();
            for (MeterRuntime m : meters()) {
                RegisterState d = m.durable();
                LOG.infof("Meter %s stopped; register saved as generation %d: delivered %.6f kWh, received %.6f kWh",
                        m.id(), d.generation(), d.energy().deliveredKwh(0), d.energy().receivedKwh(0));
            }
        }
        if (publisher != null) {
            try {
                publisher.stop(Duration.ofSeconds(3));
            } catch (RuntimeException e) {
                LOG.errorf(e, "MQTT: clean stop failed");
            }
        }
        if (lines != null) {
            lines.close();
        }
        // after the meters: each closed its own device first
        if (sources != null) {
            sources.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    /** The checked configuration the gateway runs with (empty before start-up). */
    public Optional<GatewaySetup> runningSetup() {
        return Optional.ofNullable(setup);
    }

    /** The effective configuration as the start-up log shows it (no secrets in it). */
    public List<String> describe() {
        GatewaySetup s = setup;
        MqttSetup q = mqttSetup;
        if (s == null || q == null) {
            return List.of();
        }
        List<String> lines = new ArrayList<>(s.describe());
        lines.add(q.describe() + " storage.max-saves-per-second=" + storageConfig.maxSavesPerSecond()
                + " storage.history-days=" + storageConfig.historyDays());
        return lines;
    }

    public String id() {
        GatewaySetup s = setup;
        return s == null ? gatewayConfig.id().orElse(meterConfig.id()) : s.gatewayId();
    }

    public double uptimeSeconds() {
        return (System.nanoTime() - startedNanos) / 1e9;
    }

    /** The one status record of each meter (see {@link MeterStatus}), in configuration order. */
    public List<MeterStatus> statuses() {
        MqttPublisher p = publisher;
        MeterHost h = host;
        if (p == null || h == null) {
            return List.of();
        }
        List<String> threads = h.threadProblems();
        return meters().stream().map(m -> p.status(m, threads)).toList();
    }

    /**
     * Restarts meter {@code id} while the others run: its register is saved and closed, then
     * it is opened again through the same path as at start-up, with {@code change} applied to
     * its configuration (a register seed) and, if given, a new calibration stored and audited.
     * If the new meter cannot be opened (a seed refused, a device gone), the meter is opened
     * as it was and the reason is thrown.
     */
    public synchronized MeterRuntime restartMeter(String id, java.util.function.UnaryOperator<MeterSetup> change,
            MeterCalibration newCalibration, String auditLine) {
        MeterRuntime old = meter(id).orElseThrow(() -> new IllegalArgumentException("no meter '" + id + "'"));
        MeterSetup setup = this.setup.meters().stream().filter(x -> x.id().equals(id)).findFirst().orElseThrow();
        MeterSetup without = setup.withoutSeed();
        MeterRuntime fresh = host.replace(old, () -> reopen(old, change.apply(without), newCalibration, auditLine),
                () -> reopen(old, without, null, null));
        LOG.infof("Meter %s restarted: register generation %d, delivered %.6f kWh, received %.6f kWh", id,
                fresh.durable().generation(), fresh.durable().energy().deliveredKwh(0),
                fresh.durable().energy().receivedKwh(0));
        return fresh;
    }

    private MeterRuntime reopen(MeterRuntime old, MeterSetup s, MeterCalibration calibration, String auditLine) {
        Deque<AutoCloseable> opened = new ArrayDeque<>();
        try {
            MeterRuntime fresh = openMeter(s, opened, calibration, auditLine);
            publisher.replace(fresh);
            synchronized (meters) {
                meters.put(s.id(), fresh);
            }
            return fresh;
        } catch (RuntimeException e) {
            closeAll(opened);
            throw e;
        }
    }

    /** The calibration meter {@code id} runs with. */
    public Optional<MeterCalibration> calibration(String id) {
        return Optional.ofNullable(calibrations.get(id));
    }

    public Optional<MeterStatus> status(String id) {
        MqttPublisher p = publisher;
        MeterHost h = host;
        if (p == null || h == null) {
            return Optional.empty();
        }
        return meter(id).map(m -> p.status(m, h.threadProblems()));
    }

    public Optional<MqttPublisher> publisher() {
        return Optional.ofNullable(publisher);
    }

    public Collection<MeterRuntime> meters() {
        synchronized (meters) {
            return List.copyOf(meters.values());
        }
    }

    public Optional<MeterRuntime> meter(String id) {
        synchronized (meters) {
            return Optional.ofNullable(meters.get(id));
        }
    }
}
