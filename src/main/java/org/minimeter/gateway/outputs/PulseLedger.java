package org.minimeter.gateway.outputs;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pulse sequence numbers as a function of the durable delivered register: an output of
 * quantum Q has completed floor(E / Q) pulses, so seq = floor(E / Q) + anchor, with the
 * anchor fixed when the ledger is built from a saved state. Pulse events are therefore
 * exactly the boundaries the durable register crossed: after a kill -9 the register comes
 * back at its last durable value and the next event carries the next seq, never a repeat
 * and never a gap. Seeding the register moves E but keeps seq: a new anchor, no pulse storm.
 */
public final class PulseLedger {

    /** An output and its energy per pulse. */
    public record Output(String name, long wh) {
        long quantumMicroWh() {
            return wh * 1_000_000L;
        }
    }

    public static final String PULSE10 = "pulse10";
    public static final String PULSE100 = "pulse100";
    public static final String PULSE1000 = "pulse1000";
    public static final String COUNTER = "counter";

    private final List<Output> outputs;
    private final Map<String, Long> anchors = new LinkedHashMap<>();

    public PulseLedger(List<Output> outputs, long deliveredMicroWh, Map<String, Long> sequences) {
        this.outputs = List.copyOf(outputs);
        for (Output o : outputs) {
            long seq = sequences.getOrDefault(o.name(), 0L);
            anchors.put(o.name(), seq - deliveredMicroWh / o.quantumMicroWh());
        }
    }

    /** The three pulse outputs of the datasheet and the counter at its configured quantum. */
    public static List<Output> standardOutputs(long counterWh) {
        return List.of(new Output(PULSE10, 10), new Output(PULSE100, 100), new Output(PULSE1000, 1000),
                new Output(COUNTER, counterWh));
    }

    public List<Output> outputs() {
        return outputs;
    }

    /** Every output's seq once the durable delivered total is {@code deliveredMicroWh}. */
    public Map<String, Long> sequencesAt(long deliveredMicroWh) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (Output o : outputs) {
            out.put(o.name(), deliveredMicroWh / o.quantumMicroWh() + anchors.get(o.name()));
        }
        return out;
    }

    /** The events between two sets of sequences, per output in order. */
    public List<PulseEvent> eventsBetween(Map<String, Long> before, Map<String, Long> after, Instant ts) {
        List<PulseEvent> events = new ArrayList<>();
        for (Output o : outputs) {
            long from = before.getOrDefault(o.name(), 0L);
            long to = after.getOrDefault(o.name(), 0L);
            for (long seq = from + 1; seq <= to; seq++) {
                events.add(new PulseEvent(o.name(), o.wh(), seq, ts));
            }
        }
        return events;
    }
}
