package org.minimeter.gateway.app;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.jboss.logging.Logger;
import org.minimeter.gateway.hal.DigitalLine;
import org.minimeter.gateway.hal.MonotonicClock;
import org.minimeter.gateway.hal.WaveformSource;
import org.minimeter.gateway.metering.AlarmEvent;
import org.minimeter.gateway.metering.Condition;
import org.minimeter.gateway.metering.DurationTally;
import org.minimeter.gateway.metering.EnergyRegister;
import org.minimeter.gateway.metering.EnergySnapshot;
import org.minimeter.gateway.metering.Measurement;
import org.minimeter.gateway.metering.MeterSpec;
import org.minimeter.gateway.metering.MeteringEngine;
import org.minimeter.gateway.metering.Metrology;
import org.minimeter.gateway.outputs.OutputBank;
import org.minimeter.gateway.outputs.OutputSettings;
import org.minimeter.gateway.outputs.PulseEvent;
import org.minimeter.gateway.outputs.PulseLedger;
import org.minimeter.gateway.persistence.RegisterState;
import org.minimeter.gateway.persistence.RegisterStore;
import org.minimeter.gateway.persistence.SavePolicy;

/**
 * One meter at run time: its source, metering engine, register, outputs (optional) and
 * store, as data. It owns no thread: a {@link MeterHost} calls {@link #sample} on one of a few
 * shared sampling threads when the source's next block is due, steps the outputs from one
 * outputs thread and saves the register from one saver, for every meter alike.
 *
 * <p>What sampling produces is handed over without blocking: the latest measurement by a
 * volatile reference, alarms through a bounded queue drained by {@link #dispatchAlarms()}
 * (a full queue counts an overflow rather than wait).
 */
public final class MeterRuntime implements Metrology.Listener {

    private static final Logger LOG = Logger.getLogger(MeterRuntime.class);
    private static final int ALARM_QUEUE = 1024;
    /** Blocks metered in one turn when behind, before the thread serves the next meter. */
    private static final int BLOCKS_PER_TURN = 4;
    /** After a failing read, the source is tried again this much later. */
    static final long RETRY_NANOS = 100_000_000L;
    /** A source that delivered nothing due this long has failed (stalled, unplugged). */
    private static final long MIN_STALL_NANOS = 1_000_000_000L;
    /** A front-end fault alarm clears after this long without a new fault. */
    static final long FAULT_QUIET_NANOS = 5_000_000_000L;

    private final String id;
    private final MeterInput input;
    private final MeteringEngine metrology;
    private final OutputBank outputs;
    private final RegisterKeeper keeper;
    private final MonotonicClock clock;
    private final long stallNanos;
    private final List<Consumer<PulseEvent>> pulseListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<Measurement>> measurementListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<AlarmEvent>> alarmListeners = new CopyOnWriteArrayList<>();
    private final SortedSet<String> activeAlarms = Collections.synchronizedSortedSet(new TreeSet<>());
    /**
     * Every alarm raised since an operator last acknowledged, cleared or not: an over-voltage at
     * 3 am that is gone by morning is still something to see.
     */
    private final SortedSet<String> latchedAlarms = Collections.synchronizedSortedSet(new TreeSet<>());
    private final java.time.Clock wall;
    /** Energy per minute on disk, or null for a meter without a history. */
    private volatile org.minimeter.gateway.persistence.history.IntervalHistory history;
    private long historyMinute = Long.MIN_VALUE;
    private final BlockingQueue<AlarmEvent> alarms = new ArrayBlockingQueue<>(ALARM_QUEUE);
    private final AtomicLong alarmOverflow = new AtomicLong();
    private final AtomicLong loopFailures = new AtomicLong();
    private final AtomicReference<Throwable> lastFailure = new AtomicReference<>();
    /** Time spent metering blocks, per block: the sampling threads' budget for this meter. */
    private final DurationTally blockTimes = new DurationTally();
    /** A save of this meter is being written on a saver thread. */
    final AtomicBoolean saving = new AtomicBoolean();
    /** Held by the sampler for a turn; taken to retire the meter between two turns. */
    final Object turnLock = new Object();
    /** Taken out of its host (to be replaced): no more turns. Guarded by {@link #turnLock}. */
    boolean retired;

    private volatile long startedNanos;
    private volatile Measurement latest;
    private volatile boolean sourceFailed;
    private volatile String sourceProblem = "";
    private volatile long maxLagNanos;
    private long faultsSeen;
    private long lastFaultNanos;
    private boolean faultAlarm;
    private long lastBlockNanos;
    private long blocks;

