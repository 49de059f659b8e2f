package org.minimeter.gateway.hal.atm90e32;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.minimeter.gateway.metering.AlarmEvent;
import org.minimeter.gateway.metering.ChannelCalibration;
import org.minimeter.gateway.metering.Condition;
import org.minimeter.gateway.metering.ElementCalibration;
import org.minimeter.gateway.metering.EnergyRegister;
import org.minimeter.gateway.metering.EnergySnapshot;
import org.minimeter.gateway.metering.Measurement;
import org.minimeter.gateway.metering.MeterSpec;
import org.minimeter.gateway.metering.Metrology;

/** The engine against a model of the chip's register file: energy accounting, faults, resets. */
class Atm90e32EngineTest {

    private static final long SECOND = 1_000_000_000L;
    private static final double WH_PER_LSB = 3125e-6;
    /**
     * Agreement with P x t: the chip holds back its sub-LSB fraction (under one LSB) until it
     * makes a whole LSB, so the register trails the model's exact energy by less than one LSB.
     */
    private static final double ONE_LSB = 1.001 * WH_PER_LSB;
    private static final Atm90e32Config CONFIG = Atm90e32Config.splitPhase(60, 0x7EAC, 0xB5CB, 0xB5CC);
    private static final ElementCalibration IDEAL = new ElementCalibration(ChannelCalibration.ideal(1),
            ChannelCalibration.ideal(1));
    private static final MeterSpec SPEC = MeterSpec.of(60, 100, 8000, List.of(IDEAL, IDEAL));

    private final List<Measurement> measurements = new ArrayList<>();
    private final List<AlarmEvent> alarms = new ArrayList<>();
    private final Metrology.Listener listener = new Metrology.Listener() {
        @Override
        public void onMeasurement(Measurement m) {
            measurements.add(m);
        }

        @Override
        public void onAlarm(AlarmEvent event) {
            alarms.add(event);
        }
    };

    private ChipModel model;
    private long now;

    @BeforeEach
    void setUp() {
        model = new ChipModel();
        model.setFrequency(60);
        model.setPhase(Phase.A, 120, 10, 1200);
        model.setPhase(Phase.C, 120, 10, 1200);
    }

    private Atm90e32Engine engine(EnergySnapshot start) {
        Atm90e32Engine e = new Atm90e32Engine(SPEC, new Atm90e32(model, CONFIG), new EnergyRegister(start), listener);
        e.open(now);
        return e;
    }

    private void run(Atm90e32Engine engine, int seconds) {
        for (int s = 0; s < seconds; s++) {
            model.advance(1);
            now += SECOND;
            engine.poll(now);
        }
    }

    private boolean raised(Condition c) {
        return alarms.stream().anyMatch(a -> a.condition() == c && a.raised());
    }

    private boolean cleared(Condition c) {
        return alarms.stream().anyMatch(a -> a.condition() == c && !a.raised());
    }

    /** Ten simulated minutes, 1 s polls: importing 1500 W on L1, exporting 300 W on L2. */
    @Test
    void tenSimulatedMinutes_registerMatchesPowerTimesTime() {
        model.setPhase(Phase.A, 120, 12.5, 1500);
        model.setPhase(Phase.C, 120, 2.5, -300);
        Atm90e32Engine engine = engine(EnergySnapshot.zero(2));
        run(engine, 600);
        EnergySnapshot e = engine.latestEnergy();
        // The chip carries its sub-LSB fraction internally: at most one LSB is still inside it.
        assertEquals(1500.0 * 600 / 3600, e.deliveredMicroWh(1) / 1e6, ONE_LSB);
        assertEquals(300.0 * 600 / 3600, e.receivedMicroWh(2) / 1e6, ONE_LSB);
        assertEquals(0, e.receivedMicroWh(1));
        assertEquals(0, e.deliveredMicroWh(2));
        assertEquals(1200.0 * 600 / 3600, e.deliveredMicroWh(0) / 1e6, 2 * ONE_LSB);
        assertEquals(600L * 8000, e.committedSamples());
        assertEquals(600, measurements.size());
        Measurement last = measurements.get(599);
        assertEquals(1500.0, last.element(1).power(), 0.001);
        assertEquals(-300.0, last.element(2).power(), 0.001);
        assertEquals(60.0, last.frequency(), 1e-9);
        assertEquals(1.0, last.seconds(), 0);
        assertEquals(e, last.energy());
    }

