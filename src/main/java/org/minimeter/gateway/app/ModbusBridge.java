package org.minimeter.gateway.app;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.jboss.logging.Logger;
import org.minimeter.gateway.app.config.MeterSetup;
import org.minimeter.gateway.metering.Condition;
import org.minimeter.gateway.metering.ElementReading;
import org.minimeter.gateway.metering.EnergySnapshot;
import org.minimeter.gateway.metering.Measurement;
import org.minimeter.gateway.metering.MeterSpec;
import org.minimeter.gateway.modbus.ElementValues;
import org.minimeter.gateway.modbus.MeterEvent;
import org.minimeter.gateway.modbus.MeterRegisters;
import org.minimeter.gateway.modbus.MeterServer;
import org.minimeter.gateway.modbus.MeterValues;
import org.minimeter.gateway.modbus.ModbusSettings;
import org.minimeter.gateway.modbus.Nameplate;
import org.minimeter.gateway.modbus.RegisterMap;
import org.minimeter.gateway.modbus.UnitState;
import org.minimeter.gateway.persistence.RegisterState;

/**
 * The meters as Modbus units. Each request looks its meter up by id (a meter restarted through
 * the API is a new {@link MeterRuntime}) and reads only what the meter already publishes by
 * volatile reference: the latest window and the durable register. Their registers are encoded
 * once per new window or register save and reused by every read until then, on the server's
 * thread alone.
 */
public final class ModbusBridge implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ModbusBridge.class);

    /** One meter's unit; its cache is touched by the server thread only. */
    private static final class Unit {
        final String meterId;
        final Nameplate nameplate;
        Measurement measurement;
        RegisterState durable;
        MeterRegisters registers;

        Unit(String meterId, Nameplate nameplate) {
            this.meterId = meterId;
            this.nameplate = nameplate;
        }
    }

    private final Map<Integer, Unit> units;
    private final RegisterMap map;
    private final Function<String, Optional<MeterRuntime>> meters;
    private final MeterServer server;

    private ModbusBridge(ModbusSettings settings, Map<Integer, Unit> units,
            Function<String, Optional<MeterRuntime>> meters) {
        this.units = Map.copyOf(units);
        this.map = settings.map();
        this.meters = meters;
        this.server = MeterServer.start(settings, this::unit);
    }

    /**
     * @param unitIds meter id to unit id, every meter running
     * @param meters looks a meter up by id at each request
     * @throws IllegalStateException if the port cannot be listened on
     */
    public static ModbusBridge start(ModbusSettings settings, Map<String, Integer> unitIds,
            Function<String, Optional<MeterRuntime>> meters, String version) {
        Map<Integer, Unit> units = new LinkedHashMap<>();
        List<String> shown = new ArrayList<>();
        unitIds.forEach((id, unitId) -> {
            MeterRuntime m = meters.apply(id).orElseThrow(() -> new IllegalStateException("no meter " + id));
            MeterSpec spec = m.spec();
            Nameplate n = new Nameplate(id, model(spec), version, unitId, spec.elements(),
                    (int) Math.round(spec.nominalVoltage()), (int) Math.round(spec.ctRating()),
                    Nameplate.energyScaleFor(largest(m.durable().energy())));
            units.put(unitId, new Unit(id, n));
            shown.add(id + "=" + unitId);
        });
        ModbusBridge bridge = new ModbusBridge(settings, units, meters);
        LOG.infof("Modbus TCP: %s map on %s:%d, read-only, unit ids %s; at most %d connections, closed after %s idle,"
                + " %d requests/s each", settings.map() == RegisterMap.SUNSPEC
                        ? "SunSpec (holding registers 40000-40178)" : "Eastron SDM (input registers 0x0000-0x016B, floats)",
                settings.host(), settings.port(), String.join(", ", shown), settings.maxConnections(),
                MeterSetup.fmt(settings.idleTimeout()), settings.maxRequestsPerSecond());
        return bridge;
    }

    /** SunSpec's model string, 32 characters at most. */
    static String model(MeterSpec s) {
        return "Mini Meter " + s.elements() + "-element " + Math.round(s.ctRating()) + " A " + s.nominalFrequency()
                + " Hz";
    }

    private static long largest(EnergySnapshot e) {
        long max = 0;
        for (int slot = 0; slot <= e.elements(); slot++) {
            max = Math.max(max, Math.max(e.deliveredMicroWh(slot), e.receivedMicroWh(slot)));
        }
        return max;
    }

    /** What stands behind {@code unitId} now. */
    UnitState unit(int unitId) {
        Unit u = units.get(unitId);
        if (u == null) {
            return UnitState.UNKNOWN;
        }
        Optional<MeterRuntime> found = meters.apply(u.meterId);
        if (found.isEmpty()) {
            return new UnitState.Unavailable("meter " + u.meterId + " is restarting");
        }
        MeterRuntime m = found.get();
        Measurement latest = m.latest();
        if (!m.available() || latest == null) {
            return new UnitState.Unavailable(latest == null ? "no measurement yet" : m.sourceProblem());
        }
        RegisterState durable = m.durable();
        if (latest != u.measurement || durable != u.durable || u.registers == null) {
            u.registers = map.encode(u.nameplate, values(latest, durable.energy()));
            u.measurement = latest;
            u.durable = durable;
        }
        return new UnitState.Ready(u.registers);
    }

    /** The latest window's readings with the durable register's energy. */
    static MeterValues values(Measurement m, EnergySnapshot durable) {
        List<ElementValues> elements = new ArrayList<>();
        Set<MeterEvent> events = EnumSet.noneOf(MeterEvent.class);
        for (ElementReading e : m.elements()) {
            elements.add(new ElementValues(e.voltage(), e.current(), e.power(), e.reactive(), e.apparent(),
                    e.powerFactor()));
            addEvents(e.conditions(), events);
        }
        addEvents(m.conditions(), events);
        return new MeterValues(m.frequency(), elements, m.power(), m.reactive(), m.apparent(), m.powerFactor(),
                durable.deliveredMicroWh(), durable.receivedMicroWh(), events);
    }

    private static void addEvents(Set<Condition> conditions, Set<MeterEvent> events) {
        for (Condition c : conditions) {
            switch (c) {
                case OVER_VOLTAGE -> events.add(MeterEvent.OVER_VOLTAGE);
                case UNDER_VOLTAGE -> events.add(MeterEvent.UNDER_VOLTAGE);
                case OVER_CURRENT -> events.add(MeterEvent.OVER_CURRENT);
                case NO_ZERO_CROSSING -> events.add(MeterEvent.POWER_FAILURE);
                default -> {
                    // no SunSpec event for it
                }
            }
        }
    }

    public MeterServer.Stats stats() {
        return server.stats();
    }

    @Override
    public void close() {
        server.close();
        MeterServer.Stats s = server.stats();
        LOG.infof("Modbus TCP: stopped; %d request(s) answered (%d with an exception), %d connection(s), %d refused",
                s.requests(), s.exceptionResponses(), s.accepted(), s.refused());
    }
}
