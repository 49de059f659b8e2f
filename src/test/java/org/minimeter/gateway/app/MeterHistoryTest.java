package org.minimeter.gateway.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minimeter.gateway.hal.MonotonicClock;
import org.minimeter.gateway.hal.simulator.SimulatedSource;
import org.minimeter.gateway.hal.simulator.SimulatorSettings;
import org.minimeter.gateway.metering.EnergySnapshot;
import org.minimeter.gateway.metering.MeterSpec;
import org.minimeter.gateway.outputs.OutputSettings;
import org.minimeter.gateway.persistence.RegisterState;
import org.minimeter.gateway.persistence.RegisterStore;
import org.minimeter.gateway.persistence.SavePolicy;
import org.minimeter.gateway.persistence.history.IntervalHistory;

/**
 * A meter's minute history as the gateway keeps it: recorded from the durable register at each
 * wall-clock minute, its interval and daily sums equal the register's differences to the µWh.
 */
class MeterHistoryTest {

    @TempDir
    Path dir;

    /** A wall clock the test moves. */
    static final class Wall extends Clock {
        Instant now = Instant.parse("2026-11-30T22:58:10Z");

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void minuteHistoryOfTheDurableRegister_sumsToTheRegisterDifferences() {
        SimulatorSettings s = SimulatorSettings.builder(60, 2, 200).current(40).phaseDeg(20).speed(1000).build();
        SimulatedSource source = new SimulatedSource(s, MonotonicClock.SYSTEM);
        MeterSpec spec = MeterSpec.of(60, 200, s.sampleRate(), source.frontEnd().calibration());
        RegisterStore store = new RegisterStore(dir, "h1", 3);
        Wall wall = new Wall();
        MeterRuntime m = new MeterRuntime("h1", spec, source, store, RegisterState.empty(2), OutputSettings.defaults(),
                Map.of(), SavePolicy.defaults(), MonotonicClock.SYSTEM, wall);
        m.attachHistory(IntervalHistory.open(dir.resolve("h1/history"), 2, 400));
        List<EnergySnapshot> atMinute = new ArrayList<>();
        List<Instant> minutes = new ArrayList<>();
        long now = System.nanoTime();
        // 150 minutes across midnight: each "minute" meters some blocks, saves, then the clock turns
        for (int minute = 0; minute < 150; minute++) {
            for (int k = 0; k < 3; k++) {
                now += 200_000_000L;
                m.sample(now);
            }
            m.keeper().tick(true);
            wall.now = wall.now.plus(Duration.ofMinutes(1));
            m.recordHistory();
            // recorded twice in a minute: the second call changes nothing
            m.recordHistory();
            minutes.add(Instant.ofEpochSecond(wall.now.getEpochSecond() / 60 * 60));
            atMinute.add(m.durable().energy());
        }
        IntervalHistory h = m.history().orElseThrow();
        assertThat(atMinute.get(149).deliveredMicroWh(0)).as("energy was metered").isPositive();
        // from the first recorded minute to the last: exactly the register's difference
        for (int[] range : new int[][] {{0, 149}, {3, 77}, {60, 61}, {10, 140}}) {
            var list = h.intervals(minutes.get(range[0]), minutes.get(range[1]), Duration.ofMinutes(1));
            for (int slot = 0; slot <= 2; slot++) {
                final int sl = slot;
                long sum = list.stream().mapToLong(i -> i.deliveredMicroWh(sl)).sum();
                assertThat(sum).as("slot %d minutes %d..%d", slot, range[0], range[1])
                        .isEqualTo(atMinute.get(range[1]).deliveredMicroWh(slot)
                                - atMinute.get(range[0]).deliveredMicroWh(slot));
            }
        }
        // the day that ended at midnight UTC: from the first record (22:59) to 00:00
        var day = h.daily(java.time.LocalDate.parse("2026-11-30"), java.time.LocalDate.parse("2026-11-30"),
                ZoneOffset.UTC);
        int midnight = minutes.indexOf(Instant.parse("2026-12-01T00:00:00Z"));
        assertThat(day.get(0).deliveredMicroWh(0)).isEqualTo(atMinute.get(midnight).deliveredMicroWh(0)
                - atMinute.get(0).deliveredMicroWh(0));
        m.finish();
    }
}
