package org.minimeter.gateway.api;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.minimeter.gateway.app.MeterRuntime;
import org.minimeter.gateway.app.MeterStatus;
import org.minimeter.gateway.metering.ElementReading;
import org.minimeter.gateway.metering.EnergySnapshot;
import org.minimeter.gateway.metering.Measurement;
import org.minimeter.gateway.persistence.MeterCalibration;
import org.minimeter.gateway.persistence.RegisterState;

/**
 * What the API says, as records Jackson writes with snake_case names. Energy in kWh as
 * published on MQTT, from the durable register (what survives a power cut); the live
 * register's kWh beside it for a display that moves between saves.
 */
final class Views {

    private Views() {
    }

    record Gateway(String id, String version, double uptimeS, boolean started, Mqtt mqtt, List<String> meters) {
    }

    record Mqtt(String broker, boolean connected, String protocol, long reconnects, long outboxDepth,
            long outboxDropped) {
    }

    record Element(int element, double voltageV, double currentA, double powerW, double reactiveVar,
            double apparentVa, double pf) {
    }

    record Reading(double powerW, double reactiveVar, double apparentVa, double pf,
            Double frequencyHz, List<Element> elements) {
    }

    record ElementRegister(String element, double deliveredKwh, double receivedKwh, double liveDeliveredKwh,
            double liveReceivedKwh) {
    }

    record Register(long generation, Instant savedAt, List<ElementRegister> registers, Map<String, Long> pulseSeq,
            long counterBacklog) {
    }

    record Alarms(List<String> active, List<String> latched) {
    }

    record ElementCalibrationView(int element, double voltageFactor, double currentFactor, double phaseUs) {
    }

    record Calibration(Instant updated, List<ElementCalibrationView> elements, List<String> inverted) {
    }

    record Meter(String id, String source, int elements, boolean available, String sourceProblem, Reading reading,
            Register register, Alarms alarms, Health health, Calibration calibration) {
    }

    record Health(double uptimeS, long windows, long droppedSamples, long rejectedBlocks, long loopFailures,
            long frontEndFaults, long registerSaves, List<String> notAlive, List<String> notReady) {
    }

    /**
     * The resolution the MQTT payloads publish (0.01 V, 1 mA, 0.1 W, 1e-4 PF, 1 mHz): far
     * below the meter's accuracy, and a third of the bytes of a full double.
     */
    static double round(double v, int decimals) {
        if (!Double.isFinite(v)) {
            return v;
        }
        return java.math.BigDecimal.valueOf(v).setScale(decimals, java.math.RoundingMode.HALF_EVEN).doubleValue();
    }

    static Reading reading(Measurement m) {
        if (m == null) {
            return null;
        }
        List<Element> els = new ArrayList<>();
        for (int e = 1; e <= m.elements().size(); e++) {
            ElementReading r = m.element(e);
            els.add(new Element(e, round(r.voltage(), 2), round(r.current(), 3), round(r.power(), 1),
                    round(r.reactive(), 1), round(r.apparent(), 1), round(r.powerFactor(), 4)));
        }
        return new Reading(round(m.power(), 1), round(m.reactive(), 1), round(m.apparent(), 1),
                round(m.powerFactor(), 4), Double.isNaN(m.frequency()) ? null : round(m.frequency(), 3), els);
    }

    static Register register(RegisterState durable, EnergySnapshot live) {
        EnergySnapshot d = durable.energy();
        List<ElementRegister> regs = new ArrayList<>();
        for (int slot = 0; slot <= d.elements(); slot++) {
            regs.add(new ElementRegister(slot == 0 ? "total" : String.valueOf(slot), d.deliveredKwh(slot),
                    d.receivedKwh(slot), live.deliveredKwh(slot), live.receivedKwh(slot)));
        }
        return new Register(durable.generation(), durable.savedAt(), regs, durable.sequences(),
                durable.counterBacklog());
    }

    static Calibration calibration(MeterCalibration c) {
        List<ElementCalibrationView> els = new ArrayList<>();
        for (int e = 1; e <= c.trim().size(); e++) {
            var t = c.trim().element(e);
            els.add(new ElementCalibrationView(e, t.voltageFactor(), t.currentFactor(), t.phaseMicros()));
        }
        return new Calibration(c.updated().equals(Instant.EPOCH) ? null : c.updated(), els,
                List.copyOf(new java.util.TreeSet<>(c.inverted())));
    }

    static Health health(MeterStatus s) {
        return new Health(s.uptimeSeconds(), s.windows(), s.droppedSamples(), s.rejectedBlocks(), s.loopFailures(),
                s.frontEndFaults(), s.registerSaves(), s.notAlive(), s.notReady());
    }

    static Meter meter(MeterRuntime m, MeterStatus s, MeterCalibration calibration) {
        return new Meter(m.id(), m.sourceName(), m.spec().elements(), s.sampling(), s.sourceProblem(),
                reading(m.latest()), register(m.durable(), m.energy()), new Alarms(s.activeAlarms(), s.latchedAlarms()),
                health(s), calibration == null ? null : calibration(calibration));
    }
}
