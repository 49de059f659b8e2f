package org.minimeter.gateway.modbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The SunSpec map against values worked out by hand from the model definitions (models 1, 201,
 * 202): a known V, I, P, Q, S, PF, f and register give exact registers and scale factors.
 */
class ModbusSunSpecMapTest {

    /** 60 Hz, 200 A, split phase: A_SF -1, V_SF -2, W_SF 1 (2 x 240 V x 400 A = 192 kW), PF_SF -2, Hz_SF -2. */
    static final Nameplate SPLIT = new Nameplate("house-a", "Mini Meter 2-element 200 A 60 Hz", "0.1.0-SNAPSHOT", 7,
            2, 120, 200, 0);

    /**
     * L1 importing 120 V 50 A at 60 deg lag (3000 W, 5196.15 var, 6000 VA, PF 0.5); L2 exporting
     * 121.5 V 20 A at PF -1 (-2430 W). Register: delivered 1 234 567.890123 Wh in total,
     * 1 000 000 Wh on L1, 234 567.890123 Wh on L2; received 5000.000999 Wh, all on L2.
     */
    static MeterValues splitValues() {
        return new MeterValues(59.98,
                List.of(new ElementValues(120, 50, 3000, 5196.152, 6000, 0.5),
                        new ElementValues(121.5, 20, -2430, 0, 2430, -1)),
                570, 5196.152, 8430, 570 / 8430.0,
                new long[] {1_234_567_890_123L, 1_000_000_000_000L, 234_567_890_123L},
                new long[] {5_000_000_999L, 0, 5_000_000_999L}, Set.of(MeterEvent.OVER_VOLTAGE));
    }

    private static MeterRegisters split() {
        return RegisterMap.SUNSPEC.encode(SPLIT, splitValues());
    }

    private static int s16(int word) {
        return (short) word;
    }

    private static String ascii(MeterRegisters r, int at, int registers) {
        StringBuilder b = new StringBuilder();
        for (int k = 0; k < registers; k++) {
            int w = r.word(at + k);
            for (int c : new int[] {w >> 8, w & 0xFF}) {
                if (c != 0) {
                    b.append((char) c);
                }
            }
        }
        return b.toString();
    }

    @Test
    void markerCommonModelMeterModelAndEndModel_sitWhereSunSpecClientsWalkThem() {
        MeterRegisters r = split();
        assertThat(r.table()).isEqualTo(RegisterTable.HOLDING);
        assertThat(r.first()).isEqualTo(40000);
        assertThat(r.length()).isEqualTo(179);
        assertThat(r.word(40000)).isEqualTo(0x5375); // "Su"
        assertThat(r.word(40001)).isEqualTo(0x6E53); // "nS"
        assertThat(r.word(40002)).isEqualTo(1);
        assertThat(r.word(40003)).isEqualTo(66);
        assertThat(r.word(40070)).isEqualTo(202);
        assertThat(r.word(40071)).isEqualTo(105);
        // each model's length leads from its ID to the next ID
        assertThat(40002 + 2 + r.word(40003)).isEqualTo(40070);
        assertThat(40070 + 2 + r.word(40071)).isEqualTo(40177);
        assertThat(r.word(40177)).isEqualTo(0xFFFF);
        assertThat(r.word(40178)).isZero();
        assertThat(r.covers(40178, 1)).isTrue();
        assertThat(r.covers(40179, 1)).isFalse();
        assertThat(r.covers(39999, 1)).isFalse();
    }

    @Test
    void commonModel_namesTheMeter() {
        MeterRegisters r = split();
        assertThat(r.word(40004)).isEqualTo('M' << 8 | 'i');
        assertThat(ascii(r, 40004, 16)).isEqualTo("Mini Meter");
        assertThat(ascii(r, 40020, 16)).isEqualTo("Mini Meter 2-element 200 A 60 Hz");
        assertThat(ascii(r, 40036, 8)).isEmpty();
        assertThat(ascii(r, 40044, 8)).isEqualTo("0.1.0-SNAPSHOT");
        assertThat(ascii(r, 40052, 16)).isEqualTo("house-a");
        assertThat(r.word(40068)).as("DA").isEqualTo(7);
        assertThat(r.word(40069)).as("Pad").isEqualTo(0x8000);
    }

