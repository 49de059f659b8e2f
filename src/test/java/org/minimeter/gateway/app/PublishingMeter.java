package org.minimeter.gateway.app;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.minimeter.gateway.hal.simulator.SimulatorSettings;
import org.minimeter.gateway.mqtt.Discovery;
import org.minimeter.gateway.mqtt.MqttSettings;
import org.minimeter.gateway.mqtt.Topics;
import org.minimeter.gateway.persistence.Outbox;

/** A production meter with its MQTT publisher, without Quarkus: what the gateway wires per meter. */
public final class PublishingMeter implements AutoCloseable {

    public final MeterRuntime meter;
    public final MqttPublisher publisher;

    public PublishingMeter(String id, SimulatorSettings s, Path storage, MqttSettings mqtt, Duration energyInterval,
            Duration healthInterval) {
        this.meter = SimulatedMeter.build(id, s, storage);
        Outbox outbox = new Outbox(storage.resolve(id).resolve("outbox"), 64L << 20);
        List<Discovery.Config> discovery = Discovery.configs(new Topics(mqtt.topicPrefix(), id, mqtt.discoveryPrefix()),
                s.elements(), "test model", "test");
        this.publisher = new MqttPublisher(meter, outbox, mqtt, discovery, energyInterval, Duration.ofMillis(500),
                healthInterval, s.sampleRate(), Clock.systemUTC());
    }

    public static MqttSettings plain(String host, int port, String clientId) {
        return new MqttSettings(host, port, clientId, "auto", Optional.empty(), Optional.empty(), false,
                Optional.empty(), Optional.empty(), Optional.empty(), "minimeter", true, "homeassistant");
    }

    public PublishingMeter start() {
        meter.start();
        publisher.start();
        // alarms reach the publisher through the dispatcher the gateway's scheduler runs
        Thread dispatcher = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                meter.dispatchAlarms();
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "alarm-dispatch");
        dispatcher.setDaemon(true);
        dispatcher.start();
        return this;
    }

    @Override
    public void close() throws InterruptedException {
        meter.stop();
        publisher.stop(Duration.ofSeconds(5));
    }
}
