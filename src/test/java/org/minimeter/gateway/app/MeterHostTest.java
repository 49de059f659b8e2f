package org.minimeter.gateway.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minimeter.gateway.hal.ForwardingSource;
import org.minimeter.gateway.hal.MonotonicClock;
import org.minimeter.gateway.hal.simulator.SimulatedSource;
import org.minimeter.gateway.hal.simulator.SimulatorSettings;
import org.minimeter.gateway.metering.AlarmEvent;
import org.minimeter.gateway.metering.Condition;
import org.minimeter.gateway.metering.MeterSpec;
import org.minimeter.gateway.metering.SampleBlock;
import org.minimeter.gateway.outputs.OutputSettings;
import org.minimeter.gateway.outputs.PulseEvent;
import org.minimeter.gateway.persistence.RegisterState;
import org.minimeter.gateway.persistence.RegisterStore;
import org.minimeter.gateway.persistence.SavePolicy;

/** Many meters on a few shared threads: one meter's failure is its own. */
class MeterHostTest {

    static final Duration T = Duration.ofSeconds(20);

    @TempDir
    Path storage;

    /** A simulated source that can be made to stop delivering, or to throw on every read. */
    static final class Switchable extends ForwardingSource {
        final AtomicBoolean stalled = new AtomicBoolean();
        final AtomicBoolean throwing = new AtomicBoolean();
        final java.util.concurrent.atomic.AtomicLong faults = new java.util.concurrent.atomic.AtomicLong();

        @Override
        public long faults() {
            return faults.get();
        }

        @Override
        public String lastFault() {
            return faults.get() == 0 ? "" : "CRC error (simulated)";
        }

        Switchable(SimulatorSettings s) {
            super(new SimulatedSource(s, MonotonicClock.SYSTEM));
        }

        @Override
        public boolean poll(SampleBlock block, long nowNanos) {
            if (throwing.get()) {
                throw new IllegalStateException("SPI transfer failed (simulated)");
            }
            boolean filled = inner.poll(block, nowNanos);
            return filled && !stalled.get();
        }
    }

    record Built(MeterRuntime meter, Switchable source, List<AlarmEvent> alarms) {
    }

    Built meter(String id, double amps) {
        SimulatorSettings s = SimulatorSettings.builder(60, 2, 200).current(amps).speed(10).build();
        Switchable source = new Switchable(s);
        MeterSpec spec = MeterSpec.of(60, 200, s.sampleRate(), source.frontEnd().calibration());
        RegisterStore store = new RegisterStore(storage, id, 3);
        store.load();
        MeterRuntime m = new MeterRuntime(id, spec, source, store, RegisterState.empty(2), OutputSettings.defaults(),
                Map.of(), SavePolicy.defaults(), MonotonicClock.SYSTEM, Clock.systemUTC());
        List<AlarmEvent> alarms = new CopyOnWriteArrayList<>();
        m.addAlarmListener(alarms::add);
        return new Built(m, source, alarms);
    }

    @Test
    void aStalledSourceMakesOnlyItsMeterUnavailable_andItComesBackWithTheGapCounted() {
        List<Built> built = new ArrayList<>();
        try (MeterHost host = new MeterHost(2, MonotonicClock.SYSTEM, PulseSink.NONE)) {
            for (int k = 0; k < 5; k++) {
                built.add(meter("m" + k, 10 + k));
                host.add(built.get(k).meter());
            }
            host.start();
            await().atMost(T).until(() -> built.stream().allMatch(b -> b.meter().latest() != null));
            Built sick = built.get(2);
            sick.source().stalled.set(true);
            await().atMost(T).until(() -> !sick.meter().available());
            assertThat(sick.meter().sourceProblem()).contains("no samples");
            await().atMost(T).until(() -> sick.alarms().stream()
                    .anyMatch(a -> a.condition() == Condition.SOURCE_FAILED && a.raised()));
            long[] windows = built.stream().mapToLong(b -> b.meter().stats().windows()).toArray();
            await().atMost(T).until(() -> {
                for (int k = 0; k < 5; k++) {
                    if (k != 2 && built.get(k).meter().stats().windows() < windows[k] + 10) {
                        return false;
                    }
                }
                return true;
            });
            assertThat(built).filteredOn(b -> b != sick).allMatch(b -> b.meter().available());
            assertThat(sick.meter().stats().windows()).isLessThanOrEqualTo(windows[2] + 1);

            sick.source().stalled.set(false);
            await().atMost(T).until(() -> sick.meter().available());
            await().atMost(T).until(() -> sick.alarms().stream()
                    .anyMatch(a -> a.condition() == Condition.SOURCE_FAILED && !a.raised()));
            await().atMost(T).until(() -> sick.meter().stats().droppedSamples() > 0);
        }
    }

