package org.minimeter.gateway.app;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.minimeter.gateway.hal.DigitalLine;
import org.minimeter.gateway.hal.MonotonicClock;
import org.minimeter.gateway.hal.WaveformSource;
import org.minimeter.gateway.metering.AlarmEvent;
import org.minimeter.gateway.metering.EnergyRegister;
import org.minimeter.gateway.metering.EnergySnapshot;
import org.minimeter.gateway.metering.Measurement;
import org.minimeter.gateway.metering.MeterSpec;
import org.minimeter.gateway.metering.Metrology;
import org.minimeter.gateway.metering.SampleBlock;
import org.minimeter.gateway.outputs.OutputBank;
import org.minimeter.gateway.outputs.OutputSettings;
import org.minimeter.gateway.outputs.PulseEvent;
import org.minimeter.gateway.outputs.PulseLedger;
import org.minimeter.gateway.persistence.RegisterState;
import org.minimeter.gateway.persistence.RegisterStore;
import org.minimeter.gateway.persistence.SavePolicy;

/**
 * One meter at run time: its source, metering, register, outputs and store, and the three
 * threads that run them: sampling (reads and meters blocks, nothing else), outputs (drives
 * the pulse lines and counter from the live register) and register (saves it and releases
 * what depends on durability). Keyed by the meter id; a process may run several.
 *
 * <p>The sampling thread only reads blocks and meters them. What it produces is handed over
 * without blocking: the latest measurement by a volatile reference, alarms through a bounded
 * queue that other threads drain (a full queue counts an overflow rather than wait).
 */
public final class MeterRuntime implements Metrology.Listener {

    private static final int ALARM_QUEUE = 1024;
    /** The outputs look at the live register at least this often. */
    private static final long OUTPUT_POLL_NANOS = 20_000_000L;
    private static final long KEEPER_TICK_NANOS = 100_000_000L;

    private final String id;
    private final WaveformSource source;
    private final Metrology metrology;
    private final SampleBlock block;
    private final RegisterStore store;
    private final OutputBank outputs;
    private final RegisterKeeper keeper;
    private final MonotonicClock clock;
    private final List<Consumer<PulseEvent>> pulseListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<AlarmEvent>> alarmListeners = new CopyOnWriteArrayList<>();
    private final java.util.SortedSet<String> activeAlarms =
            java.util.Collections.synchronizedSortedSet(new java.util.TreeSet<>());
    private final BlockingQueue<AlarmEvent> alarms = new ArrayBlockingQueue<>(ALARM_QUEUE);
    private final AtomicLong alarmOverflow = new AtomicLong();
    private final AtomicLong loopFailures = new AtomicLong();
    private final AtomicReference<Throwable> lastFailure = new AtomicReference<>();
    private final long startedNanos = System.nanoTime();
    private volatile Measurement latest;
    private volatile boolean running;
    private final List<Thread> threads = new ArrayList<>();

    /**
     * @param store the meter's open register store (this runtime closes it on stop)
     * @param start the state loaded from it (or {@link RegisterState#empty})
     * @param lines the output lines: pulse10, pulse100, pulse1000, counter
     */
    public MeterRuntime(String id, MeterSpec spec, WaveformSource source, RegisterStore store, RegisterState start,
            OutputSettings outputSettings, Map<String, DigitalLine> lines, SavePolicy savePolicy,
            MonotonicClock clock, Clock wall) {
        this.id = id;
        this.source = source;
        this.store = store;
        this.clock = clock;
        this.metrology = new Metrology(spec, new EnergyRegister(start.energy()), this);
        this.block = new SampleBlock(spec.elements(), source.blockSize());
        long delivered = start.energy().deliveredMicroWh(0);
        this.outputs = new OutputBank(outputSettings, lines, delivered, start.counterBacklog(), clock.nanoTime(),
                this::onAlarm);
        PulseLedger ledger = new PulseLedger(PulseLedger.standardOutputs(outputSettings.counterWh()), delivered,
                start.sequences());
        this.keeper = new RegisterKeeper(store, start, ledger, savePolicy, outputs, metrology::latestEnergy,
                this::publishPulses, this::onAlarm, clock, wall);
    }

    public String id() {
        return id;
    }

    public WaveformSource source() {
        return source;
    }

    public MeterSpec spec() {
        return metrology.spec();
    }