    /**
     * @param store the meter's open register store (closed by {@link #finish})
     * @param start the state loaded from it (or {@link RegisterState#empty})
     * @param lines the output lines pulse10, pulse100, pulse1000, counter; empty for a meter
     *     without physical outputs (its pulse events are still published)
     */
    public MeterRuntime(String id, MeterSpec spec, WaveformSource source, RegisterStore store, RegisterState start,
            OutputSettings outputSettings, Map<String, DigitalLine> lines, SavePolicy savePolicy,
            MonotonicClock clock, Clock wall) {
        this(id, MeterInput.sampled(spec, source), store, start, outputSettings, lines, savePolicy, clock, wall);
    }

    /**
     * @param input builds what feeds the engine (a waveform source and the sampled engine, or
     *     a front end that computes energy) once the register exists
     */
    public MeterRuntime(String id, MeterInput.Factory input, RegisterStore store, RegisterState start,
            OutputSettings outputSettings, Map<String, DigitalLine> lines, SavePolicy savePolicy,
            MonotonicClock clock, Clock wall) {
        this.id = id;
        this.clock = clock;
        this.wall = wall;
        this.input = input.open(new EnergyRegister(start.energy()), this);
        this.metrology = this.input.engine();
        long delivered = start.energy().deliveredMicroWh(0);
        this.outputs = lines.isEmpty() ? null
                : new OutputBank(outputSettings, lines, delivered, start.counterBacklog(), clock.nanoTime(),
                        this::onAlarm);
        PulseLedger ledger = new PulseLedger(PulseLedger.standardOutputs(outputSettings.counterWh()), delivered,
                start.sequences());
        this.keeper = new RegisterKeeper(store, start, ledger, savePolicy, outputs, metrology::latestEnergy,
                this::publishPulses, this::onAlarm, clock, wall);
        this.stallNanos = Math.max(MIN_STALL_NANOS, 20 * this.input.unitNanos());
        this.startedNanos = clock.nanoTime();
        this.lastBlockNanos = startedNanos;
    }

    public String id() {
        return id;
    }

    /** The source's name: {@code simulator}, {@code replay}, ... */
    public String sourceName() {
        return input.name();
    }

    public MeterSpec spec() {
        return metrology.spec();
    }

    public MeteringEngine engine() {
        return metrology;
    }

    // --- sampling: one shared sampling thread at a time

    /**
     * Called once when the host starts sampling: the stall timeout counts from here, not from
     * when the meter was built (opening the outbox and the broker takes time at start-up).
     */
    void begin(long now) {
        startedNanos = now;
        lastBlockNanos = now;
    }

    /**
     * Meters the blocks that are ready at {@code now} (a few at most, so one meter that is
     * behind cannot hold a thread the others need) and notices a source that stopped.
     *
     * @return when this meter wants to be called again
     */
    long sample(long now) {
        int n = 0;
        try {
            long due = input.nextDueNanos();
            maxLagNanos = Math.max(maxLagNanos, now - due);
            long stepStarted = System.nanoTime();
            n = input.step(now, BLOCKS_PER_TURN);
            blockTimes.record(n, System.nanoTime() - stepStarted);
        } catch (RuntimeException e) {
            // A failing read must not end metering: count it, let the logger report it, and
            // try again later (the metering sees a gap if samples were lost).
            loopFailures.incrementAndGet();
            lastFailure.set(e);
            sourceProblem = "read failed: " + e.getMessage();
            checkStalled(now);
            return now + RETRY_NANOS;
        }
        checkFaults(now);
        if (n > 0) {
            blocks += n;
            lastBlockNanos = now;
            if (sourceFailed) {
                sourceFailed = false;
                sourceProblem = "";
                onAlarm(new AlarmEvent(Condition.SOURCE_FAILED, 0, false, metrology.stats().samples(),
                        Double.NaN, Double.NaN));
            }
            if (n == BLOCKS_PER_TURN) {
                return now;
            }
        } else if (input.ended()) {
            if (!sourceFailed) {
                sourceFailed = true;
                sourceProblem = "the source has ended (end of the recording); the register is kept";
                onAlarm(new AlarmEvent(Condition.SOURCE_ENDED, 0, true, metrology.stats().samples(), Double.NaN,
                        Double.NaN));
            }
            return now + RETRY_NANOS * 10;
        } else {
            checkStalled(now);
        }
        long next = input.nextDueNanos();
        // A stalled source may keep a due time in the past: look again a little later, not at once.
        return next - now > 0 ? next : now + (n > 0 ? 0 : RETRY_NANOS / 10);
    }

