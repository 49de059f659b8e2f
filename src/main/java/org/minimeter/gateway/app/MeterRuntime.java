package org.minimeter.gateway.app;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.minimeter.gateway.hal.WaveformSource;
import org.minimeter.gateway.metering.AlarmEvent;
import org.minimeter.gateway.metering.EnergyRegister;
import org.minimeter.gateway.metering.EnergySnapshot;
import org.minimeter.gateway.metering.Measurement;
import org.minimeter.gateway.metering.MeterSpec;
import org.minimeter.gateway.metering.Metrology;
import org.minimeter.gateway.metering.SampleBlock;

/**
 * One meter at run time: its source, its metering and register, and the sampling thread
 * that joins them. Keyed by the meter id; a process may run several.
 *
 * <p>The sampling thread only reads blocks and meters them. What it produces is handed over
 * without blocking: the latest measurement by a volatile reference, alarms through a bounded
 * queue that other threads drain (a full queue counts an overflow rather than wait).
 */
public final class MeterRuntime implements Metrology.Listener {

    private static final int ALARM_QUEUE = 1024;

    private final String id;
    private final WaveformSource source;
    private final Metrology metrology;
    private final SampleBlock block;
    private final BlockingQueue<AlarmEvent> alarms = new ArrayBlockingQueue<>(ALARM_QUEUE);
    private final AtomicLong alarmOverflow = new AtomicLong();
    private final AtomicLong loopFailures = new AtomicLong();
    private final AtomicReference<Throwable> lastFailure = new AtomicReference<>();
    private final long startedNanos = System.nanoTime();
    private volatile Measurement latest;
    private volatile boolean running;
    private Thread thread;

    public MeterRuntime(String id, MeterSpec spec, WaveformSource source, EnergySnapshot start) {
        this.id = id;
        this.source = source;
        this.metrology = new Metrology(spec, new EnergyRegister(start), this);
        this.block = new SampleBlock(spec.elements(), source.blockSize());
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
        thread = new Thread(this::sample, "sampler-" + id);
        thread.setPriority(Thread.MAX_PRIORITY);
        thread.start();
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
                loopFailures.incrementAndGet();
                lastFailure.set(e);
            }
        }
    }

    /** Stops sampling and waits for the thread; the register keeps its last window. */
    public synchronized void stop() throws InterruptedException {
        running = false;
        if (thread != null) {
            thread.interrupt();
            thread.join(5000);
            thread = null;
        }
        source.close();
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

    public EnergySnapshot energy() {
        return metrology.latestEnergy();
    }

    public Metrology.Stats stats() {
        return metrology.stats();
    }

    public double uptimeSeconds() {
        return (System.nanoTime() - startedNanos) / 1e9;
    }

    /** Alarms since the last call, oldest first. */
    public List<AlarmEvent> drainAlarms() {
        List<AlarmEvent> out = new ArrayList<>();
        alarms.drainTo(out);
        return out;
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