    public synchronized void start() {
        if (running) {
            return;
        }
        running = true;
        Thread sampler = new Thread(this::sample, "sampler-" + id);
        sampler.setPriority(Thread.MAX_PRIORITY);
        threads.add(sampler);
        threads.add(new Thread(this::driveOutputs, "outputs-" + id));
        threads.add(new Thread(this::keepRegister, "register-" + id));
        threads.forEach(Thread::start);
    }

    private void driveOutputs() {
        while (running) {
            try {
                long now = clock.nanoTime();
                long next = outputs.step(now, metrology.latestEnergy().deliveredMicroWh(0));
                clock.sleepUntil(Math.min(next, now + OUTPUT_POLL_NANOS));
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                if (!pauseAfter(e)) {
                    return;
                }
            }
        }
    }

    /** Counts a loop failure and waits a poll period so a persistent fault cannot spin a core. */
    private boolean pauseAfter(RuntimeException e) {
        loopFailures.incrementAndGet();
        lastFailure.set(e);
        try {
            clock.sleepUntil(clock.nanoTime() + KEEPER_TICK_NANOS);
            return true;
        } catch (InterruptedException ie) {
            return false;
        }
    }

    private void keepRegister() {
        while (running) {
            try {
                keeper.tick(false);
                clock.sleepUntil(clock.nanoTime() + KEEPER_TICK_NANOS);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                // A failed save raised storage_error; it is retried on the next tick.
                if (!pauseAfter(e)) {
                    return;
                }
            }
        }
    }

    private void publishPulses(List<PulseEvent> events) {
        for (PulseEvent e : events) {
            for (Consumer<PulseEvent> l : pulseListeners) {
                l.accept(e);
            }
        }
    }

    /** Pulse events, called on the register thread after each durable save: must not block. */
    public void addPulseListener(Consumer<PulseEvent> listener) {
        pulseListeners.add(listener);
    }

    private void sample() {
        while (running) {
            try {
                source.read(block);
                metrology.process(block);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                // A failing source read must not end metering: count it, let the logger
                // report it, and go on with the next block (the metering sees a gap).
                if (!pauseAfter(e)) {
                    return;
                }
            }
        }
    }

    /**
     * Stops cleanly: sampling ends, the window in progress is committed and saved, the
     * outputs go off (their safe state) and the register directory is unlocked.
     */
    public synchronized void stop() throws InterruptedException {
        if (!running) {
            return;
        }
        running = false;
        boolean stillRunning = false;
        InterruptedException interrupted = null;
        try {
            // The threads see running=false within one period (at most a block, 100 ms): no
            // interrupt, which would close a file channel mid-write on the register thread.
            for (Thread t : threads) {
                t.join(3000);
                if (t.isAlive()) {
                    t.interrupt();
                    t.join(2000);
                }
                stillRunning |= t.isAlive();
            }
            threads.clear();
            if (!stillRunning) {
                // Only with the sampler gone may another thread touch the metering.
                metrology.flush();
            }
            keeper.tick(true);
        } catch (InterruptedException e) {
            interrupted = e;
        } finally {
            try {
                outputs.allOff();
            } finally {
                try {
                    source.close();
                } finally {
                    store.close();
                }
            }
        }
        if (interrupted != null) {
            throw interrupted;
        }
    }

    /** The register as last saved: the only values that may be published. */
    public RegisterState durable() {
        return keeper.durable();
    }

    public OutputBank.Status outputs() {
        return outputs.status();
    }

    /** True if the named output line is on now. */
    public boolean outputOn(String output) {
        return outputs.lineOn(output);
    }

    public long saves() {
        return keeper.saves();
    }

    @Override
    public void onMeasurement(Measurement measurement) {
        latest = measurement;
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

    public double uptimeSeconds() {
        return (System.nanoTime() - startedNanos) / 1e9;
    }

    /** Alarm consumers (log, MQTT), called by {@link #dispatchAlarms()}: off the sampling thread. */
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
            } else {
                activeAlarms.remove(key);
            }
            for (Consumer<AlarmEvent> l : alarmListeners) {
                l.accept(a);
            }
        }
    }

    /** Active alarm keys ({@code over_voltage:L1}, {@code sample_gap}), sorted. */
    public List<String> activeAlarms() {
        synchronized (activeAlarms) {
            return List.copyOf(activeAlarms);
        }
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
