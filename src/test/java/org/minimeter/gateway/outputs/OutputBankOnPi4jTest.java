package org.minimeter.gateway.outputs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.minimeter.gateway.hal.ManualClock.ms;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.minimeter.gateway.hal.DigitalLine;
import org.minimeter.gateway.hal.ManualClock;
import org.minimeter.gateway.hal.pi4j.Pi4jDigitalLines;
import org.minimeter.gateway.metering.AlarmEvent;

/** The outputs on Pi4J's mock digital outputs: the states Pi4J holds follow the register. */
class OutputBankOnPi4jTest {

    static final long WH = 1_000_000L;

    final ManualClock clock = new ManualClock(1_000_000_000L);
    final Pi4jDigitalLines pi4j = new Pi4jDigitalLines("mock");
    final List<AlarmEvent> alarms = new ArrayList<>();

    @AfterEach
    void close() {
        pi4j.close();
    }

    OutputBank bank(long deliveredMicroWh) {
        Map<String, DigitalLine> m = new LinkedHashMap<>();
        m.put("pulse10", pi4j.open("pulse10", 17));
        m.put("pulse100", pi4j.open("pulse100", 27));
        m.put("pulse1000", pi4j.open("pulse1000", 22));
        m.put("counter", pi4j.open("counter", 23));
        return new OutputBank(OutputSettings.defaults(), m, deliveredMicroWh, 0, clock.nanoTime(), alarms::add);
    }

    @Test
    void pi4jMockLines_followTheRegisterEdgeByEdge() {
        OutputBank bank = bank(0);
        List<Boolean> states = new ArrayList<>();
        states.add(bank.lineOn("pulse10"));
        // 2.5 Wh every 100 ms: the 10 Wh output changes state every 200 ms
        for (int k = 1; k <= 16; k++) {
            clock.advance(ms(100));
            bank.step(clock.nanoTime(), k * 2_500_000L);
            states.add(bank.lineOn("pulse10"));
        }
        assertThat(states).containsExactly(true, true, false, false, true, true, false, false, true, true, false, false,
                true, true, false, false, true);
        assertThat(bank.status().pulsesShown().get("pulse10")).isEqualTo(4);
        assertThat(bank.lineOn("pulse100")).isTrue();
        assertThat(alarms).isEmpty();
    }

    @Test
    void restartOnPi4j_resumesInTheStateTheRegisterImplies() {
        OutputBank first = bank(0);
        first.step(clock.nanoTime(), 0);
        first.allOff();
        pi4j.close();
        Pi4jDigitalLines again = new Pi4jDigitalLines("mock");
        try {
            Map<String, DigitalLine> m = new LinkedHashMap<>();
            m.put("pulse10", again.open("pulse10", 17));
            m.put("pulse100", again.open("pulse100", 27));
            m.put("pulse1000", again.open("pulse1000", 22));
            m.put("counter", again.open("counter", 23));
            // 1 234 567 Wh: every output is in its off half (7 >= 5, 67 >= 50, 567 >= 500)
            OutputBank restarted = new OutputBank(OutputSettings.defaults(), m, 1_234_567 * WH, 0, clock.nanoTime(),
                    alarms::add);
            assertThat(restarted.lineOn("pulse10")).isFalse();
            assertThat(restarted.lineOn("pulse100")).isFalse();
            assertThat(restarted.lineOn("pulse1000")).isFalse();
            assertThat(restarted.lineOn("counter")).isFalse();
        } finally {
            again.close();
        }
    }
}
