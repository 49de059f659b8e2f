package org.minimeter.gateway.app;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.minimeter.gateway.hal.MonotonicClock;
import java.util.Optional;
import org.minimeter.gateway.hal.simulator.SimulatorSettings;
import org.minimeter.gateway.mqtt.Discovery;
import org.minimeter.gateway.mqtt.MqttSettings;
import org.minimeter.gateway.mqtt.Topics;
import org.minimeter.gateway.persistence.Outbox;

/**
 * A production gateway without Quarkus: meters on a {@link MeterHost}, one outbox under
 * {@code <storage>/outbox} and one {@link MqttPublisher}: what {@link Gateway} wires. The
 * gateway id is the first meter's, as for a single-meter gateway.
 */
public final class PublishingMeter implements AutoCloseable {

    public final MeterRuntime meter;
    public final List<MeterRuntime> meters;
    public final MqttPublisher publisher;
    public final MeterHost host;

    public PublishingMeter(String id, SimulatorSettings s, Path storage, MqttSettings mqtt, Duration energyInterval,
            Duration healthInterval) {
        this(Map.of(id, s), storage, mqtt, energyInterval, healthInterval);
    }

    public PublishingMeter(Map<String, SimulatorSettings> meters, Path storage, MqttSettings mqtt,
            Duration energyInterval, Duration healthInterval) {
        this(meters, storage, mqtt, energyInterval, Duration.ofMillis(500), healthInterval, true);
    }

    public PublishingMeter(Map<String, SimulatorSettings> meters, Path storage, MqttSettings mqtt,
            Duration energyInterval, Duration powerInterval, Duration healthInterval, boolean outputs) {
        this(meters, storage, mqtt, energyInterval, powerInterval, healthInterval, outputs, 50);
    }

    public PublishingMeter(Map<String, SimulatorSettings> meters, Path storage, MqttSettings mqtt,
            Duration energyInterval, Duration powerInterval, Duration healthInterval, boolean outputs,
            int maxSavesPerSecond) {
        List<PublishedMeter> published = new ArrayList<>();
        List<MeterRuntime> runtimes = new ArrayList<>();
        String gatewayStatus = new Topics(mqtt.topicPrefix(), new TreeMap<>(meters).firstKey(),
                mqtt.discoveryPrefix()).status();
        for (var e : new TreeMap<>(meters).entrySet()) {
            boolean newRegister = !java.nio.file.Files.exists(storage.resolve(e.getKey()));
            MeterRuntime m = SimulatedMeter.build(e.getKey(), e.getValue(), storage, outputs);
            runtimes.add(m);
            published.add(PublishedMeter.of(m, mqtt, gatewayStatus,
                    new Discovery.Intervals(energyInterval, powerInterval, healthInterval), "test model", "test",
                    e.getValue().sampleRate(), newRegister));
        }
        this.meters = List.copyOf(runtimes);
        this.meter = runtimes.get(0);
        Map<String, Path> registerDirs = new LinkedHashMap<>();
        meters.keySet().forEach(id -> registerDirs.put(id, storage.resolve(id)));
        Outbox outbox = Gateway.openOutbox(storage.resolve("outbox"), 64L << 20, registerDirs);
        this.publisher = new MqttPublisher(published, outbox, mqtt,
                new Topics(mqtt.topicPrefix(), meter.id(), mqtt.discoveryPrefix()), energyInterval,
                powerInterval, healthInterval, Clock.systemUTC());
        this.host = new MeterHost(0, MonotonicClock.SYSTEM, publisher, maxSavesPerSecond);
        runtimes.forEach(host::add);
    }

    public static MqttSettings plain(String host, int port, String clientId) {
        return new MqttSettings(host, port, clientId, "auto", Optional.empty(), Optional.empty(), false,
                Optional.empty(), Optional.empty(), Optional.empty(), "minimeter", true, "homeassistant");
    }

    public PublishingMeter start() {
        publisher.start();
        host.start();
        return this;
    }

    @Override
    public void close() {
        host.close();
        publisher.stop(Duration.ofSeconds(5));
    }
}
