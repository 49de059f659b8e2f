package org.minimeter.gateway.metering;

import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * The load points of SPEC rows 3-6 (light load, the load range, low power factor lagging and
 * leading), which every front end's accuracy test meters: the simulator here, each chip
 * driver, and a replayed recording, so their tables compare point for point.
 */
public final class SpecLoadPoints {

    // PF 1, 0.5 lagging (current 60 degrees behind), 0.866 leading (30 degrees ahead)
    public static final double PF1 = 0;
    public static final double LAG_05 = 60;
    public static final double LEAD_0866 = -30;

    private SpecLoadPoints() {
    }

    /** SPEC rows 3-6: row, nominal Hz, CT rating, % of rating, current lag, class limit. */
    public static Stream<Arguments> loadPoints() {
        Stream.Builder<Arguments> s = Stream.builder();
        for (int hz : new int[] {50, 60}) {
            for (double ct : new double[] {200, 100}) {
                for (double pct : new double[] {1, 2}) {
                    s.add(Arguments.of("3 light load", hz, ct, pct, PF1, 1.0));
                }
                for (double pct : new double[] {5, 10, 50, 100, 110}) {
                    s.add(Arguments.of("4 load range", hz, ct, pct, PF1, 0.5));
                }
                for (double angle : new double[] {LAG_05, LEAD_0866}) {
                    s.add(Arguments.of("5 low PF, light", hz, ct, 2.0, angle, 1.0));
                    for (double pct : new double[] {10, 50, 100}) {
                        s.add(Arguments.of("6 low PF", hz, ct, pct, angle, 0.6));
                    }
                }
            }
        }
        return s.build();
    }
}