    @Test
    void currents_inTenthsOfAmps_totalIsTheSum() {
        MeterRegisters r = split();
        assertThat(r.word(40072)).as("A").isEqualTo(700);
        assertThat(r.word(40073)).as("AphA").isEqualTo(500);
        assertThat(r.word(40074)).as("AphB").isEqualTo(200);
        assertThat(r.word(40075)).as("AphC").isZero();
        assertThat(s16(r.word(40076))).as("A_SF").isEqualTo(-1);
    }

    @Test
    void voltages_inHundredthsOfVolts_lineToLineIsTheSumOfTheSplitPhases() {
        MeterRegisters r = split();
        assertThat(r.word(40077)).as("PhV").isEqualTo(12075);
        assertThat(r.word(40078)).as("PhVphA").isEqualTo(12000);
        assertThat(r.word(40079)).as("PhVphB").isEqualTo(12150);
        assertThat(r.word(40080)).as("PhVphC").isEqualTo(0x8000);
        assertThat(r.word(40081)).as("PPV").isEqualTo(24150);
        assertThat(r.word(40082)).as("PPVphAB").isEqualTo(24150);
        assertThat(r.word(40083)).as("PPVphBC").isEqualTo(0x8000);
        assertThat(r.word(40084)).as("PPVphCA").isEqualTo(0x8000);
        assertThat(s16(r.word(40085))).as("V_SF").isEqualTo(-2);
        assertThat(r.word(40086)).as("Hz").isEqualTo(5998);
        assertThat(s16(r.word(40087))).as("Hz_SF").isEqualTo(-2);
    }

    @Test
    void powers_inTensOfWatts_signedAsMeasured() {
        MeterRegisters r = split();
        assertThat(s16(r.word(40088))).as("W").isEqualTo(57);
        assertThat(s16(r.word(40089))).as("WphA").isEqualTo(300);
        assertThat(s16(r.word(40090))).as("WphB").isEqualTo(-243);
        assertThat(r.word(40090)).isEqualTo(0xFF0D);
        assertThat(r.word(40091)).as("WphC").isEqualTo(0x8000);
        assertThat(s16(r.word(40092))).as("W_SF").isEqualTo(1);
        assertThat(r.word(40093)).as("VA").isEqualTo(843);
        assertThat(r.word(40094)).as("VAphA").isEqualTo(600);
        assertThat(r.word(40095)).as("VAphB").isEqualTo(243);
        assertThat(s16(r.word(40097))).as("VA_SF").isEqualTo(1);
        assertThat(r.word(40098)).as("VAR").isEqualTo(520);
        assertThat(r.word(40099)).as("VARphA").isEqualTo(520);
        assertThat(r.word(40100)).as("VARphB").isZero();
        assertThat(s16(r.word(40102))).as("VAR_SF").isEqualTo(1);
    }

    @Test
    void powerFactor_isAPercentageInHundredths() {
        MeterRegisters r = split();
        assertThat(r.word(40103)).as("PF 6.76 %").isEqualTo(676);
        assertThat(r.word(40104)).as("PFphA 50 %").isEqualTo(5000);
        assertThat(s16(r.word(40105))).as("PFphB -100 %").isEqualTo(-10000);
        assertThat(r.word(40106)).as("PFphC").isEqualTo(0x8000);
        assertThat(s16(r.word(40107))).as("PF_SF").isEqualTo(-2);
    }

    @Test
    void energy_acc32InWholeWattHoursOfTheRegister_highWordFirst() {
        MeterRegisters r = split();
        // exported: total 5000 Wh, phase A 0, phase B 5000, phase C 0
        assertThat(r.word(40108) << 16 | r.word(40109)).isEqualTo(5000);
        assertThat(r.word(40110) << 16 | r.word(40111)).isZero();
        assertThat(r.word(40112) << 16 | r.word(40113)).isEqualTo(5000);
        assertThat(r.word(40114) << 16 | r.word(40115)).isZero();
        // imported: 1 234 567 Wh = 0x0012D687; 1 000 000 = 0x000F4240; 234 567 = 0x00039447
        assertThat(r.word(40116)).isEqualTo(0x0012);
        assertThat(r.word(40117)).isEqualTo(0xD687);
        assertThat(r.word(40118)).isEqualTo(0x000F);
        assertThat(r.word(40119)).isEqualTo(0x4240);
        assertThat(r.word(40120)).isEqualTo(0x0003);
        assertThat(r.word(40121)).isEqualTo(0x9447);
        assertThat(r.word(40122) << 16 | r.word(40123)).isZero();
        assertThat(r.word(40124)).as("TotWh_SF").isZero();
        // apparent and reactive energy are not accumulated
        for (int a = 40125; a <= 40140; a++) {
            assertThat(r.word(a)).as("TotVAh %d", a).isZero();
        }
        assertThat(r.word(40141)).as("TotVAh_SF").isEqualTo(0x8000);
        for (int a = 40142; a <= 40173; a++) {
            assertThat(r.word(a)).as("TotVArh %d", a).isZero();
        }
        assertThat(r.word(40174)).as("TotVArh_SF").isEqualTo(0x8000);
    }