    /** The conversion is exact: the register holds the chip's LSB count times 3125 µWh. */
    @Test
    void energy_isLsbCountTimesLsbUnit() {
        Atm90e32Engine engine = engine(EnergySnapshot.zero(2));
        run(engine, 37);
        long lsbA = engine.health().forwardLsb()[0];
        assertEquals((long) Math.floor(1200.0 * 37 / 3600 / WH_PER_LSB), lsbA);
        assertEquals(lsbA * 3125, engine.latestEnergy().deliveredMicroWh(1), 1);
    }

    @Test
    void reverseEnergy_goesToReceived() {
        model.setPhase(Phase.A, 120, 10, -1200);
        Atm90e32Engine engine = engine(EnergySnapshot.zero(2));
        run(engine, 60);
        EnergySnapshot e = engine.latestEnergy();
        assertEquals(20.0, e.receivedMicroWh(1) / 1e6, ONE_LSB);
        assertEquals(0, e.deliveredMicroWh(1));
        assertEquals(20.0, e.deliveredMicroWh(2) / 1e6, ONE_LSB);
    }

    /**
     * Phase A's registers are read (and cleared by the chip) before the read of phase C fails:
     * A's energy is in the register; only C's interval is lost, and the alarms say so.
     */
    @Test
    void readErrorMidPoll_keepsTheRegistersAlreadyRead() {
        Atm90e32Engine engine = engine(EnergySnapshot.zero(2));
        run(engine, 10);
        model.advance(10);
        model.failNextRead(0x83); // APenergyC
        now += 10 * SECOND;
        engine.poll(now);
        EnergySnapshot e = engine.latestEnergy();
        assertEquals(1200.0 * 20 / 3600, e.deliveredMicroWh(1) / 1e6, ONE_LSB);
        assertEquals(1200.0 * 10 / 3600, e.deliveredMicroWh(2) / 1e6, ONE_LSB);
        assertTrue(raised(Condition.SOURCE_FAILED));
        assertEquals(1, engine.health().busErrors());
        run(engine, 1);
        assertTrue(cleared(Condition.SOURCE_FAILED));
        assertTrue(measurements.get(measurements.size() - 1).conditions().contains(Condition.SAMPLE_GAP));
    }

    @Test
    void corruptedEnergyWord_isRecoveredThroughLastSpiData_nothingLost() {
        Atm90e32Engine engine = engine(EnergySnapshot.zero(2));
        run(engine, 5);
        model.corruptNextRead(0x81);
        run(engine, 5);
        assertEquals(1200.0 * 10 / 3600, engine.latestEnergy().deliveredMicroWh(1) / 1e6, ONE_LSB);
        assertEquals(1, engine.health().recoveredReads());
        assertEquals(0, engine.health().untrustedEnergyReads());
        assertTrue(raised(Condition.BAD_BLOCK));
    }

    /** An energy word that cannot be confirmed is not added: the loss is one poll period's energy. */
    @Test
    void unconfirmableEnergyReads_loseAtMostOnePollPeriod() {
        Atm90e32Engine engine = engine(EnergySnapshot.zero(2));
        run(engine, 30);
        model.lastSpiGarbage = true;
        run(engine, 1);
        model.lastSpiGarbage = false;
        run(engine, 29);
        assertEquals(4, engine.health().untrustedEnergyReads());
        double lostWh = 1200.0 * 60 / 3600 - engine.latestEnergy().deliveredMicroWh(1) / 1e6;
        double onePollWh = 1200.0 * 1 / 3600;
        // Bound: one poll period's energy, rounded up to a whole LSB, plus the fraction the chip
        // still holds at the end of the run.
        assertTrue(lostWh > 0 && lostWh <= onePollWh + 2 * ONE_LSB, "lost " + lostWh + " Wh");
        assertTrue(raised(Condition.BAD_BLOCK));
        assertTrue(raised(Condition.SAMPLE_GAP));
    }

