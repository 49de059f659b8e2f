package org.minimeter.gateway.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minimeter.gateway.hal.DigitalLine;
import org.minimeter.gateway.hal.MonotonicClock;
import org.minimeter.gateway.hal.simulator.SimulatedDigitalLines;
import org.minimeter.gateway.metering.AlarmEvent;
import org.minimeter.gateway.metering.Condition;
import org.minimeter.gateway.metering.EnergySnapshot;
import org.minimeter.gateway.outputs.OutputBank;
import org.minimeter.gateway.outputs.OutputSettings;
import org.minimeter.gateway.outputs.PulseEvent;
import org.minimeter.gateway.outputs.PulseLedger;
import org.minimeter.gateway.persistence.RegisterState;
import org.minimeter.gateway.persistence.RegisterStore;
import org.minimeter.gateway.persistence.SavePolicy;

/** Durability first: nothing is released before it is on disk. */
class RegisterKeeperTest {

    static final long WH = 1_000_000L;
    static final long S = 1_000_000_000L;

    @TempDir
    Path root;

    final long[] now = {S};
    final MonotonicClock clock = new MonotonicClock() {
        @Override
        public long nanoTime() {
            return now[0];
        }

        @Override
        public void sleepUntil(long deadline) {
            now[0] = Math.max(now[0], deadline);
        }
    };
    final Clock wall = Clock.fixed(Instant.parse("2026-11-23T12:00:00Z"), ZoneOffset.UTC);
    EnergySnapshot live = EnergySnapshot.zero(1);
    final List<PulseEvent> events = new ArrayList<>();
    final List<AlarmEvent> alarms = new ArrayList<>();

    static EnergySnapshot delivered(long uwh) {
        return new EnergySnapshot(new long[] {uwh, uwh}, new long[] {0, 0}, uwh);
    }

    RegisterKeeper keeper(RegisterStore store) {
        Map<String, DigitalLine> lines = new LinkedHashMap<>();
        SimulatedDigitalLines sim = new SimulatedDigitalLines(clock);
        int pin = 17;
        for (String n : new String[] {"pulse10", "pulse100", "pulse1000", "counter"}) {
            lines.put(n, sim.open(n, pin++));
        }
        OutputBank bank = new OutputBank(OutputSettings.defaults(), lines, 0, 0, clock.nanoTime(), alarms::add);
        PulseLedger ledger = new PulseLedger(PulseLedger.standardOutputs(100), 0, Map.of());
        return new RegisterKeeper(store, RegisterState.empty(1), ledger, SavePolicy.defaults(), bank, () -> live,
                events::addAll, alarms::add, clock, wall);
    }

    @Test
    void savesByPolicyAndHandsPulsesOverWithTheSave() {
        try (RegisterStore store = new RegisterStore(root, "m", 3)) {
            RegisterKeeper k = keeper(store);
            live = delivered(25 * WH);
            assertThat(k.tick(false)).as("1 s has not passed").isFalse();
            assertThat(events).isEmpty();
            assertThat(k.durable().energy().deliveredMicroWh(0)).isZero();
            now[0] += S;
            assertThat(k.tick(false)).isTrue();
            assertThat(events).extracting(PulseEvent::output, PulseEvent::seq)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("pulse10", 1L),
                            org.assertj.core.groups.Tuple.tuple("pulse10", 2L));
            assertThat(k.durable().energy().deliveredMicroWh(0)).isEqualTo(25 * WH);
            assertThat(store.load().state().energy().deliveredMicroWh(0)).isEqualTo(25 * WH);
        }
    }

    @Test
    void failedSave_raisesStorageErrorKeepsTheDurableRegisterAndHandsEachPulseOverOnce()
            throws Exception {
        try (RegisterStore store = new RegisterStore(root, "m", 3)) {
            RegisterKeeper k = keeper(store);
            // take the directory away under the running store
            try (Stream<Path> s = Files.walk(store.directory())) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
            live = delivered(150 * WH);
            now[0] += 2 * S;
            assertThatThrownBy(() -> k.tick(false)).hasMessageContaining("saving");
            // handed over before the save: 15 pulse10, 1 pulse100, 1 counter
            assertThat(events).hasSize(17);
            assertThat(k.durable().energy().deliveredMicroWh(0)).isZero();
            assertThat(alarms).anyMatch(a -> a.condition() == Condition.STORAGE_ERROR && a.raised());
            // retries while the directory is still gone hand nothing over again
            for (int i = 0; i < 3; i++) {
                now[0] += 2 * S;
                assertThatThrownBy(() -> k.tick(false)).hasMessageContaining("saving");
            }
            assertThat(events).hasSize(17);
            assertThat(alarms).filteredOn(a -> a.condition() == Condition.STORAGE_ERROR && a.raised()).hasSize(1);
            Files.createDirectories(store.directory());
            now[0] += 2 * S;
            assertThat(k.tick(false)).isTrue();
            // the save that finally made them durable has nothing new to hand over
            assertThat(events).hasSize(17);
            assertThat(k.durable().sequence("pulse10")).isEqualTo(15);
            live = delivered(160 * WH);
            now[0] += 2 * S;
            assertThat(k.tick(false)).isTrue();
            assertThat(events).hasSize(18);
            assertThat(events.get(17).seq()).isEqualTo(16);
            assertThat(alarms).anyMatch(a -> a.condition() == Condition.STORAGE_ERROR && !a.raised());
        }
    }
}
