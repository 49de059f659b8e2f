package org.minimeter.gateway.app;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;
import org.eclipse.microprofile.config.ConfigProvider;
import org.minimeter.gateway.app.config.HaConfig;
import org.minimeter.gateway.app.config.HalConfig;
import org.minimeter.gateway.app.config.InvalidConfigException;
import org.minimeter.gateway.app.config.MeterConfig;
import org.minimeter.gateway.app.config.MeterSetup;
import org.minimeter.gateway.app.config.MqttConfig;
import org.minimeter.gateway.app.config.MqttSetup;
import org.minimeter.gateway.app.config.OutputsConfig;
import org.minimeter.gateway.app.config.SimulatorConfig;
import org.minimeter.gateway.app.config.StorageConfig;
import org.minimeter.gateway.hal.DigitalLine;
import org.minimeter.gateway.hal.DigitalLines;
import org.minimeter.gateway.hal.MonotonicClock;
import org.minimeter.gateway.hal.WaveformSource;
import org.minimeter.gateway.hal.pi4j.Pi4jDigitalLines;
import org.minimeter.gateway.hal.simulator.SimulatedDigitalLines;
import org.minimeter.gateway.hal.simulator.SimulatedSource;
import org.minimeter.gateway.metering.AlarmEvent;
import org.minimeter.gateway.metering.Condition;
import org.minimeter.gateway.metering.MeterSpec;
import org.minimeter.gateway.mqtt.Discovery;
import org.minimeter.gateway.mqtt.EmbeddedBroker;
import org.minimeter.gateway.mqtt.Topics;
import org.minimeter.gateway.persistence.Outbox;
import org.minimeter.gateway.persistence.RegisterState;
import org.minimeter.gateway.persistence.RegisterStore;
import org.minimeter.gateway.persistence.StorageException;

