package org.minimeter.gateway.mqtt;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.minimeter.gateway.metering.AlarmEvent;
import org.minimeter.gateway.metering.ElementReading;
import org.minimeter.gateway.metering.EnergySnapshot;
import org.minimeter.gateway.metering.Measurement;
import org.minimeter.gateway.outputs.PulseEvent;

/**
 * JSON payloads of SPEC.md section 4: a {@code ts} in ISO-8601 UTC and the unit in every key
 * name; per-element values in an {@code elements} array (element 1 first), totals at the
 * top level. Built as Jackson trees (no reflection). Energy is printed exactly from the
 * integer register (µWh = 1e-9 kWh), never through a double.
 */
public final class Payloads {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Payloads() {
    }

    public static byte[] energy(EnergySnapshot e, Instant ts) {
        ObjectNode o = withTs(ts);
        o.put("delivered_kwh", kwh(e.deliveredMicroWh(0)));
        o.put("received_kwh", kwh(e.receivedMicroWh(0)));
        ArrayNode elements = o.putArray("elements");
        for (int k = 1; k <= e.elements(); k++) {
            ObjectNode el = elements.addObject();
            el.put("delivered_kwh", kwh(e.deliveredMicroWh(k)));
            el.put("received_kwh", kwh(e.receivedMicroWh(k)));
        }
        return bytes(o);
    }

    public static byte[] power(Measurement m, Instant ts) {
        ObjectNode o = withTs(ts);
        o.put("power_w", round(m.power(), 1));
        o.put("reactive_var", round(m.reactive(), 1));
        o.put("apparent_va", round(m.apparent(), 1));
        o.put("pf", round(m.powerFactor(), 4));
        if (Double.isNaN(m.frequency())) {
            o.putNull("frequency_hz");
        } else {
            o.put("frequency_hz", round(m.frequency(), 3));
        }
        ArrayNode elements = o.putArray("elements");
        for (ElementReading r : m.elements()) {
            ObjectNode el = elements.addObject();
            el.put("voltage_v", round(r.voltage(), 2));
            el.put("current_a", round(r.current(), 3));
            el.put("power_w", round(r.power(), 1));
            el.put("reactive_var", round(r.reactive(), 1));
            el.put("apparent_va", round(r.apparent(), 1));
            el.put("pf", round(r.powerFactor(), 4));
        }
        return bytes(o);
    }

    public static byte[] pulse(PulseEvent p) {
        ObjectNode o = withTs(p.ts());
        o.put("output", p.output());
        o.put("wh", p.wh());
        o.put("seq", p.seq());
        return bytes(o);
    }

    public static byte[] alarm(AlarmEvent a, Instant ts) {
        ObjectNode o = withTs(ts);
        o.put("alarm", a.condition().key());
        o.put("state", a.raised() ? "raised" : "cleared");
        if (a.element() > 0) {
            o.put("element", a.element());
        }
        if (!Double.isNaN(a.value())) {
            o.put("value", round(a.value(), 3));
        }
        if (!Double.isNaN(a.limit())) {
            o.put("limit", round(a.limit(), 3));
        }
        return bytes(o);
    }

    public static byte[] health(HealthReport h) {
        ObjectNode o = withTs(h.ts());
        o.put("status", h.status());
        o.put("uptime_s", Math.round(h.uptimeSeconds()));
        o.put("sample_rate_hz", h.sampleRateHz());
        o.put("windows", h.windows());
        o.put("dropped_samples", h.droppedSamples());
        o.put("rejected_blocks", h.rejectedBlocks());
        o.put("loop_failures", h.loopFailures());
        o.put("reconnects", h.reconnects());
        o.put("mqtt_protocol", h.mqttProtocol());
        o.put("outbox_depth", h.outboxDepth());
        o.put("outbox_dropped", h.outboxDropped());
        o.put("last_register_save", h.lastRegisterSave().truncatedTo(ChronoUnit.MILLIS).toString());
        o.put("register_generation", h.registerGeneration());
        ArrayNode alarms = o.putArray("active_alarms");
        h.activeAlarms().forEach(alarms::add);
        return bytes(o);
    }

    static ObjectNode object() {
        return JSON.createObjectNode();
    }

    static byte[] bytes(ObjectNode o) {
        try {
            return JSON.writeValueAsString(o).getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree could not be written", e);
        }
    }

    private static ObjectNode withTs(Instant ts) {
        ObjectNode o = JSON.createObjectNode();
        o.put("ts", ts.truncatedTo(ChronoUnit.MILLIS).toString());
        return o;
    }

    static BigDecimal kwh(long microWh) {
        return BigDecimal.valueOf(microWh, 9).setScale(6, RoundingMode.DOWN);
    }

    private static BigDecimal round(double v, int decimals) {
        if (!Double.isFinite(v)) {
            return BigDecimal.ZERO;
        }
        BigDecimal b = BigDecimal.valueOf(v).setScale(decimals, RoundingMode.HALF_EVEN);
        return b.signum() == 0 ? BigDecimal.ZERO.setScale(decimals) : b;
    }
}
