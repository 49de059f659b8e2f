package org.minimeter.gateway.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.minimeter.gateway.mqtt.Discovery;
import org.minimeter.gateway.mqtt.MqttSettings;
import org.minimeter.gateway.mqtt.Topics;

/**
 * A meter as the MQTT publisher sees it: the runtime it reads, its topics, and its Home
 * Assistant discovery.
 *
 * @param device the retained device-based discovery config, sent on every connect and when
 *     Home Assistant comes online; empty with discovery turned off
 * @param migration HA's migration from this meter's older per-sensor discovery topics, sent
 *     once instead of the plain device config while {@code migrated} does not exist yet
 * @param migrated a file written once the migration has been published (beside the register)
 */
public record PublishedMeter(MeterRuntime meter, Topics topics, Optional<Discovery.Config> device,
        List<Discovery.Step> migration, Path migrated, double sampleRate) {

    public PublishedMeter {
        migration = List.copyOf(migration);
    }

    public String id() {
        return meter.id();
    }

    /** The same topics and discovery for the meter's successor after a restart. */
    PublishedMeter withMeter(MeterRuntime fresh) {
        return new PublishedMeter(fresh, topics, device, migration, migrated, sampleRate);
    }

    /** The marker file's name, in the meter's register directory. */
    static final String MIGRATED = "ha-device-discovery";

    /**
     * A meter's topics and discovery under the gateway's MQTT settings. A meter whose register
     * is new never had per-sensor discovery topics: it is marked migrated at once.
     */
    static PublishedMeter of(MeterRuntime meter, MqttSettings s, String gatewayStatusTopic,
            Discovery.Intervals intervals, String model, String version, double sampleRate, boolean newRegister) {
        Topics topics = new Topics(s.topicPrefix(), meter.id(), s.discoveryPrefix());
        Path migrated = meter.keeper().store().directory().resolve(MIGRATED);
        if (!s.discovery()) {
            return new PublishedMeter(meter, topics, Optional.empty(), List.of(), migrated, sampleRate);
        }
        int elements = meter.spec().elements();
        Discovery.Config device = Discovery.device(topics, gatewayStatusTopic, elements, model, version, intervals);
        if (newRegister && !Files.exists(migrated)) {
            try {
                Files.writeString(migrated, "new meter: device discovery from the start\n");
            } catch (IOException e) {
                // Without the marker the first connect migrates topics that never existed: harmless.
            }
        }
        return new PublishedMeter(meter, topics, Optional.of(device), Discovery.migration(topics, elements, device),
                migrated, sampleRate);
    }
}