    @Test
    void events_setTheirSunSpecBits() {
        MeterRegisters r = split();
        assertThat(r.word(40175) << 16 | r.word(40176)).isEqualTo(1 << 6);
        MeterValues v = splitValues();
        MeterValues more = new MeterValues(v.frequency(), v.elements(), v.watts(), v.vars(), v.voltAmperes(),
                v.powerFactor(), v.deliveredMicroWh(), v.receivedMicroWh(),
                Set.of(MeterEvent.POWER_FAILURE, MeterEvent.UNDER_VOLTAGE, MeterEvent.OVER_CURRENT));
        MeterRegisters m = RegisterMap.SUNSPEC.encode(SPLIT, more);
        assertThat(m.word(40175) << 16 | m.word(40176)).isEqualTo(1 << 2 | 1 << 3 | 1 << 5);
    }

    @Test
    void oneElement_isModel201_withPhaseAOnly() {
        // 50 Hz, 100 A: A_SF -2 (200 A), V_SF -1 (480 V), W_SF 1 (96 kW)
        Nameplate n = new Nameplate("shop", "Mini Meter 1-element 100 A 50 Hz", "1", 3, 1, 240, 100, 0);
        MeterValues v = new MeterValues(50.0, List.of(new ElementValues(230.04, 20.004, 4600.8, 0, 4600.8, 1)),
                4600.8, 0, 4600.8, 1, new long[] {3_600_000_000L, 3_600_000_000L}, new long[] {0, 0}, Set.of());
        MeterRegisters r = RegisterMap.SUNSPEC.encode(n, v);
        assertThat(r.word(40070)).isEqualTo(201);
        assertThat(r.word(40071)).isEqualTo(105);
        assertThat(r.word(40072)).as("A").isEqualTo(2000);
        assertThat(r.word(40073)).as("AphA").isEqualTo(2000);
        assertThat(r.word(40074)).as("AphB").isEqualTo(0x8000);
        assertThat(r.word(40075)).as("AphC").isEqualTo(0x8000);
        assertThat(s16(r.word(40076))).isEqualTo(-2);
        assertThat(r.word(40077)).as("PhV").isEqualTo(2300);
        assertThat(r.word(40078)).as("PhVphA").isEqualTo(2300);
        assertThat(r.word(40079)).isEqualTo(0x8000);
        assertThat(r.word(40081)).as("PPV: no line-to-line on an AN meter").isEqualTo(0x8000);
        assertThat(s16(r.word(40085))).isEqualTo(-1);
        assertThat(r.word(40086)).isEqualTo(5000);
        assertThat(r.word(40088)).as("W").isEqualTo(460);
        assertThat(r.word(40089)).isEqualTo(460);
        assertThat(r.word(40090)).as("WphB").isEqualTo(0x8000);
        assertThat(r.word(40104)).as("PFphA").isEqualTo(10000);
        assertThat(r.word(40105)).as("PFphB").isEqualTo(0x8000);
        assertThat(r.word(40116) << 16 | r.word(40117)).as("TotWhImp 3600 Wh").isEqualTo(3600);
        assertThat(r.word(40118) << 16 | r.word(40119)).as("TotWhImpPhA").isEqualTo(3600);
        assertThat(r.word(40120) << 16 | r.word(40121)).as("TotWhImpPhB: no phase B").isZero();
        assertThat(r.word(40175) << 16 | r.word(40176)).isZero();
    }

