package org.minimeter.gateway.modbus;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The Eastron SDM map against IEEE 754 bit patterns worked out by hand (values chosen to be
 * exact in single precision), at the SDM630 / SDM120 input register addresses.
 */
class ModbusSdmMapTest {

    static final Nameplate SPLIT = new Nameplate("house-a", "m", "1", 1, 2, 120, 200, 0);

    /** L1 120 V 50 A 3000 W 0 var 6000 VA PF 0.5; L2 120 V 20 A -2400 W 0 var 2400 VA PF -1; 60 Hz. */
    static MeterValues values() {
        return new MeterValues(60, List.of(new ElementValues(120, 50, 3000, 0, 6000, 0.5),
                new ElementValues(120, 20, -2400, 0, 2400, -1)), 600, 0, 8400, 0.0625,
                new long[] {1_234_500_000_000L, 1_000_000_000_000L, 234_500_000_000L},
                new long[] {2_500_000_000L, 0, 2_500_000_000L}, Set.of());
    }

    private static int pair(MeterRegisters r, int address) {
        return r.word(address) << 16 | r.word(address + 1);
    }

    @Test
    void inputRegistersFromZero_floatsHighWordFirst_atTheEastronAddresses() {
        MeterRegisters r = RegisterMap.SDM.encode(SPLIT, values());
        assertThat(r.table()).isEqualTo(RegisterTable.INPUT);
        assertThat(r.first()).isZero();
        assertThat(r.covers(0x0000, 125)).isTrue();
        assertThat(r.covers(0x016A, 2)).isTrue();
        assertThat(r.covers(0x016B, 2)).isFalse();
        assertThat(r.word(0x0000)).isEqualTo(0x42F0); // 120.0f = 0x42F00000
        assertThat(r.word(0x0001)).isZero();
        assertThat(pair(r, 0x0002)).as("L2 volts").isEqualTo(0x42F00000);
        assertThat(pair(r, 0x0004)).as("L3: none").isZero();
        assertThat(pair(r, 0x0006)).as("L1 50 A").isEqualTo(0x42480000);
        assertThat(pair(r, 0x0008)).as("L2 20 A").isEqualTo(0x41A00000);
        assertThat(pair(r, 0x000C)).as("L1 3000 W").isEqualTo(0x453B8000);
        assertThat(pair(r, 0x000E)).as("L2 -2400 W").isEqualTo(0xC5160000);
        assertThat(pair(r, 0x0012)).as("L1 6000 VA").isEqualTo(0x45BB8000);
        assertThat(pair(r, 0x0018)).as("L1 0 var").isZero();
        assertThat(pair(r, 0x001E)).as("L1 PF 0.5").isEqualTo(0x3F000000);
        assertThat(pair(r, 0x0020)).as("L2 PF -1").isEqualTo(0xBF800000);
        assertThat(pair(r, 0x0026)).as("L2 angle 180 deg").isEqualTo(0x43340000);
        assertThat(pair(r, 0x002A)).as("average volts 120").isEqualTo(0x42F00000);
        assertThat(pair(r, 0x002E)).as("average amps 35").isEqualTo(0x420C0000);
        assertThat(pair(r, 0x0030)).as("sum of amps 70").isEqualTo(0x428C0000);
        assertThat(pair(r, 0x0034)).as("total 600 W").isEqualTo(0x44160000);
        assertThat(pair(r, 0x0038)).as("total 8400 VA").isEqualTo(0x46034000);
        assertThat(pair(r, 0x003E)).as("total PF 0.0625").isEqualTo(0x3D800000);
        assertThat(pair(r, 0x0046)).as("60 Hz").isEqualTo(0x42700000);
        assertThat(pair(r, 0x0048)).as("import 1234.5 kWh").isEqualTo(0x449A5000);
        assertThat(pair(r, 0x004A)).as("export 2.5 kWh").isEqualTo(0x40200000);
        assertThat(pair(r, 0x0156)).as("total 1237 kWh").isEqualTo(0x449AA000);
        assertThat(pair(r, 0x015A)).as("L1 import 1000 kWh").isEqualTo(0x447A0000);
        assertThat(pair(r, 0x015C)).as("L2 import 234.5 kWh").isEqualTo(0x436A8000);
        assertThat(pair(r, 0x0160)).as("L1 export 0").isZero();
        assertThat(pair(r, 0x0162)).as("L2 export 2.5 kWh").isEqualTo(0x40200000);
        assertThat(pair(r, 0x0166)).as("L1 total 1000 kWh").isEqualTo(0x447A0000);
        assertThat(pair(r, 0x0168)).as("L2 total 237 kWh").isEqualTo(0x436D0000);
        assertThat(pair(r, 0x0050)).as("an address this map does not fill").isZero();
    }

    @Test
    void oneElement_fillsL1AndTheTotals_theSdm120Layout() {
        Nameplate n = new Nameplate("shop", "m", "1", 1, 1, 240, 100, 0);
        MeterValues v = new MeterValues(50, List.of(new ElementValues(240, 10, 2400, 0, 2400, 1)), 2400, 0, 2400, 1,
                new long[] {500_000_000L, 500_000_000L}, new long[] {0, 0}, Set.of());
        MeterRegisters r = RegisterMap.SDM.encode(n, v);
        assertThat(pair(r, 0x0000)).as("240 V").isEqualTo(0x43700000);
        assertThat(pair(r, 0x0002)).isZero();
        assertThat(pair(r, 0x0006)).as("10 A").isEqualTo(0x41200000);
        assertThat(pair(r, 0x000C)).as("2400 W").isEqualTo(0x45160000);
        assertThat(pair(r, 0x0046)).as("50 Hz").isEqualTo(0x42480000);
        assertThat(pair(r, 0x0048)).as("0.5 kWh").isEqualTo(0x3F000000);
        assertThat(pair(r, 0x0156)).as("0.5 kWh").isEqualTo(0x3F000000);
    }

    @Test
    void importKwh_neverReadsLess_whenTheRegisterGrows() {
        // float32 has 24 bits: past 16 384 kWh a step is 1-2 Wh, so rounding is where it could go wrong
        float last = -1;
        for (long uwh = 16_383_990_000_000L; uwh < 16_384_010_000_000L; uwh += 123_457) {
            MeterValues v = new MeterValues(60, List.of(new ElementValues(120, 1, 120, 0, 120, 1)), 120, 0, 120, 1,
                    new long[] {uwh, uwh}, new long[] {0, 0}, Set.of());
            MeterRegisters r = RegisterMap.SDM.encode(new Nameplate("m", "m", "1", 1, 1, 120, 200, 0), v);
            float kwh = Float.intBitsToFloat(pair(r, 0x0048));
            assertThat(kwh).isGreaterThanOrEqualTo(last);
            assertThat((double) kwh).isCloseTo(uwh / 1e9, org.assertj.core.data.Offset.offset(0.001));
            last = kwh;
        }
    }
}
