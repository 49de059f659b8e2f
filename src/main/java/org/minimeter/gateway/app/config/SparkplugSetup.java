package org.minimeter.gateway.app.config;

import java.time.Duration;
import java.util.Collection;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import org.minimeter.gateway.sparkplug.Deadband;
import org.minimeter.gateway.sparkplug.EdgeNodeSettings;
import org.minimeter.gateway.sparkplug.Quantity;

/**
 * The Sparkplug side of the configuration, checked like {@link MqttSetup}: a bad value stops
 * start-up with the key, the value and what is allowed, before anything is opened.
 *
 * @param enabled {@code sparkplug.enabled}; when false nothing else is used
 */
public record SparkplugSetup(boolean enabled, EdgeNodeSettings settings) {

    /** Its files live in {@code <storage.dir>/sparkplug}, so no meter may have that id. */
    public static final String DIRECTORY = "sparkplug";

    /** Sparkplug ids are topic levels: UTF-8 without '+', '/' or '#' (section 4.1.2, 4.1.4). */
    /** A Sparkplug id is one topic level. */
    private static final String ID = MqttSetup.TOPIC_LEVEL;

    /** For the gateway's checked configuration: its id and its meters. */
    public static SparkplugSetup from(SparkplugConfig c, GatewaySetup gateway) {
        return from(c, gateway.gatewayId(), gateway.meters().stream().map(MeterSetup::id).toList());
    }

    /**
     * @param gatewayId the edge node id when none is set
     * @param meterIds the meters, devices of this edge node
     */
    public static SparkplugSetup from(SparkplugConfig c, String gatewayId, Collection<String> meterIds) {
        Problems p = new Problems();
        String edgeNodeId = c.edgeNodeId().orElse(gatewayId);
        if (c.enabled()) {
            p.require(c.groupId().matches(ID), "sparkplug.group-id", c.groupId(),
                    "one topic level: UTF-8 without '/', '#', '+' or spaces");
            p.require(edgeNodeId.matches(ID), "sparkplug.edge-node-id", edgeNodeId,
                    "one topic level: UTF-8 without '/', '#', '+' or spaces");
            c.primaryHostId().ifPresent(h -> p.require(h.matches(ID), "sparkplug.primary-host-id", h,
                    "one topic level: UTF-8 without '/', '#', '+' or spaces"));
            p.require(between(c.scanInterval(), 100, 3_600_000), "sparkplug.scan-interval", c.scanInterval(),
                    "100ms to 1h");
            p.require(between(c.storeInterval(), 100, 3_600_000), "sparkplug.store-interval", c.storeInterval(),
                    "100ms to 1h");
            p.require(c.storeMaxMb() >= 1 && c.storeMaxMb() <= 10_240, "sparkplug.store-max-mb", c.storeMaxMb(),
                    "1 to 10240");
            p.require(!meterIds.contains(DIRECTORY), "meters." + DIRECTORY, "(a meter)",
                    "any meter id but " + DIRECTORY + " while sparkplug.enabled=true (its files are <storage.dir>/"
                            + DIRECTORY + ")");
        }
        Map<Quantity, Deadband> deadbands = new EnumMap<>(Quantity.class);
        for (Quantity q : Quantity.values()) {
            String text = deadband(c.deadband(), q);
            try {
                deadbands.put(q, Deadband.parse(text));
            } catch (IllegalArgumentException e) {
                p.require(!c.enabled(), "sparkplug.deadband." + q.key(), text,
                        "an amount >= 0 in the metric's unit (e.g. 0.5) or a percentage 0-100 of the last value"
                                + " reported (e.g. 1%)");
                deadbands.put(q, new Deadband(0, false));
            }
        }
        p.throwIfAny();
        Optional<String> host = c.primaryHostId();
        return new SparkplugSetup(c.enabled(), new EdgeNodeSettings(c.groupId(), edgeNodeId, host, c.scanInterval(),
                c.storeInterval(), c.storeMaxMb() * 1024L * 1024L, deadbands));
    }

    private static String deadband(SparkplugConfig.Deadbands d, Quantity q) {
        return switch (q) {
            case ENERGY -> d.energy();
            case POWER -> d.power();
            case VOLTAGE -> d.voltage();
            case CURRENT -> d.current();
            case POWER_FACTOR -> d.powerFactor();
            case FREQUENCY -> d.frequency();
        };
    }

    private static boolean between(Duration d, long minMs, long maxMs) {
        return !d.isNegative() && d.toMillis() >= minMs && d.toMillis() <= maxMs;
    }

    /** The effective configuration for the start-up log. */
    public String describe() {
        if (!enabled) {
            return "sparkplug.enabled=false";
        }
        EdgeNodeSettings s = settings;
        StringBuilder b = new StringBuilder("sparkplug.enabled=true sparkplug.group-id=").append(s.groupId())
                .append(" sparkplug.edge-node-id=").append(s.edgeNodeId())
                .append(" sparkplug.primary-host-id=").append(s.primaryHostId().orElse("(none)"))
                .append(" sparkplug.scan-interval=").append(MeterSetup.fmt(s.scanInterval()))
                .append(" sparkplug.store-interval=").append(MeterSetup.fmt(s.storeInterval()))
                .append(" sparkplug.store-max-mb=").append(s.storeMaxBytes() / (1024 * 1024));
        for (Quantity q : Quantity.values()) {
            b.append(" sparkplug.deadband.").append(q.key()).append('=').append(s.deadband(q));
        }
        return b.toString();
    }
}
