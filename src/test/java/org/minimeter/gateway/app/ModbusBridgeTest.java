package org.minimeter.gateway.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.minimeter.gateway.metering.Condition;
import org.minimeter.gateway.metering.ElementReading;
import org.minimeter.gateway.metering.EnergySnapshot;
import org.minimeter.gateway.metering.Measurement;
import org.minimeter.gateway.modbus.ElementValues;
import org.minimeter.gateway.modbus.MeterEvent;
import org.minimeter.gateway.modbus.MeterValues;

/** What the bridge hands the register maps: the window's readings and the durable register's energy. */
class ModbusBridgeTest {

    @Test
    void values_takeTheWindowsReadings_theDurableEnergy_andTheConditionsSunSpecKnows() {
        EnergySnapshot live = new EnergySnapshot(new long[] {9_000_000_000L, 5_000_000_000L, 4_000_000_000L},
                new long[] {0, 0, 0}, 800_000);
        Measurement m = new Measurement(0, 0.2, 59.99, true,
                List.of(new ElementReading(121, 50, 3025, 5240, 6050, 0, 0.5, Set.of(Condition.OVER_CURRENT)),
                        new ElementReading(119, 10, -1190, 0, 1190, 0, -1, Set.of(Condition.CT_REVERSED))),
                1835, 5240, 7240, 1835 / 7240.0, Set.of(Condition.NO_ZERO_CROSSING), live);
        EnergySnapshot durable = new EnergySnapshot(new long[] {8_000_000_000L, 4_500_000_000L, 3_500_000_000L},
                new long[] {1_000_000L, 0, 1_000_000L}, 792_000);

        MeterValues v = ModbusBridge.values(m, durable);

        assertThat(v.frequency()).isEqualTo(59.99);
        assertThat(v.elements()).containsExactly(new ElementValues(121, 50, 3025, 5240, 6050, 0.5),
                new ElementValues(119, 10, -1190, 0, 1190, -1));
        assertThat(v.watts()).isEqualTo(1835);
        assertThat(v.vars()).isEqualTo(5240);
        assertThat(v.voltAmperes()).isEqualTo(7240);
        assertThat(v.powerFactor()).isEqualTo(1835 / 7240.0);
        // the saved register, not the live one the window carries
        assertThat(v.deliveredMicroWh()).containsExactly(8_000_000_000L, 4_500_000_000L, 3_500_000_000L);
        assertThat(v.receivedMicroWh()).containsExactly(1_000_000L, 0, 1_000_000L);
        assertThat(v.events()).containsExactlyInAnyOrder(MeterEvent.OVER_CURRENT, MeterEvent.POWER_FAILURE);
    }
}
