package org.minimeter.gateway.outputs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.minimeter.gateway.hal.ManualClock.ms;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.minimeter.gateway.hal.DigitalLine;
import org.minimeter.gateway.hal.ManualClock;
import org.minimeter.gateway.hal.simulator.SimulatedDigitalLines;
import org.minimeter.gateway.hal.simulator.SimulatedDigitalLines.Edge;
import org.minimeter.gateway.metering.AlarmEvent;
import org.minimeter.gateway.metering.Condition;

/** Pulse outputs and counter against SPEC.md section 1, on recording lines and a manual clock. */
class OutputBankTest {

    static final long WH = 1_000_000L;

    final ManualClock clock = new ManualClock(1_000_000_000L);
    final SimulatedDigitalLines lines = new SimulatedDigitalLines(clock);
    final List<AlarmEvent> alarms = new ArrayList<>();

    Map<String, DigitalLine> open() {
        return open(lines);
    }

    static Map<String, DigitalLine> open(SimulatedDigitalLines lines) {
        Map<String, DigitalLine> m = new LinkedHashMap<>();
        m.put("pulse10", lines.open("pulse10", 17));
        m.put("pulse100", lines.open("pulse100", 27));
        m.put("pulse1000", lines.open("pulse1000", 22));
        m.put("counter", lines.open("counter", 23));
        return m;
    }

    OutputBank bank(long deliveredMicroWh, long backlog) {
        return new OutputBank(OutputSettings.defaults(), open(), deliveredMicroWh, backlog, clock.nanoTime(),
                alarms::add);
    }

    /** Steps the bank at 1 ms resolution until {@code until}, with a fixed register value. */
    static void run(OutputBank bank, ManualClock clock, long untilNanos, long delivered) {
        while (clock.nanoTime() < untilNanos) {
            bank.step(clock.nanoTime(), delivered);
            clock.advance(ms(1));
        }
        bank.step(clock.nanoTime(), delivered);
    }

    @Test
    void energyRamp_givesTheExactEdgeSequenceOfEachOutput() {
        OutputBank bank = bank(0, 0);
        long t0 = clock.nanoTime();
        // 1 Wh every 100 ms up to 35 Wh: the 10 Wh output toggles every 5 Wh (every 500 ms)
        for (int wh = 1; wh <= 35; wh++) {
            clock.set(t0 + ms(100L * wh));
            bank.step(clock.nanoTime(), wh * WH);
        }
        List<Edge> p10 = lines.line(17).edges();
        assertThat(p10).extracting(Edge::on).containsExactly(true, false, true, false, true, false, true, false);
        assertThat(p10.subList(1, p10.size())).extracting(e -> (e.nanos() - t0) / ms(1))
                .containsExactly(500L, 1000L, 1500L, 2000L, 2500L, 3000L, 3500L);
        // 100 Wh and 1000 Wh outputs: still in the on half of their first pulse
        assertThat(lines.line(27).edges()).extracting(Edge::on).containsExactly(true);
        assertThat(lines.line(22).edges()).extracting(Edge::on).containsExactly(true);
        assertThat(bank.status().pulsesShown().get("pulse10")).isEqualTo(3);
        assertThat(alarms).isEmpty();
    }

    @ParameterizedTest(name = "E = {0} µWh")
    @ValueSource(longs = {0, 4_999_999, 5_000_000, 9_999_999, 10_000_000, 49_999_999, 50_000_000, 123_456_789_012L,
            499_999_999, 500_000_000, 999_999_999, 1_000_000_000})
    void lineState_isAPureFunctionOfTheRegister(long e) {
        OutputBank restarted = new OutputBank(OutputSettings.defaults(), open(lines), e, 0, clock.nanoTime(),
                alarms::add);
        for (long q : new long[] {10, 100, 1000}) {
            long quantum = q * WH;
            assertThat(restarted.lineOn("pulse" + q)).as("pulse%d at %d µWh", q, e).isEqualTo(e % quantum < quantum / 2);
        }
    }

