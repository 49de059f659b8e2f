package org.minimeter.gateway.outputs;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.minimeter.gateway.hal.DigitalLine;
import org.minimeter.gateway.metering.AlarmEvent;
import org.minimeter.gateway.metering.Condition;

/**
 * The pulse outputs (10, 100, 1000 Wh) and the counter drive of one meter, stepped by one
 * thread with an injectable notion of time: {@link #step(long, long)} is all the timing
 * there is, so tests drive it with synthetic clocks and production with the system clock.
 * Pi4J's own {@code pulse()} sleeps and is not used.
 */
public final class OutputBank {

    /** Outputs' view for health reporting. */
    public record Status(Map<String, Long> pulsesShown, Map<String, Long> queuedEdges, long counterBacklog,
            long counterDriven, long faults) {
    }

    /** An alarm clears after this long without its condition. */
    static final long CLEAR_AFTER_NANOS = 1_000_000_000L;

    private final List<PulseOutput> pulses = new ArrayList<>();
    private final CounterDrive counter;
    private final Consumer<AlarmEvent> alarms;
    private final Map<Condition, Long> activeSince = new EnumMap<>(Condition.class);
    private final Map<Condition, Long> quietSince = new EnumMap<>(Condition.class);
    private long faultsSeen;
    private volatile Status status;

    /**
     * @param lines {@code pulse10}, {@code pulse100}, {@code pulse1000}, {@code counter}
     * @param deliveredMicroWh the durable delivered total at start: the outputs resume in the
     *     state it implies, with nothing queued
     */
    public OutputBank(OutputSettings settings, Map<String, DigitalLine> lines, long deliveredMicroWh,
            long counterBacklog, long nowNanos, Consumer<AlarmEvent> alarms) {
        this.alarms = alarms;
        for (PulseLedger.Output o : PulseLedger.standardOutputs(settings.counterWh())) {
            if (o.name().equals(PulseLedger.COUNTER)) {
                continue;
            }
            DigitalLine line = lines.get(o.name());
            if (line == null) {
                throw new IllegalArgumentException("no line for " + o.name());
            }
            pulses.add(new PulseOutput(o.name(), o.wh(), settings.dwellNanos(), line, deliveredMicroWh, nowNanos));
        }
        DigitalLine c = lines.get(PulseLedger.COUNTER);
        if (c == null) {
            throw new IllegalArgumentException("no line for counter");
        }
        this.counter = new CounterDrive(c, settings.counterOnNanos(), settings.counterOffNanos(), counterBacklog);
        this.status = snapshot();
    }

    /**
     * Brings every line up to date with the live delivered register and raises or clears
     * overload, mismatch and fault alarms. Returns the time it next needs to run.
     */
    public long step(long nowNanos, long deliveredMicroWh) {
        long next = Long.MAX_VALUE;
        long maxQueued = 0;
        long faults = counter.faults();
        for (PulseOutput p : pulses) {
            next = Math.min(next, p.step(nowNanos, deliveredMicroWh));
            maxQueued = Math.max(maxQueued, p.queuedEdges());
            faults += p.faults();
        }
        next = Math.min(next, counter.step(nowNanos));
        track(Condition.PULSE_OVERLOAD, maxQueued > 0, nowNanos, maxQueued, 0);
        // More than two edges behind is more than one quantum behind the register.
        track(Condition.PULSE_MISMATCH, maxQueued > 2, nowNanos, maxQueued / 2.0, 1);
        track(Condition.COUNTER_OVERLOAD, counter.backlog() > 1, nowNanos, counter.backlog(), 1);
        track(Condition.OUTPUT_FAULT, faults > faultsSeen, nowNanos, faults, 0);
        faultsSeen = faults;
        status = snapshot();
        return next;
    }

    private void track(Condition c, boolean present, long now, double value, double limit) {
        if (present) {
            quietSince.remove(c);
            if (activeSince.putIfAbsent(c, now) == null) {
                alarms.accept(new AlarmEvent(c, 0, true, -1, value, limit));
            }
        } else if (activeSince.containsKey(c)) {
            long quiet = quietSince.computeIfAbsent(c, k -> now);
            if (now - quiet >= CLEAR_AFTER_NANOS) {
                activeSince.remove(c);
                quietSince.remove(c);
                alarms.accept(new AlarmEvent(c, 0, false, -1, value, limit));
            }
        }
    }

    /** Steps the counter owes, from the durable register (any thread). */
    public void addCounterSteps(long steps) {
        counter.add(steps);
    }

    public long counterBacklog() {
        return counter.backlog();
    }

    /** As of the last step: safe to read from any thread. */
    public Status status() {
        return status;
    }

    private Status snapshot() {
        Map<String, Long> shown = new LinkedHashMap<>();
        Map<String, Long> queued = new LinkedHashMap<>();
        long faults = counter.faults();
        for (PulseOutput p : pulses) {
            shown.put(p.name, p.pulsesShown());
            queued.put(p.name, p.queuedEdges());
            faults += p.faults();
        }
        return new Status(Map.copyOf(shown), Map.copyOf(queued), counter.backlog(), counter.driven(), faults);
    }

    /** True if the named line is on now (read back). */
    public boolean lineOn(String output) {
        if (output.equals(PulseLedger.COUNTER)) {
            return counter.lineOn();
        }
        return pulses.stream().filter(p -> p.name.equals(output)).findFirst().orElseThrow().lineOn();
    }

    /** Every line off: the safe state on shutdown. */
    public void allOff() {
        RuntimeException first = null;
        for (Runnable off : offActions()) {
            try {
                off.run();
            } catch (RuntimeException e) {
                // One failing line must not leave the others on.
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private List<Runnable> offActions() {
        List<Runnable> actions = new ArrayList<>();
        pulses.forEach(p -> actions.add(p::off));
        actions.add(counter::off);
        return actions;
    }
}