    /**
     * {@code front_end_fault} while the front end's fault count grows, cleared after
     * {@value #FAULT_QUIET_NANOS} ns without a new one.
     */
    private void checkFaults(long now) {
        long f = input.faults();
        if (f > faultsSeen) {
            if (!faultAlarm) {
                faultAlarm = true;
                onAlarm(new AlarmEvent(Condition.FRONT_END_FAULT, 0, true, metrology.stats().samples(), f - faultsSeen,
                        Double.NaN));
            }
            faultsSeen = f;
            lastFaultNanos = now;
        } else if (faultAlarm && now - lastFaultNanos > FAULT_QUIET_NANOS) {
            faultAlarm = false;
            onAlarm(new AlarmEvent(Condition.FRONT_END_FAULT, 0, false, metrology.stats().samples(), 0, Double.NaN));
        }
    }

    /** The front end's fault count so far, and its latest fault. */
    public long frontEndFaults() {
        return faultsSeen;
    }

    public String lastFrontEndFault() {
        return input.lastFault();
    }

    private void checkStalled(long now) {
        if (!sourceFailed && now - lastBlockNanos > stallNanos) {
            sourceFailed = true;
            if (sourceProblem.isEmpty()) {
                sourceProblem = "no samples for " + (now - lastBlockNanos) / 1_000_000 + " ms";
            }
            onAlarm(new AlarmEvent(Condition.SOURCE_FAILED, 0, true, metrology.stats().samples(),
                    (now - lastBlockNanos) / 1e9, stallNanos / 1e9));
        }
    }

    /** False while the source has failed: the meter is shown unavailable, alone. */
    public boolean available() {
        return !sourceFailed;
    }

    /** Why the source is failed, or empty. */
    public String sourceProblem() {
        return sourceFailed ? sourceProblem : "";
    }

    /** The latest a block was taken after it was due, in ns: how far sampling ran behind. */
    public long maxLagNanos() {
        return maxLagNanos;
    }

    // --- outputs: the one outputs thread

    boolean hasOutputs() {
        return outputs != null;
    }

    /** Brings the lines up to date with the live register; returns when it next needs to run. */
    long stepOutputs(long now) {
        return outputs == null ? Long.MAX_VALUE : outputs.step(now, metrology.latestEnergy().deliveredMicroWh(0));
    }

    // --- the register: the saver

    RegisterKeeper keeper() {
        return keeper;
    }

    void publishPulses(List<PulseEvent> events) {
        for (PulseEvent e : events) {
            for (Consumer<PulseEvent> l : pulseListeners) {
                l.accept(e);
            }
        }
    }

    /**
     * Pulse events, called on the saver thread before the save that makes them durable (after
     * the host's {@link PulseSink} has them): must not block.
     */
    public void addPulseListener(Consumer<PulseEvent> listener) {
        pulseListeners.add(listener);
    }

    /**
     * Clean stop, once sampling has stopped and the final save was made: the outputs go off
     * (their safe state), the source and the register directory are released. Each step runs
     * even if one before it failed.
     */
    void finish() {
        List<RuntimeException> failures = new ArrayList<>();
        if (outputs != null) {
            runCollecting(outputs::allOff, failures);
        }
        runCollecting(input::close, failures);
        var h = history;
        if (h != null) {
            runCollecting(h::close, failures);
        }
        runCollecting(keeper.store()::close, failures);
        if (!failures.isEmpty()) {
            RuntimeException first = failures.get(0);
            failures.subList(1, failures.size()).forEach(first::addSuppressed);
            throw first;
        }
    }

    private static void runCollecting(Runnable r, List<RuntimeException> failures) {
        try {
            r.run();
        } catch (RuntimeException e) {
            failures.add(e);
        }
    }

    /** The register as last saved: the only values that may be published. */
    public RegisterState durable() {
        return keeper.durable();
    }

    public OutputBank.Status outputs() {
        return outputs == null ? new OutputBank.Status(Map.of(), Map.of(), 0, 0, 0) : outputs.status();
    }

    /** True if the named output line is on now. */
    public boolean outputOn(String output) {
        return outputs != null && outputs.lineOn(output);
    }

    public long saves() {
        return keeper.saves();
    }

    /** Register saves that failed (each raised or kept {@code storage_error}); retried. */
    public long saveFailures() {
        return keeper.failures();
    }

    /** How long this meter's successful register saves took (write to directory fsync). */
    public DurationTally saveTimes() {
        return keeper.store().saveTimes();
    }

    /**
     * Wall time the sampling threads spent in this meter's source and engine, counted per block
     * metered (a turn that metered none is not counted). Real time, whatever clock drives it.
     */
    public DurationTally blockTimes() {
        return blockTimes;
    }

    @Override
    public void onMeasurement(Measurement measurement) {
        latest = measurement;
        for (Consumer<Measurement> l : measurementListeners) {
            l.accept(measurement);
        }
    }

    /** Every window, on the sampling thread: the listener must only accumulate, never block. */
    public void addMeasurementListener(Consumer<Measurement> listener) {
        measurementListeners.add(listener);
    }

