package org.minimeter.gateway.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minimeter.gateway.hal.DigitalInput;
import org.minimeter.gateway.hal.MonotonicClock;
import org.minimeter.gateway.hal.simulator.SimulatorSettings;
import org.minimeter.gateway.persistence.SavePolicy;

/**
 * A power-fail line saves every register at once, so a relaxed save policy (few fsyncs for an
 * SD card) still loses at most one window of energy when the supply fails.
 */
class PowerFailWatchTest {

    @TempDir
    Path dir;

    /** A line the test pulls low and high, as a UPS board's output would. */
    static final class Line implements DigitalInput {
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition changed = lock.newCondition();
        private boolean high = true;

        void set(boolean h) {
            lock.lock();
            try {
                high = h;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public String name() {
            return "power-fail (test)";
        }

        @Override
        public boolean isHigh() {
            lock.lock();
            try {
                return high;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public boolean awaitLow(long timeoutNanos) throws InterruptedException {
            lock.lock();
            try {
                long left = timeoutNanos;
                while (high && left > 0) {
                    left = changed.awaitNanos(left);
                }
                return !high;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aFallingLineSavesEveryRegisterAtOnce_evenWithARelaxedPolicy() throws Exception {
        SimulatorSettings s = SimulatorSettings.builder(60, 2, 200).current(100).speed(20).build();
        // the policy alone would not save for an hour
        SavePolicy relaxed = new SavePolicy(1_000_000_000_000L, 3_600_000_000_000L);
        MeterRuntime a = meter("a", s, relaxed);
        MeterRuntime b = meter("b", s, relaxed);
        Line line = new Line();
        try (MeterHost host = new MeterHost(1, MonotonicClock.SYSTEM, PulseSink.NONE);
                PowerFailWatch watch = new PowerFailWatch(line, null, host)) {
            host.add(a);
            host.add(b);
            host.start();
            watch.start();
            // the default policy saves every 1 Wh / 1 s; at 24 kW x 20 that is constant: let energy build up
            await().atMost(Duration.ofSeconds(10)).until(() -> a.energy().deliveredMicroWh(0) > 50_000_000L);
            assertThat(a.saves() + b.saves()).as("nothing saved by the relaxed policy").isZero();
            long liveA = a.energy().deliveredMicroWh(0);
            long liveB = b.energy().deliveredMicroWh(0);
            line.set(false);
            await().atMost(Duration.ofSeconds(5)).until(() -> watch.triggers() == 1);
            await().atMost(Duration.ofSeconds(5)).until(() -> a.saves() == 1 && b.saves() == 1);
            // each durable register holds at least what was live when the line fell
            assertThat(a.durable().energy().deliveredMicroWh(0)).isGreaterThanOrEqualTo(liveA);
            assertThat(b.durable().energy().deliveredMicroWh(0)).isGreaterThanOrEqualTo(liveB);
            // one save per power cut: staying low does not trigger again; high then low again does
            TimeUnit.MILLISECONDS.sleep(1500);
            assertThat(watch.triggers()).isEqualTo(1);
            line.set(true);
            TimeUnit.MILLISECONDS.sleep(300);
            line.set(false);
            await().atMost(Duration.ofSeconds(5)).until(() -> watch.triggers() == 2);
        }
    }

    private MeterRuntime meter(String id, SimulatorSettings s, SavePolicy policy) {
        var source = new org.minimeter.gateway.hal.simulator.SimulatedSource(s, MonotonicClock.SYSTEM);
        var spec = org.minimeter.gateway.metering.MeterSpec.of(60, 200, s.sampleRate(), source.frontEnd().calibration());
        return new MeterRuntime(id, spec, source, new org.minimeter.gateway.persistence.RegisterStore(dir, id, 3),
                org.minimeter.gateway.persistence.RegisterState.empty(2),
                org.minimeter.gateway.outputs.OutputSettings.defaults(), java.util.Map.of(), policy,
                MonotonicClock.SYSTEM, java.time.Clock.systemUTC());
    }
}