    @Test
    void aSourceThatThrowsIsCountedAndAlarmed_andTheOthersKeepMetering() {
        List<Built> built = new ArrayList<>();
        try (MeterHost host = new MeterHost(1, MonotonicClock.SYSTEM, PulseSink.NONE)) {
            for (int k = 0; k < 3; k++) {
                built.add(meter("t" + k, 20));
                host.add(built.get(k).meter());
            }
            built.get(0).source().throwing.set(true);
            host.start();
            await().atMost(T).until(() -> built.get(0).meter().loopFailures() > 5);
            await().atMost(T).until(() -> !built.get(0).meter().available());
            assertThat(built.get(0).meter().sourceProblem()).contains("SPI transfer failed");
            await().atMost(T).until(() -> built.get(1).meter().stats().windows() > 20
                    && built.get(2).meter().stats().windows() > 20);
            assertThat(built.get(1).meter().loopFailures()).isZero();
        }
    }

    @Test
    void aFailingRegisterDirectoryIsThatMetersStorageError_othersKeepSaving() throws Exception {
        List<Built> built = new ArrayList<>();
        List<PulseEvent> pulses = new CopyOnWriteArrayList<>();
        try (MeterHost host = new MeterHost(2, MonotonicClock.SYSTEM, PulseSink.NONE)) {
            for (int k = 0; k < 3; k++) {
                built.add(meter("s" + k, 100));
                host.add(built.get(k).meter());
            }
            built.get(0).meter().addPulseListener(pulses::add);
            host.start();
            await().atMost(T).until(() -> built.stream().allMatch(b -> b.meter().saves() >= 2));
            try (Stream<Path> s = Files.walk(storage.resolve("s0"))) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
            await().atMost(T).until(() -> built.get(0).alarms().stream()
                    .anyMatch(a -> a.condition() == Condition.STORAGE_ERROR && a.raised()));
            int pulsesWhileFailing = pulses.size();
            long saves1 = built.get(1).meter().saves();
            long saves2 = built.get(2).meter().saves();
            await().atMost(T).until(() -> built.get(1).meter().saves() > saves1 + 3
                    && built.get(2).meter().saves() > saves2 + 3);
            // the failing meter's pulses were handed over once, not again on every retry
            assertThat(pulses.stream().map(p -> p.output() + ":" + p.seq()).distinct().count()).as("%s", pulses).isEqualTo(pulses.size());
            assertThat(pulses.size()).isGreaterThanOrEqualTo(pulsesWhileFailing);
            Files.createDirectories(storage.resolve("s0"));
            await().atMost(T).until(() -> built.get(0).alarms().stream()
                    .anyMatch(a -> a.condition() == Condition.STORAGE_ERROR && !a.raised()));
        }
    }

    @Test
    void closeSavesEveryMeterEvenWhenOneFailsToStop() throws Exception {
        List<Built> built = new ArrayList<>();
        MeterHost host = new MeterHost(2, MonotonicClock.SYSTEM, PulseSink.NONE);
        for (int k = 0; k < 3; k++) {
            built.add(meter("c" + k, 100));
            host.add(built.get(k).meter());
        }
        host.start();
        await().atMost(T).until(() -> built.stream().allMatch(b -> b.meter().energy().deliveredMicroWh(0) > 0));
        // the first meter's directory goes away: its final save fails, the others' must not be skipped
        try (Stream<Path> s = Files.walk(storage.resolve("c0"))) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        host.close();
        for (int k = 1; k < 3; k++) {
            MeterRuntime m = built.get(k).meter();
            assertThat(m.durable().energy().deliveredMicroWh(0)).as(m.id())
                    .isEqualTo(m.energy().deliveredMicroWh(0)).isPositive();
            try (RegisterStore reopened = new RegisterStore(storage, m.id(), 3)) {
                assertThat(reopened.load().state().energy().deliveredMicroWh(0))
                        .isEqualTo(m.energy().deliveredMicroWh(0));
            }
        }
    }

    @Test
    void theSaveBudgetBoundsSavesWhateverTheNumberOfMeters_andEveryMeterGetsItsTurn() {
        List<Built> built = new ArrayList<>();
        // 40 meters each due every second, 10 saves a second for all of them
        try (MeterHost host = new MeterHost(2, MonotonicClock.SYSTEM, PulseSink.NONE, 10)) {
            for (int k = 0; k < 40; k++) {
                built.add(meter("b" + k, 100));
                host.add(built.get(k).meter());
            }
            host.start();
            await().atMost(T).until(() -> built.stream().allMatch(b -> b.meter().saves() >= 1));
            long before = built.stream().mapToLong(b -> b.meter().saves()).sum();
            long t0 = System.nanoTime();
            await().atMost(T).until(() -> built.stream().allMatch(b -> b.meter().saves() >= 3));
            double seconds = (System.nanoTime() - t0) / 1e9;
            long saves = built.stream().mapToLong(b -> b.meter().saves()).sum() - before;
            // one tick's share (1 save per 100 ms) at most, plus the ticks at either end of the
            // window and a save already handed to the I/O pool when it opened
            assertThat(saves).isLessThanOrEqualTo((long) Math.ceil(seconds * 10) + 3);
        }
    }