    @ParameterizedTest(name = "{0} elements, {1} Hz, {2} A: A_SF {3}, V_SF {4}, W_SF {5}")
    @CsvSource({"2, 120, 200, -1, -2, 1", "1, 120, 200, -1, -2, 1", "1, 120, 100, -2, -2, 1",
            "2, 240, 200, -1, -1, 2", "1, 240, 100, -2, -1, 1", "2, 120, 100, -1, -2, 1"})
    void scaleFactors_areTheFinestAtWhichTheLargestValueFitsAnInt16(int elements, int volts, int amps, int aSf,
            int vSf, int wSf) {
        var s = SunSpecMap.Scales.of(new Nameplate("m", "x", "1", 1, elements, volts, amps, 0));
        assertThat(s.amps()).isEqualTo(aSf);
        assertThat(s.volts()).isEqualTo(vSf);
        assertThat(s.power()).isEqualTo(wSf);
        // the largest values fit: 2 x nominal volts, 2 x rating per element
        assertThat(elements * 2.0 * amps / Math.pow(10, aSf)).isLessThanOrEqualTo(32767);
        assertThat(elements * 2.0 * amps / Math.pow(10, aSf - 1)).isGreaterThan(32767);
        assertThat(elements * 4.0 * volts * amps / Math.pow(10, wSf)).isLessThanOrEqualTo(32767);
        assertThat(elements * 4.0 * volts * amps / Math.pow(10, wSf - 1)).isGreaterThan(32767);
    }

    @Test
    void valuesPastTheRange_areClamped_notWrapped_andNaNIsNotImplemented() {
        Nameplate n = new Nameplate("m", "x", "1", 1, 1, 120, 50, 0); // W_SF 0: 240 V x 100 A fits
        MeterValues v = new MeterValues(Double.NaN, List.of(new ElementValues(120, 400, 48_000, -40_000, 48_000, 1)),
                48_000, -40_000, 48_000, 1, new long[] {0, 0}, new long[] {0, 0}, Set.of());
        MeterRegisters r = RegisterMap.SUNSPEC.encode(n, v);
        assertThat(s16(r.word(40092))).isZero();
        assertThat(s16(r.word(40088))).isEqualTo(32767);
        assertThat(s16(r.word(40098))).isEqualTo(-32767);
        assertThat(r.word(40086)).as("Hz unknown while not synced").isEqualTo(0x8000);
    }

    @Test
    void energyScale_wholeWattHours_untilARegisterUsesHalfTheAccumulator() {
        assertThat(Nameplate.energyScaleFor(0)).isZero();
        assertThat(Nameplate.energyScaleFor(((1L << 31) - 1) * 1_000_000)).isZero();
        assertThat(Nameplate.energyScaleFor((1L << 31) * 1_000_000)).isEqualTo(1);
        assertThat(Nameplate.energyScaleFor(1_000_000_000_000_000_000L)).as("1e9 kWh, the largest seed").isEqualTo(3);
    }

    @Test
    void accumulator_countsModulo2To32_soAWrapIsConsistentForAnAcc32Reader() {
        long before = SunSpecMap.accumulator(((1L << 32) - 1) * 1_000_000 + 999_999, 0);
        long after = SunSpecMap.accumulator(((1L << 32) + 4) * 1_000_000, 0);
        assertThat(before).isEqualTo(0xFFFF_FFFFL);
        assertThat(after).isEqualTo(4);
        assertThat((after - before) & 0xFFFF_FFFFL).as("difference mod 2^32").isEqualTo(5);
        assertThat(SunSpecMap.accumulator(123_456_789_000_000L, 2)).as("100 Wh units").isEqualTo(1_234_567);
    }

    @Test
    void energyNeverReadsLess_whenTheRegisterGrows() {
        Nameplate n = new Nameplate("m", "x", "1", 1, 1, 120, 200, 0);
        long last = -1;
        for (long uwh = 0; uwh < 50_000_000; uwh += 333_333) {
            MeterValues v = new MeterValues(60, List.of(new ElementValues(120, 1, 120, 0, 120, 1)), 120, 0, 120, 1,
                    new long[] {uwh, uwh}, new long[] {0, 0}, Set.of());
            MeterRegisters r = RegisterMap.SUNSPEC.encode(n, v);
            long wh = (long) r.word(40116) << 16 | r.word(40117);
            assertThat(wh).isGreaterThanOrEqualTo(last).isEqualTo(uwh / 1_000_000);
            last = wh;
        }
    }

    @Test
    void encodingValuesOfTheWrongShape_isRefused() {
        Nameplate one = new Nameplate("m", "x", "1", 1, 1, 120, 200, 0);
        assertThatThrownBy(() -> RegisterMap.SUNSPEC.encode(one, splitValues()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Nameplate("m", "x", "1", 248, 1, 120, 200, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
