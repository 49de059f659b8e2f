package org.minimeter.gateway.persistence.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minimeter.gateway.metering.EnergySnapshot;
import org.minimeter.gateway.persistence.history.IntervalHistory.Interval;

class IntervalHistoryCsvTest {

    private static final Instant T = Instant.parse("2026-11-23T10:00:00Z");

    @TempDir
    Path dir;

    @Test
    void writeCsv_wattHoursCarryEveryMicroWattHour_andCoverageIsRoundedDown() throws IOException {
        Interval twoThirds = new Interval(T, T.plusSeconds(180), new long[] {1_234_567, 1_234_567, 0},
                new long[] {0, 0, 9_000_000_000_001L}, 3, 2, 0);
        Interval complete = new Interval(T.plusSeconds(180), T.plusSeconds(240), new long[] {1, 0, 1},
                new long[] {0, 999_999, 0}, 1, 1, 0);
        Interval seeded = new Interval(T.plusSeconds(240), T.plusSeconds(300), new long[3], new long[3], 1, 0, 1);
        StringBuilder out = new StringBuilder();
        IntervalHistory.writeCsv(List.of(twoThirds, complete, seeded), out);
        assertThat(out.toString()).isEqualTo("""
                start,end,delivered_wh_total,received_wh_total,delivered_wh_e1,received_wh_e1,delivered_wh_e2,received_wh_e2,coverage,discontinuities
                2026-11-23T10:00:00Z,2026-11-23T10:03:00Z,1.234567,0.000000,1.234567,0.000000,0.000000,9000000.000001,0.666666,0
                2026-11-23T10:03:00Z,2026-11-23T10:04:00Z,0.000001,0.000000,0.000000,0.999999,0.000001,0.000000,1.000000,0
                2026-11-23T10:04:00Z,2026-11-23T10:05:00Z,0.000000,0.000000,0.000000,0.000000,0.000000,0.000000,0.000000,1
                """);
    }

    @Test
    void writeCsv_fromAOneElementHistory_hasOneElementsColumns() throws IOException {
        try (IntervalHistory h = IntervalHistory.open(dir, 1, 400)) {
            h.record(T, new EnergySnapshot(new long[] {5_000_000, 5_000_000}, new long[] {0, 0}, 0));
            h.record(T.plusSeconds(60), new EnergySnapshot(new long[] {5_250_000, 5_250_000}, new long[] {0, 0}, 0));
            StringBuilder out = new StringBuilder();
            IntervalHistory.writeCsv(h.intervals(T, T.plusSeconds(60), Duration.ofMinutes(1)), out);
            assertThat(out.toString()).isEqualTo("""
                    start,end,delivered_wh_total,received_wh_total,delivered_wh_e1,received_wh_e1,coverage,discontinuities
                    2026-11-23T10:00:00Z,2026-11-23T10:01:00Z,0.250000,0.000000,0.250000,0.000000,1.000000,0
                    """);
        }
    }

    @Test
    void writeCsv_ofNoIntervals_isRefusedBecauseTheColumnsAreUnknown() {
        assertThatThrownBy(() -> IntervalHistory.writeCsv(List.of(), new StringBuilder()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("intervals: at least one, the columns depend on the meter's elements");
    }
}