    @Test
    void anAlarmRaisedWhileWiring_waitsForItsListeners() {
        Built b = meter("w", 10);
        // raised as the gateway does for a register fallback, before anything listens or runs
        b.meter().onAlarm(new AlarmEvent(Condition.REGISTER_FALLBACK, 0, true, 0, 3, Double.NaN));
        List<AlarmEvent> late = new CopyOnWriteArrayList<>();
        b.meter().addAlarmListener(late::add);
        try (MeterHost host = new MeterHost(1, MonotonicClock.SYSTEM, PulseSink.NONE)) {
            host.add(b.meter());
            host.start();
            await().atMost(T).until(() -> late.stream().anyMatch(a -> a.condition() == Condition.REGISTER_FALLBACK));
        }
        assertThat(b.alarms()).anyMatch(a -> a.condition() == Condition.REGISTER_FALLBACK);
        assertThat(b.meter().activeAlarms()).contains("register_fallback");
    }

    /** A sink standing in for the outbox, whose appends or syncs can be made to fail. */
    static final class FlakySink implements PulseSink {
        final AtomicBoolean failPulses = new AtomicBoolean();
        final AtomicBoolean failSync = new AtomicBoolean();
        final List<Long> accepted = new CopyOnWriteArrayList<>();
        volatile long acceptedMax;
        volatile long durableMax;

        @Override
        public void pulses(MeterRuntime meter, List<PulseEvent> events) {
            if (failPulses.get()) {
                throw new IllegalStateException("outbox: no space left on device (simulated)");
            }
            for (PulseEvent e : events) {
                if (e.output().equals("pulse10")) {
                    accepted.add(e.seq());
                    acceptedMax = Math.max(acceptedMax, e.seq());
                }
            }
        }

        @Override
        public void sync() {
            if (failSync.get()) {
                throw new IllegalStateException("outbox: fsync failed (simulated)");
            }
            durableMax = acceptedMax;
        }
    }

    @Test
    void whileTheOutboxRefusesOrCannotSync_noRegisterIsSavedPastAPulseNotOnDisk_andNoSeqIsSkipped() {
        FlakySink sink = new FlakySink();
        Built b = meter("f", 150);
        List<Long> savedSeqs = new CopyOnWriteArrayList<>();
        try (MeterHost host = new MeterHost(1, MonotonicClock.SYSTEM, sink)) {
            host.add(b.meter());
            host.start();
            await().atMost(T).until(() -> sink.durableMax >= 3);
            for (AtomicBoolean fault : List.of(sink.failPulses, sink.failSync)) {
                fault.set(true);
                long until = System.nanoTime() + 2_000_000_000L;
                while (System.nanoTime() < until) {
                    long saved = b.meter().durable().sequence("pulse10");
                    savedSeqs.add(saved);
                    assertThat(saved).as("register saved past pulses not yet durable").isLessThanOrEqualTo(sink.durableMax);
                    Thread.onSpinWait();
                }
                fault.set(false);
                long target = sink.durableMax + 5;
                await().atMost(T).until(() -> sink.durableMax >= target);
            }
        }
        assertThat(b.meter().durable().sequence("pulse10")).isLessThanOrEqualTo(sink.durableMax);
        java.util.TreeSet<Long> seqs = new java.util.TreeSet<>(sink.accepted);
        assertThat(seqs.first()).isEqualTo(1);
        assertThat(seqs.last() - seqs.first() + 1).as("no seq skipped: %s", seqs).isEqualTo(seqs.size());
        assertThat(savedSeqs).isSorted();
    }

    @Test
    void frontEndFaults_raiseAnAlarmWhileTheyGrow_andItClearsWhenTheyStop() {
        Built b = meter("fe", 10);
        try (MeterHost host = new MeterHost(1, MonotonicClock.SYSTEM, PulseSink.NONE)) {
            host.add(b.meter());
            host.start();
            await().atMost(T).until(() -> b.meter().latest() != null);
            assertThat(b.alarms()).noneMatch(a -> a.condition() == Condition.FRONT_END_FAULT);
            b.source().faults.addAndGet(3);
            await().atMost(T).until(() -> b.alarms().stream()
                    .anyMatch(a -> a.condition() == Condition.FRONT_END_FAULT && a.raised() && a.value() == 3));
            assertThat(b.meter().frontEndFaults()).isEqualTo(3);
            assertThat(b.meter().lastFrontEndFault()).contains("CRC");
            b.source().faults.incrementAndGet();
            await().atMost(T).until(() -> b.alarms().stream()
                    .anyMatch(a -> a.condition() == Condition.FRONT_END_FAULT && !a.raised()));
            assertThat(b.alarms()).filteredOn(a -> a.condition() == Condition.FRONT_END_FAULT && a.raised()).hasSize(1);
            assertThat(b.meter().available()).as("faults alone leave the meter available").isTrue();
        }
    }
}
