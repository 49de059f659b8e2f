package org.minimeter.gateway.persistence.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Random;
import java.util.TreeMap;
import org.minimeter.gateway.metering.EnergyRegister;
import org.minimeter.gateway.metering.EnergySnapshot;
import org.minimeter.gateway.persistence.history.IntervalHistory.Interval;

/**
 * A meter whose register runs minute by minute from random leg powers (the real
 * {@link EnergyRegister}, so the total is netted across legs as on the device), and the
 * register as it stood at every minute that was recorded: the reference the history must
 * agree with.
 */
final class RecordedMeter {

    private final EnergyRegister register;
    private final Random random;
    private IntervalHistory history;
    private Instant now;
    /** Register at each recorded minute's end. */
    final NavigableMap<Instant, EnergySnapshot> recorded = new TreeMap<>();

    RecordedMeter(IntervalHistory history, Instant start, long seed) {
        this.history = history;
        this.register = new EnergyRegister(history.elements());
        this.random = new Random(seed);
        this.now = start;
    }

    /** Records into another history from now on (the same store reopened). */
    void recordInto(IntervalHistory other) {
        this.history = other;
    }

    Instant now() {
        return now;
    }

    /**
     * One minute of load: leg 1 between -2 kW (exporting) and +8 kW, leg 2 between -5 kW and
     * +3 kW, so legs often flow in opposite directions and the total differs from their sum.
     */
    EnergySnapshot run() {
        double[] joules = new double[register.elements()];
        joules[0] = (-2000 + 10_000 * random.nextDouble()) * 60;
        if (joules.length > 1) {
            joules[1] = (-5000 + 8000 * random.nextDouble()) * 60;
        }
        register.add(joules, 60 * 8000);
        now = now.plus(Duration.ofMinutes(1));
        return register.snapshot();
    }

    /** Runs a minute and records it. */
    void runAndRecord() {
        EnergySnapshot s = run();
        history.record(now, s);
        recorded.put(now, s);
    }

    void runAndRecord(int minutes) {
        for (int i = 0; i < minutes; i++) {
            runAndRecord();
        }
    }

    /** Runs minutes the history never hears of: the gateway's history writer was down. */
    void runUnrecorded(int minutes) {
        for (int i = 0; i < minutes; i++) {
            run();
        }
    }

    /**
     * The register as the history knows it at {@code t}: the last recorded minute ending at
     * or before {@code t}, or the first recorded one when none does (before it no reading
     * exists, so it is where the history's sums start).
     */
    EnergySnapshot at(Instant t) {
        Map.Entry<Instant, EnergySnapshot> e = recorded.floorEntry(t);
        return e != null ? e.getValue() : recorded.firstEntry().getValue();
    }

    /** Asserts that each interval holds exactly the register's difference between its ends. */
    void assertAgrees(List<Interval> intervals) {
        for (Interval i : intervals) {
            EnergySnapshot a = at(i.start());
            EnergySnapshot b = at(i.end());
            for (int slot = 0; slot <= a.elements(); slot++) {
                assertThat(i.deliveredMicroWh(slot)).as("delivered slot %d of %s", slot, i)
                        .isEqualTo(delivered(a, b, slot));
                assertThat(i.receivedMicroWh(slot)).as("received slot %d of %s", slot, i)
                        .isEqualTo(received(a, b, slot));
            }
        }
    }

    static long delivered(EnergySnapshot from, EnergySnapshot to, int slot) {
        return to.deliveredMicroWh(slot) - from.deliveredMicroWh(slot);
    }

    static long received(EnergySnapshot from, EnergySnapshot to, int slot) {
        return to.receivedMicroWh(slot) - from.receivedMicroWh(slot);
    }
}