    @Test
    void fasterThanDwell_queuesEveryEdgeInOrderAndRaisesOverload() {
        OutputBank bank = bank(0, 0);
        long t0 = clock.nanoTime();
        // 100 Wh at once: 20 edges of the 10 Wh output, 10 pulses, 50 ms apart
        run(bank, clock, t0 + ms(2000), 100 * WH);
        List<Edge> edges = lines.line(17).edges();
        assertThat(edges).hasSize(21);
        for (int i = 1; i < edges.size(); i++) {
            assertThat(edges.get(i).on()).isNotEqualTo(edges.get(i - 1).on());
            if (i > 1) {
                assertThat(edges.get(i).nanos() - edges.get(i - 1).nanos()).isEqualTo(ms(50));
            }
        }
        assertThat(bank.status().pulsesShown().get("pulse10")).isEqualTo(10);
        assertThat(bank.status().queuedEdges().get("pulse10")).isZero();
        // the 100 Wh output completed exactly one pulse
        assertThat(lines.line(27).pulses()).isEqualTo(1);
        assertThat(alarms).filteredOn(a -> a.condition() == Condition.PULSE_OVERLOAD)
                .extracting(AlarmEvent::raised).containsExactly(true, false);
        assertThat(alarms).filteredOn(a -> a.condition() == Condition.PULSE_MISMATCH)
                .extracting(AlarmEvent::raised).containsExactly(true, false);
    }

    @Test
    void counter_drivesFixedWidthStepsAndDrainsItsBacklogAfterLoadDrops() {
        OutputBank bank = bank(0, 0);
        long t0 = clock.nanoTime();
        bank.addCounterSteps(4);
        run(bank, clock, t0 + ms(2000), 0);
        List<Edge> edges = lines.line(23).edges();
        assertThat(edges).extracting(Edge::on).containsExactly(true, false, true, false, true, false, true, false);
        for (int i = 0; i < edges.size(); i++) {
            // 100 ms on, 100 ms off: edge i at 100 ms x i
            assertThat(edges.get(i).nanos() - t0).isEqualTo(ms(100L * i));
        }
        assertThat(bank.counterBacklog()).isZero();
        assertThat(bank.status().counterDriven()).isEqualTo(4);
        assertThat(alarms).filteredOn(a -> a.condition() == Condition.COUNTER_OVERLOAD)
                .extracting(AlarmEvent::raised).containsExactly(true, false);
    }

    @Test
    void restart_resumesInTheStateTheRegisterImpliesWithPersistedCounterBacklog() {
        // 7 Wh: pulse10 in its off half; 7 < 50 and < 500: pulse100 and pulse1000 on
        OutputBank bank = bank(7 * WH, 2);
        assertThat(bank.lineOn("pulse10")).isFalse();
        assertThat(bank.lineOn("pulse100")).isTrue();
        assertThat(bank.lineOn("pulse1000")).isTrue();
        // nothing queued: a restart does not replay pulses
        bank.step(clock.nanoTime(), 7 * WH);
        assertThat(bank.status().queuedEdges().values()).containsOnly(0L);
        // the persisted backlog is driven
        run(bank, clock, clock.nanoTime() + ms(500), 7 * WH);
        assertThat(lines.line(23).pulses()).isEqualTo(2);
    }

    @Test
    void lineThatDoesNotFollow_raisesOutputFault() {
        Map<String, DigitalLine> m = open();
        // stuck on: the off half of the first pulse never shows
        m.put("pulse10", new DigitalLine() {
            @Override
            public String name() {
                return "stuck";
            }

            @Override
            public void set(boolean on) {
            }

            @Override
            public boolean isOn() {
                return true;
            }

            @Override
            public void close() {
            }
        });
        OutputBank bank = new OutputBank(OutputSettings.defaults(), m, 0, 0, clock.nanoTime(), alarms::add);
        run(bank, clock, clock.nanoTime() + ms(100), 6 * WH);
        assertThat(alarms).anyMatch(a -> a.condition() == Condition.OUTPUT_FAULT && a.raised());
        assertThat(bank.status().faults()).isPositive();
    }

    @Test
    void allOff_drivesEveryLineOff() {
        OutputBank bank = bank(0, 1);
        bank.step(clock.nanoTime(), 0);
        assertThat(bank.lineOn("counter")).isTrue();
        bank.allOff();
        for (int pin : new int[] {17, 27, 22, 23}) {
            assertThat(lines.line(pin).isOn()).isFalse();
            assertThat(lines.line(pin).isClosed()).isTrue();
        }
    }
}
