package org.minimeter.gateway.app.config;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.minimeter.gateway.modbus.ModbusSettings;
import org.minimeter.gateway.modbus.RegisterMap;

/**
 * The Modbus server as configured, checked: its settings and each meter's unit id. Checked
 * whether or not the server is enabled, so a mistake shows before someone turns it on.
 *
 * @param unitIds meter id to unit id, in the gateway's meter order
 */
public record ModbusSetup(boolean enabled, ModbusSettings settings, Map<String, Integer> unitIds) {

    public static final int MIN_UNIT = 1;
    public static final int MAX_UNIT = 247;

    public ModbusSetup {
        unitIds = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(unitIds));
    }

    /**
     * Meters without {@code modbus.unit-id} take the lowest ids not set explicitly, from 1, in
     * the gateway's meter order (sorted by meter id).
     */
    public static ModbusSetup from(ModbusConfig c, MetersConfig meters, GatewaySetup gateway) {
        Problems p = new Problems();
        Optional<RegisterMap> map = RegisterMap.byId(c.map());
        p.require(map.isPresent(), "modbus.map", c.map(), String.join(" or ", RegisterMap.ids()));
        p.require(c.port() >= 1 && c.port() <= 65535, "modbus.port", c.port(), "1 to 65535");
        p.require(!c.host().isBlank(), "modbus.host", c.host(), "an interface address or host name (0.0.0.0: all)");
        p.require(c.maxConnections() >= 1 && c.maxConnections() <= 1024, "modbus.max-connections",
                c.maxConnections(), "1 to 1024");
        Duration idle = c.idleTimeout();
        p.require(idle.compareTo(Duration.ofSeconds(1)) >= 0 && idle.compareTo(Duration.ofHours(1)) <= 0,
                "modbus.idle-timeout", idle, "1s to 1h");
        p.require(c.maxRequestsPerSecond() >= 1 && c.maxRequestsPerSecond() <= 10_000,
                "modbus.max-requests-per-second", c.maxRequestsPerSecond(), "1 to 10000");

        Map<String, Integer> explicit = new LinkedHashMap<>();
        Map<String, String> keys = new HashMap<>();
        if (gateway.multi()) {
            c.unitId().ifPresent(u -> p.require(false, "modbus.unit-id", u,
                    "only without meters.*: per meter as meters.<id>.modbus.unit-id"));
            for (var m : gateway.meters()) {
                MetersConfig.MeterEntry entry = meters.meters().get(m.id());
                Optional<Integer> own = entry == null ? Optional.empty() : entry.modbus().unitId();
                own.ifPresent(u -> explicit.put(m.id(), u));
                keys.put(m.id(), "meters." + m.id() + ".modbus.unit-id");
            }
        } else {
            String id = gateway.meters().get(0).id();
            c.unitId().ifPresent(u -> explicit.put(id, u));
            keys.put(id, "modbus.unit-id");
        }
        Map<Integer, String> taken = new HashMap<>();
        explicit.forEach((meter, unit) -> {
            String key = keys.get(meter);
            p.require(unit >= MIN_UNIT && unit <= MAX_UNIT, key, unit, MIN_UNIT + " to " + MAX_UNIT);
            String other = taken.putIfAbsent(unit, key);
            p.require(other == null, key, unit, "a unit id not already used by " + other);
        });
        Map<String, Integer> units = new LinkedHashMap<>();
        int next = MIN_UNIT;
        for (var m : gateway.meters()) {
            Integer unit = explicit.get(m.id());
            if (unit == null) {
                while (taken.containsKey(next)) {
                    next++;
                }
                if (next > MAX_UNIT) {
                    // more meters than unit ids only matters with the server on
                    if (c.enabled()) {
                        p.add("modbus.enabled=true is not allowed with " + gateway.meters().size() + " meters: allowed"
                                + " at most " + MAX_UNIT + " meters (one unit id each, " + MIN_UNIT + " to " + MAX_UNIT
                                + ")");
                    }
                    break;
                }
                unit = next;
                taken.put(unit, keys.get(m.id()));
            }
            units.put(m.id(), unit);
        }
        p.throwIfAny();
        ModbusSettings settings = new ModbusSettings(c.host(), c.port(), map.orElse(RegisterMap.SUNSPEC),
                c.maxConnections(), idle, c.maxRequestsPerSecond());
        return new ModbusSetup(c.enabled(), settings, units);
    }

    /** The effective configuration for the start-up log. */
    public String describe() {
        StringBuilder b = new StringBuilder("modbus.enabled=" + enabled);
        if (enabled) {
            b.append(" modbus.host=").append(settings.host()).append(" modbus.port=").append(settings.port())
                    .append(" modbus.map=").append(settings.map().id()).append(" modbus.max-connections=")
                    .append(settings.maxConnections()).append(" modbus.idle-timeout=")
                    .append(MeterSetup.fmt(settings.idleTimeout())).append(" modbus.max-requests-per-second=")
                    .append(settings.maxRequestsPerSecond()).append(" unit ids: ");
            StringBuilder u = new StringBuilder();
            unitIds.forEach((m, id) -> u.append(u.length() == 0 ? "" : ",").append(m).append('=').append(id));
            b.append(u);
        }
        return b.toString();
    }
}