    public void removeMeasurementListener(Consumer<Measurement> listener) {
        measurementListeners.remove(listener);
    }

    @Override
    public void onAlarm(AlarmEvent event) {
        if (!alarms.offer(event)) {
            alarmOverflow.incrementAndGet();
        }
    }

    /** The latest window, or null before the first one. */
    public Measurement latest() {
        return latest;
    }

    /** The live register (as of the last closed window): for display, not for publishing. */
    public EnergySnapshot energy() {
        return metrology.latestEnergy();
    }

    public Metrology.Stats stats() {
        return metrology.stats();
    }

    public long blocks() {
        return blocks;
    }

    public double uptimeSeconds() {
        return (clock.nanoTime() - startedNanos) / 1e9;
    }

    /**
     * Alarm consumers (log, MQTT), called by {@link #dispatchAlarms()}: off the sampling
     * thread. Alarms raised before a listener is added wait in the queue until the first
     * dispatch, which runs only once the gateway is wired, so none raised at start-up is lost.
     */
    public void addAlarmListener(Consumer<AlarmEvent> listener) {
        alarmListeners.add(listener);
    }

    /**
     * Hands the alarms queued since the last call to every listener, oldest first, and keeps
     * the set of active alarms. Called periodically by one thread.
     */
    public synchronized void dispatchAlarms() {
        List<AlarmEvent> out = new ArrayList<>();
        alarms.drainTo(out);
        for (AlarmEvent a : out) {
            String key = a.key();
            if (a.raised()) {
                activeAlarms.add(key);
                latchedAlarms.add(key);
            } else {
                activeAlarms.remove(key);
            }
            for (Consumer<AlarmEvent> l : alarmListeners) {
                try {
                    l.accept(a);
                } catch (RuntimeException e) {
                    LOG.errorf(e, "Meter %s: an alarm listener failed on %s", id, key);
                }
            }
        }
    }

    /** Active alarm keys ({@code over_voltage:L1}, {@code sample_gap}), sorted. */
    public List<String> activeAlarms() {
        synchronized (activeAlarms) {
            return List.copyOf(activeAlarms);
        }
    }

    /** Every line of this meter's audit.log, oldest first. */
    public List<String> auditLines() {
        return keeper.store().auditLines();
    }

    /** Appends an operator's action to this meter's audit.log, durably. */
    public void audit(String line) {
        keeper.store().audit(line);
    }

    /** Why this meter's register cannot be saved, or empty. */
    public String registerProblem() {
        return keeper.failing() ? "the register cannot be saved (storage_error; see the log); retrying" : "";
    }

    /** The outbox refuses this meter's pulse events: its register saves wait. */
    public boolean refusedByOutbox() {
        return keeper.refusedByOutbox();
    }

    /** Alarms raised since the last acknowledgement, including those cleared since ({@code over_voltage:L1}). */
    public List<String> latchedAlarms() {
        synchronized (latchedAlarms) {
            return List.copyOf(latchedAlarms);
        }
    }

    /**
     * An operator has seen the alarms: the latched list starts again, and the alarms that
     * nothing else clears ({@code register_fallback}) are cleared. Returns what was latched.
     */
    public List<String> acknowledgeAlarms() {
        List<String> seen = latchedAlarms();
        latchedAlarms.removeAll(seen);
        if (activeAlarms().contains(Condition.REGISTER_FALLBACK.key())) {
            onAlarm(new AlarmEvent(Condition.REGISTER_FALLBACK, 0, false, stats().samples(), Double.NaN, Double.NaN));
        }
        return seen;
    }

    // --- interval history: the saver thread

    /** Keeps this meter's energy per minute in {@code history} (closed with the meter). */
    void attachHistory(org.minimeter.gateway.persistence.history.IntervalHistory h) {
        this.history = h;
    }

    public java.util.Optional<org.minimeter.gateway.persistence.history.IntervalHistory> history() {
        return java.util.Optional.ofNullable(history);
    }

    /**
     * Once per wall-clock minute: the durable register at the minute's start. Durable, not live,
     * so that a crash (which takes the register back to its last save) never makes the
     * history run backwards.
     */
    void recordHistory() {
        var h = history;
        if (h == null) {
            return;
        }
        java.time.Instant now = wall.instant();
        long minute = now.getEpochSecond() / 60;
        if (minute == historyMinute) {
            return;
        }
        historyMinute = minute;
        h.record(java.time.Instant.ofEpochSecond(minute * 60), durable().energy());
    }

    public long alarmOverflow() {
        return alarmOverflow.get();
    }

    public long loopFailures() {
        return loopFailures.get();
    }

    /** The last exception of the sampling loop since the previous call, or null. */
    public Throwable takeLastFailure() {
        return lastFailure.getAndSet(null);
    }
}