    @Test
    void chipReset_isDetected_setupRedone_energySinceResetDiscarded_alarmRaised() {
        Atm90e32Engine engine = engine(EnergySnapshot.zero(2));
        run(engine, 10);
        model.reset(); // brown-out: defaults, MeterEn 0, metering stopped
        model.advance(1);
        now += SECOND;
        engine.poll(now);
        assertEquals(1, engine.health().chipResets());
        assertEquals(0x0001, model.get(0x00));
        assertEquals(0xB5CC, model.get(0x6A));
        assertTrue(raised(Condition.SAMPLE_GAP));
        assertFalse(raised(Condition.SOURCE_FAILED));
        run(engine, 10);
        // The second of the reset was not metered (MeterEn 0); the reset also dropped the
        // chip's internal sub-LSB fraction: two LSBs of slack.
        assertEquals(1200.0 * 20 / 3600, engine.latestEnergy().deliveredMicroWh(1) / 1e6, 2 * ONE_LSB);
        assertEquals(1, engine.health().chipResets());
    }

    /** The chip stays powered while the gateway restarts: what it integrated meanwhile is drained at open. */
    @Test
    void gatewayRestart_drainsEnergyTheChipIntegratedMeanwhile() {
        Atm90e32Engine first = engine(EnergySnapshot.zero(2));
        run(first, 20);
        first.flush();
        EnergySnapshot saved = first.latestEnergy();
        model.advance(30); // gateway down for 30 s; 30 s < the register's 50.8 s capacity at full load
        Atm90e32Engine second = engine(saved);
        assertEquals(0, second.health().chipResets());
        run(second, 10);
        assertEquals(1200.0 * 60 / 3600, second.latestEnergy().deliveredMicroWh(1) / 1e6, ONE_LSB);
    }

    @Test
    void firstOpenOfAFreshChip_configuresIt() {
        Atm90e32Engine engine = engine(EnergySnapshot.zero(2));
        assertEquals(0x0001, model.get(0x00));
        assertEquals(0x1185, model.get(0x33));
        assertEquals(0, engine.health().chipResets());
    }

    @Test
    void pollGapBeyondRegisterCapacity_isCountedAndRaisesSampleGap() {
        Atm90e32Engine engine = engine(EnergySnapshot.zero(2));
        assertEquals(50.776, engine.registerCapacitySeconds(), 0.001);
        run(engine, 1);
        model.advance(60);
        now += 60 * SECOND;
        engine.poll(now);
        assertEquals(1, engine.health().overduePolls());
        assertTrue(raised(Condition.SAMPLE_GAP));
    }

    @Test
    void busDown_raisesSourceFailedOnce_neverThrows_andRecovers() {
        Atm90e32Engine engine = engine(EnergySnapshot.zero(2));
        run(engine, 5);
        model.busDown = true;
        run(engine, 3);
        assertEquals(1, alarms.stream().filter(a -> a.condition() == Condition.SOURCE_FAILED).count());
        assertEquals(3, engine.stats().rejectedBlocks());
        model.busDown = false;
        run(engine, 1);
        assertTrue(cleared(Condition.SOURCE_FAILED));
        // The chip kept its energy while the bus was down: nothing lost.
        assertEquals(1200.0 * 9 / 3600, engine.latestEnergy().deliveredMicroWh(1) / 1e6, ONE_LSB);
    }

    @Test
    void overVoltageOnOneElement_isAlarmedForThatElement() {
        Atm90e32Engine engine = engine(EnergySnapshot.zero(2));
        model.setPhase(Phase.C, 140, 10, 1400);
        run(engine, 1);
        assertTrue(alarms.stream().anyMatch(a -> a.key().equals("over_voltage:L2") && a.raised()));
    }
}
