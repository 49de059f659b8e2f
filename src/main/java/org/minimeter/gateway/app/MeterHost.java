package org.minimeter.gateway.app;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;
import org.minimeter.gateway.hal.MonotonicClock;

/**
 * Runs any number of meters on a fixed set of shared threads, so that a meter costs a few
 * sums and no thread, timer or connection of its own:
 * <ul>
 * <li>samplers (one per core): each meter is one task in a delay queue, taken when its
 * source's next block is due, metered, and put back for the block after;
 * <li>one outputs thread stepping the pulse lines and counters of the meters that have them;
 * <li>one saver: every 100 ms it asks each meter whether a save is due, hands all their
 * pulse events over with one group commit, then writes the registers on a small I/O pool,
 * skipping a meter whose previous save is still being written (a slow SD card or a failing
 * directory delays only its own meter);
 * <li>the same thread dispatches every meter's alarms.
 * </ul>
 * A meter whose source fails raises {@code source_failed} and goes unavailable alone.
 */
public final class MeterHost implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(MeterHost.class);
    static final long SAVER_TICK_MS = 100;
    static final long ALARM_TICK_MS = 200;
    /** The outputs look at the live register at least this often. */
    static final long OUTPUT_POLL_NANOS = 20_000_000L;

    private final List<MeterRuntime> meters = new CopyOnWriteArrayList<>();
    private final MonotonicClock clock;
    private final PulseSink sink;
    private final int samplerThreads;
    private final int savesPerTick;
    private ScheduledThreadPoolExecutor samplers;
    private ScheduledExecutorService service;
    private ExecutorService io;
    private Thread outputsThread;
    private volatile boolean running;
    /** When the saver and alarm thread last finished a tick, and the outputs thread a step. */
    private volatile long serviceBeat;
    private volatile long outputsBeat;
    /** A shared thread silent this long has died or hangs: the gateway is not alive. */
    static final long BEAT_TIMEOUT_NANOS = 10_000_000_000L;
    private static final long HISTORY_FLUSH_NANOS = 600_000_000_000L;
    private long historyFlushed;
    /** Pulse events were handed to the sink and not yet made durable: no register may be saved. */
    private volatile boolean unsynced;

    /** @param samplerThreads 0 for one per core */
    public MeterHost(int samplerThreads, MonotonicClock clock, PulseSink sink) {
        this(samplerThreads, clock, sink, Integer.MAX_VALUE);
    }

    /**
     * @param samplerThreads 0 for one per core
     * @param maxSavesPerSecond register saves per second at most, over all meters
     */
    public MeterHost(int samplerThreads, MonotonicClock clock, PulseSink sink, int maxSavesPerSecond) {
        this.savesPerTick = (int) Math.max(1, Math.min(Integer.MAX_VALUE, (long) maxSavesPerSecond * SAVER_TICK_MS / 1000));
        this.samplerThreads = samplerThreads > 0 ? samplerThreads : Runtime.getRuntime().availableProcessors();
        this.clock = clock;
        this.sink = sink;
    }

    /** Adds a meter; before {@link #start()}. */
    public void add(MeterRuntime meter) {
        if (running) {
            throw new IllegalStateException("meters are added before the host starts");
        }
        meters.add(meter);
    }

    public List<MeterRuntime> meters() {
        return List.copyOf(meters);
    }

    public synchronized void start() {
        if (running) {
            return;
        }
        running = true;
        samplers = new ScheduledThreadPoolExecutor(samplerThreads, named("sampler", Thread.MAX_PRIORITY));
        samplers.setRemoveOnCancelPolicy(true);
        service = Executors.newSingleThreadScheduledExecutor(named("meter-service", Thread.NORM_PRIORITY));
        // A few more writers than cores: a directory that hangs (a stuck USB stick) holds one.
        io = Executors.newFixedThreadPool(Math.max(4, samplerThreads), named("register-io", Thread.NORM_PRIORITY));
        long now = clock.nanoTime();
        serviceBeat = now;
        outputsBeat = now;
        historyFlushed = now;
        for (MeterRuntime m : meters) {
            m.begin(now);
            samplers.execute(() -> turn(m));
        }
        if (meters.stream().anyMatch(MeterRuntime::hasOutputs)) {
            outputsThread = named("outputs", Thread.MAX_PRIORITY - 1).newThread(this::driveOutputs);
            outputsThread.start();
        }
        service.scheduleWithFixedDelay(this::saveDue, SAVER_TICK_MS, SAVER_TICK_MS, TimeUnit.MILLISECONDS);
        service.scheduleWithFixedDelay(this::dispatchAlarms, 0, ALARM_TICK_MS, TimeUnit.MILLISECONDS);
        service.scheduleWithFixedDelay(this::recordHistory, 1000, 1000, TimeUnit.MILLISECONDS);
    }

    /**
     * Why the shared threads are not doing their work, or empty: the saver has not ticked or
     * the outputs thread has not stepped for {@link #BEAT_TIMEOUT_NANOS}, or a pool is gone.
     */
    public List<String> threadProblems() {
        if (!running) {
            return List.of();
        }
        long now = clock.nanoTime();
        List<String> p = new ArrayList<>();
        if (now - serviceBeat > BEAT_TIMEOUT_NANOS) {
            p.add(String.format("the register saver and alarm thread has not run for %d s", (now - serviceBeat)
                    / 1_000_000_000L));
        }
        if (outputsThread != null && (!outputsThread.isAlive() || now - outputsBeat > BEAT_TIMEOUT_NANOS)) {
            p.add(outputsThread.isAlive() ? String.format("the outputs thread has not run for %d s",
                    (now - outputsBeat) / 1_000_000_000L) : "the outputs thread has died");
        }
        if (samplers.isShutdown()) {
            p.add("the sampling threads have stopped");
        }
        return p;
    }

    /** Each meter's minute of energy; the files forced every 10 minutes (and when a meter stops). */
    private void recordHistory() {
        for (MeterRuntime m : meters) {
            try {
                m.recordHistory();
            } catch (RuntimeException e) {
                LOG.errorf("Meter %s: recording its interval history failed: %s", m.id(), e.getMessage());
            }
        }
        long now = clock.nanoTime();
        if (now - historyFlushed > HISTORY_FLUSH_NANOS) {
            historyFlushed = now;
            for (MeterRuntime m : meters) {
                try {
                    m.history().ifPresent(h -> h.flush());
                } catch (RuntimeException e) {
                    LOG.errorf("Meter %s: forcing its interval history to disk failed: %s", m.id(), e.getMessage());
                }
            }
        }
    }

    private static ThreadFactory named(String prefix, int priority) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setPriority(priority);
            t.setDaemon(true);
            return t;
        };
    }

    // --- sampling

    private void turn(MeterRuntime m) {
        if (!running) {
            return;
        }
        long next;
        synchronized (m.turnLock) {
            if (m.retired) {
                return;
            }
            try {
                next = m.sample(clock.nanoTime());
            } catch (RuntimeException | Error e) {
                // sample() catches its source's failures; this is a defect in the metering itself.
                LOG.errorf(e, "Meter %s: sampling failed; trying again", m.id());
                next = clock.nanoTime() + MeterRuntime.RETRY_NANOS;
            }
        }
        try {
            long delay = next - clock.nanoTime();
            if (delay <= 0) {
                samplers.execute(() -> turn(m));
            } else {
                samplers.schedule(() -> turn(m), delay, TimeUnit.NANOSECONDS);
            }
        } catch (RejectedExecutionException e) {
            // stopping
        }
    }

    // --- outputs

    private void driveOutputs() {
        while (running) {
            long now = clock.nanoTime();
            outputsBeat = now;
            long next = now + OUTPUT_POLL_NANOS;
            for (MeterRuntime m : meters) {
                if (!m.hasOutputs()) {
                    continue;
                }
                try {
                    next = Math.min(next, m.stepOutputs(now));
                } catch (RuntimeException e) {
                    LOG.errorf(e, "Meter %s: driving the outputs failed; trying again", m.id());
                }
            }
            try {
                clock.sleepUntil(next);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    // --- the register

    private record Due(MeterRuntime meter, RegisterKeeper.Plan plan) {
    }

    private record Candidate(MeterRuntime meter, long since) {
    }

    private void saveDue() {
        try {
            saveDueNow();
        } catch (RuntimeException | Error e) {
            // A scheduled task that throws is never run again: no meter would save any more.
            LOG.errorf(e, "Register saver failed; it runs again next tick");
        } finally {
            serviceBeat = clock.nanoTime();
        }
    }

    private void saveDueNow() {
        // Every meter due, longest untried first, up to this tick's share of the save budget:
        // each save is two fsyncs, and their number must not grow with the number of meters.
        List<Candidate> candidates = new ArrayList<>();
        for (MeterRuntime m : meters) {
            if (m.saving.get()) {
                continue;
            }
            try {
                long since = m.keeper().dueSince();
                if (since >= 0) {
                    candidates.add(new Candidate(m, since));
                }
            } catch (RuntimeException e) {
                LOG.errorf(e, "Meter %s: checking whether a register save is due failed", m.id());
            }
        }
        if (candidates.size() > savesPerTick) {
            candidates.sort(Comparator.comparingLong(Candidate::since));
            candidates = candidates.subList(0, savesPerTick);
        }
        List<Due> due = new ArrayList<>();
        for (Candidate c : candidates) {
            try {
                RegisterKeeper.Plan plan = c.meter().keeper().plan(false);
                if (plan != null) {
                    due.add(new Due(c.meter(), plan));
                }
            } catch (RuntimeException e) {
                LOG.errorf(e, "Meter %s: preparing a register save failed", c.meter().id());
            }
        }
        if (due.isEmpty()) {
            return;
        }
        for (Due d : handOver(due)) {
            d.meter().saving.set(true);
            try {
                io.execute(() -> commit(d));
            } catch (RejectedExecutionException e) {
                d.meter().saving.set(false);
            }
        }
    }

    /**
     * Every due meter's pulse events to the sink, then one durable commit. Returns the saves
     * that may go ahead: none while events handed over (now or at an earlier tick) are not
     * durable, since a register saved past a pulse that is not on disk could skip its seq.
     */
    private List<Due> handOver(List<Due> due) {
        List<Due> ready = new ArrayList<>(due.size());
        for (Due d : due) {
            if (d.plan().events().isEmpty()) {
                ready.add(d);
                continue;
            }
            RegisterKeeper keeper = d.meter().keeper();
            try {
                unsynced = true;
                sink.pulses(d.meter(), d.plan().events());
            } catch (RuntimeException e) {
                // The outbox refused them (full disk, closed): offered again at the next save.
                keeper.unrelease(d.plan());
                if (keeper.outboxRefusing(true)) {
                    LOG.errorf("Meter %s: pulse events cannot be queued (%s); its register saves wait until they"
                            + " can (storage_error raised)", d.meter().id(), e.getMessage());
                }
                continue;
            }
            if (keeper.outboxRefusing(false)) {
                LOG.infof("Meter %s: pulse events are queued again; register saves resume", d.meter().id());
            }
            ready.add(d);
            try {
                d.meter().publishPulses(d.plan().events());
            } catch (RuntimeException e) {
                LOG.errorf(e, "Meter %s: a pulse listener failed", d.meter().id());
            }
        }
        if (unsynced) {
            try {
                sink.sync();
                unsynced = false;
            } catch (RuntimeException e) {
                LOG.errorf("Register saves wait: the pulse events could not be made durable: %s", e.getMessage());
                return List.of();
            }
        }
        return ready;
    }

    private void commit(Due d) {
        try {
            d.meter().keeper().commit(d.plan());
        } catch (RuntimeException e) {
            // storage_error is raised by the keeper; the next tick retries.
            LOG.debugf("Meter %s: register save failed: %s", d.meter().id(), e.getMessage());
        } finally {
            d.meter().saving.set(false);
        }
    }

    private void dispatchAlarms() {
        for (MeterRuntime m : meters) {
            try {
                m.dispatchAlarms();
            } catch (RuntimeException e) {
                LOG.errorf(e, "Meter %s: dispatching alarms failed", m.id());
            }
        }
    }

    /**
     * Restarts one meter while the others run: {@code old} stops between two of its turns, its
     * window in progress is committed and saved like at a clean stop (pulse events first),
     * its outputs go off and it is closed; then {@code open} builds its successor (from the
     * register just saved), which starts sampling. If {@code open} fails, {@code reopen}
     * builds the meter as it was, so a refused change never leaves a meter stopped.
     */
    public MeterRuntime replace(MeterRuntime old, java.util.function.Supplier<MeterRuntime> open,
            java.util.function.Supplier<MeterRuntime> reopen) {
        synchronized (old.turnLock) {
            old.retired = true;
        }
        meters.remove(old);
        // The final save runs on the saver's own thread, so no tick of it can plan a save of
        // this meter meanwhile; a save already on the I/O pool finishes first.
        Runnable finalSave = () -> {
            long deadline = clock.nanoTime() + 10_000_000_000L;
            try {
                while (old.saving.get() && clock.nanoTime() - deadline < 0) {
                    clock.sleepUntil(clock.nanoTime() + 2_000_000L);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            List<Due> due = new ArrayList<>();
            old.engine().flush();
            RegisterKeeper.Plan plan = old.keeper().plan(true);
            if (plan != null) {
                due.add(new Due(old, plan));
            }
            for (Due d : handOver(due)) {
                d.meter().keeper().commit(d.plan());
            }
            old.dispatchAlarms();
        };
        try {
            if (running) {
                service.submit(finalSave).get(30, TimeUnit.SECONDS);
            } else {
                finalSave.run();
            }
            // the outputs thread has moved past this meter before its lines go off
            clock.sleepUntil(clock.nanoTime() + 2 * OUTPUT_POLL_NANOS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping meter " + old.id(), e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            // not saved: the meter carries on as it was
            synchronized (old.turnLock) {
                old.retired = false;
            }
            start(old);
            throw new IllegalStateException("meter " + old.id() + ": its final save before the restart failed: "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
        }
        old.finish();
        MeterRuntime fresh;
        try {
            fresh = open.get();
        } catch (RuntimeException e) {
            LOG.errorf("Meter %s: restart refused (%s); starting it as it was", old.id(), e.getMessage());
            start(reopen.get());
            throw e;
        }
        start(fresh);
        return fresh;
    }

    private void start(MeterRuntime m) {
        meters.add(m);
        m.begin(clock.nanoTime());
        if (running) {
            samplers.execute(() -> turn(m));
        }
    }

    /**
     * Saves every meter's register now, whatever the save policy (the power is failing and a
     * supercap or UPS gives the board a few seconds): all pulse events with one sync, then
     * every register written in parallel. The live register is taken as of the last closed
     * window, so the loss bound is one window (200 ms) of energy. Returns the meters saved.
     */
    public int saveAllNow(long timeoutNanos) {
        if (!running) {
            return 0;
        }
        java.util.concurrent.Future<Integer> f = service.submit(() -> {
            List<Due> due = new ArrayList<>();
            for (MeterRuntime m : meters) {
                long deadline = clock.nanoTime() + 1_000_000_000L;
                while (m.saving.get() && clock.nanoTime() - deadline < 0) {
                    clock.sleepUntil(clock.nanoTime() + 1_000_000L);
                }
                try {
                    RegisterKeeper.Plan plan = m.keeper().plan(true);
                    if (plan != null) {
                        due.add(new Due(m, plan));
                    }
                } catch (RuntimeException e) {
                    LOG.errorf("Meter %s: preparing its power-fail save failed: %s", m.id(), e.getMessage());
                }
            }
            List<java.util.concurrent.Future<?>> writes = new ArrayList<>();
            for (Due d : handOver(due)) {
                writes.add(io.submit(() -> d.meter().keeper().commit(d.plan())));
            }
            int saved = 0;
            for (var w : writes) {
                try {
                    w.get();
                    saved++;
                } catch (java.util.concurrent.ExecutionException e) {
                    LOG.errorf("Power-fail save failed: %s", e.getCause().getMessage());
                }
            }
            return saved;
        });
        try {
            return f.get(timeoutNanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            LOG.errorf("Power-fail save did not complete: %s", e.toString());
            return 0;
        }
    }

    /** Runs the alarm dispatch now (tests, and the final pass at stop). */
    public void dispatchAlarmsNow() {
        dispatchAlarms();
    }

    /**
     * Stops sampling, outputs and saving, then stops every meter cleanly: its window in
     * progress committed, saved (pulse events first, one sync for all), outputs off, directory
     * unlocked. A meter that fails to stop is logged and the others still stop.
     */
    @Override
    public synchronized void close() {
        boolean wasRunning = running;
        running = false;
        if (wasRunning) {
            samplers.shutdownNow();
            service.shutdown();
            awaitQuietly(samplers);
            awaitQuietly(service);
            if (outputsThread != null) {
                try {
                    outputsThread.join(2000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            io.shutdown();
            awaitQuietly(io);
        }
        // Waiting for the threads may have left this thread interrupted, and an interrupted
        // thread's file I/O closes the channel for good: the final saves run without the flag.
        boolean interrupted = Thread.interrupted();
        try {
            finalSaves();
            for (MeterRuntime m : meters) {
                try {
                    m.finish();
                } catch (RuntimeException e) {
                    LOG.errorf(e, "Meter %s: clean stop failed", m.id());
                }
            }
            dispatchAlarms();
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Every meter's window in progress committed, then the saves as at any tick, but for all
     * meters and without the budget: events of all, one sync, then the registers. A meter
     * whose save fails is logged; the others are saved all the same.
     */
    private void finalSaves() {
        List<Due> due = new ArrayList<>();
        for (MeterRuntime m : meters) {
            try {
                m.engine().flush();
                RegisterKeeper.Plan plan = m.keeper().plan(true);
                if (plan != null) {
                    due.add(new Due(m, plan));
                }
            } catch (RuntimeException e) {
                LOG.errorf(e, "Meter %s: preparing its final save failed", m.id());
            }
        }
        for (Due d : handOver(due)) {
            try {
                d.meter().keeper().commit(d.plan());
            } catch (RuntimeException e) {
                LOG.errorf("Meter %s: clean stop failed: its final register save did not succeed: %s",
                        d.meter().id(), e.getMessage());
            }
        }
    }

    private static void awaitQuietly(ExecutorService e) {
        try {
            if (!e.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warn("A meter thread did not stop within 5 s");
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
    }
}