/**
 * Wires the meters at start-up: checks the configuration (stopping start-up on a bad value),
 * logs the effective configuration once, opens each meter's register, source and output
 * lines, and starts it. The meters are keyed by id so that more than one can run in a process.
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
    private final Map<String, MeterRuntime> meters = new LinkedHashMap<>();
    private final Map<String, MqttPublisher> publishers = new LinkedHashMap<>();
    private DigitalLines lines;
    private EmbeddedBroker broker;

    Gateway(MeterConfig meterConfig, HalConfig halConfig, SimulatorConfig simulatorConfig,
            StorageConfig storageConfig, OutputsConfig outputsConfig, MqttConfig mqttConfig, HaConfig haConfig) {
        this.mqttConfig = mqttConfig;
        this.haConfig = haConfig;
        this.meterConfig = meterConfig;
        this.halConfig = halConfig;
        this.simulatorConfig = simulatorConfig;
        this.storageConfig = storageConfig;
        this.outputsConfig = outputsConfig;
    }

    void onStart(@Observes StartupEvent event) {
        MeterSetup setup = MeterSetup.from(meterConfig, halConfig, simulatorConfig, storageConfig, outputsConfig);
        MqttSetup mqtt = MqttSetup.from(mqttConfig, haConfig, setup.id());
        LOG.info("Mini Meter Gateway starting with:");
        setup.describe(simulatorConfig).forEach(line -> LOG.info("  " + line));
        LOG.info("  " + mqtt.describe());
        WaveformSource source = new SimulatedSource(setup.simulator(), MonotonicClock.SYSTEM);
        MeterSpec spec = setup.spec(source.frontEnd());
        RegisterStore store = null;
        try {
            store = new RegisterStore(setup.storageDir(), setup.id(), setup.keep());
            RegisterStore.Loaded loaded = store.load();
            RegisterState state = startingState(setup, store, loaded);
            lines = openLines(setup.gpioProvider());
            LOG.infof("Outputs: %s", lines.description());
            Map<String, DigitalLine> outputLines = new LinkedHashMap<>();
            for (var pin : setup.pins().entrySet()) {
                outputLines.put(pin.getKey(), lines.open(pin.getKey(), pin.getValue()));
            }
            MeterRuntime meter = new MeterRuntime(setup.id(), spec, source, store, state, setup.outputs(),
                    outputLines, setup.savePolicy(), MonotonicClock.SYSTEM, Clock.systemUTC());
            synchronized (meters) {
                meters.put(setup.id(), meter);
            }
            if (loaded.fellBack()) {
                meter.onAlarm(new AlarmEvent(Condition.REGISTER_FALLBACK, 0, true, 0, state.generation(), Double.NaN));
            }
            meter.addAlarmListener(a -> ReadingLog.logAlarm(setup.id(), a));
            if (mqtt.embedded()) {
                broker = EmbeddedBroker.start(mqtt.settings().host(), mqtt.settings().port());
            } else {
                LOG.infof("MQTT: using the broker at %s:%d", mqtt.settings().host(), mqtt.settings().port());
            }
            Outbox outbox = new Outbox(store.directory().resolve("outbox"), mqtt.outboxMaxBytes());
            if (outbox.integrity().lost() > 0 || outbox.integrity().ackJournalDamaged()) {
                LOG.errorf("MQTT: the outbox in %s was damaged on disk: %s", outbox.directory(), outbox.integrity());
            }
            if (outbox.stats().depth() > 0) {
                LOG.infof("MQTT: %d message(s) waiting in the outbox from before; they go first",
                        outbox.stats().depth());
            }
            String model = String.format("Mini Meter, %d element(s), CT %d A, %d Hz", setup.elements(),
                    setup.ctRating(), setup.frequency());
            List<Discovery.Config> discovery = mqtt.settings().discovery()
                    ? Discovery.configs(new Topics(mqtt.settings().topicPrefix(), setup.id(),
                            mqtt.settings().discoveryPrefix()), setup.elements(), model, version())
                    : List.of();
            MqttPublisher publisher = new MqttPublisher(meter, outbox, mqtt.settings(), discovery,
                    mqtt.energyInterval(), mqtt.powerInterval(), mqtt.healthInterval(), setup.sampleRate(),
                    Clock.systemUTC());
            synchronized (meters) {
                publishers.put(setup.id(), publisher);
            }
            meter.start();
            publisher.start();
        } catch (StorageException | IllegalArgumentException | IllegalStateException e) {
            if (broker != null) {
                broker.close();
            }
            if (store != null) {
                store.close();
            }
            if (lines != null) {
                lines.close();
            }
            throw new InvalidConfigException(List.of(e.getMessage()));
        }
        LOG.infof("Meter %s: %d element(s), %d Hz, CT %d A, %d samples/s from the %s source, %s",
                setup.id(), setup.elements(), setup.frequency(), setup.ctRating(), setup.sampleRate(),
                source.name(), describeSource(setup));
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
        var s = setup.simulator();
        String frontEnd = s.adcBits() == 0 ? "ideal samples"
                : s.adcBits() + "-bit ADC, " + MeterSetup.fmt(s.noiseLsb()) + " LSB noise, "
                        + MeterSetup.fmt(s.skewMicros()) + " us V/I skew (calibrated out)";
        return MeterSetup.fmt(s.speed()) + " x real time, " + frontEnd;
    }

    static String version() {
        return ConfigProvider.getConfig().getOptionalValue("quarkus.application.version", String.class).orElse("dev");
    }

    void onStop(@Observes ShutdownEvent event) {
        for (MeterRuntime m : meters()) {
            try {
                m.stop();
                MqttPublisher p;
                synchronized (meters) {
                    p = publishers.get(m.id());
                }
                if (p != null) {
                    p.stop(Duration.ofSeconds(3));
                }
                RegisterState d = m.durable();
                LOG.infof("Meter %s stopped; register saved as generation %d: delivered %.6f kWh, received %.6f kWh;"
                        + " outputs off", m.id(), d.generation(), d.energy().deliveredKwh(0), d.energy().receivedKwh(0));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                LOG.errorf(e, "Meter %s: clean stop failed", m.id());
            }
        }
        if (lines != null) {
            lines.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    public Optional<MqttPublisher> publisher(String id) {
        synchronized (meters) {
            return Optional.ofNullable(publishers.get(id));
        }
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
