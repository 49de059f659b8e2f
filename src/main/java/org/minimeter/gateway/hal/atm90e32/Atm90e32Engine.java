package org.minimeter.gateway.hal.atm90e32;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.jboss.logging.Logger;
import org.minimeter.gateway.hal.SpiTransport;
import org.minimeter.gateway.metering.AlarmEvent;
import org.minimeter.gateway.metering.AlarmMonitor;
import org.minimeter.gateway.metering.Condition;
import org.minimeter.gateway.metering.ElementReading;
import org.minimeter.gateway.metering.EnergyRegister;
import org.minimeter.gateway.metering.ElementConditions;
import org.minimeter.gateway.metering.EnergySnapshot;
import org.minimeter.gateway.metering.Measurement;
import org.minimeter.gateway.metering.MeterSpec;
import org.minimeter.gateway.metering.MeteringEngine;
import org.minimeter.gateway.metering.Metrology;

/**
 * A meter whose metering is done by an ATM90E32AS: the chip integrates energy in silicon into
 * read-and-clear registers; this engine drains them into the meter's {@link EnergyRegister}, so
 * the energy reaches the same register, pulse outputs and MQTT as a sampled meter's, and turns
 * the chip's RMS and power registers into {@link Measurement}s and alarms.
 *
 * <h2>Poll contract</h2>
 * The gateway's shared sampler calls {@link #poll(long)} periodically (1 s is the intended
 * period) from one thread; the engine has no thread of its own and never sleeps. Each poll:
 * <ol>
 * <li>checks MeterEn (a chip reset clears it to 0; see below);</li>
 * <li>reads, per element, the forward (APenergyX) and reverse (ANenergyX) energy registers of its
 *     phase, each confirmed through LastSPIData, and commits what it read to the register even if
 *     a later transfer of the same poll fails;</li>
 * <li>reads Urms, Irms, Pmean, Qmean, Smean, PFmean of each element's phase and the frequency, and
 *     hands a {@link Measurement} covering the time since the previous poll to the listener; alarms
 *     follow from it through {@link AlarmMonitor}, as for {@link Metrology}.</li>
 * </ol>
 * The period must stay below {@link #registerCapacitySeconds()}: an energy register holds 65535
 * LSBs and the gateway must drain it before it fills at the meter's maximum power (50 s at
 * 132 V x 110 A with the default PL_constant). A longer gap is counted and raises
 * {@code sample_gap}.
 *
 * <h2>Energy</h2>
 * One energy LSB is {@code PL_constant / 45000} µWh ({@link Atm90e32Config#microWhPerLsb()}),
 * 3.125 mWh by default. The engine counts LSBs as integers and converts each poll's net per
 * element with one exact integer product ({@code LSB x PL_constant / 12.5e6} J); the register
 * carries the sub-µWh fraction. Within one poll the forward and reverse LSBs of an element are
 * netted, as {@link Metrology} nets within a window, and the register nets the elements for the
 * total as it does for a sampled two-element meter.
 *
 * <h2>What can be lost, and the bound</h2>
 * <ul>
 * <li>A read whose word cannot be confirmed through LastSPIData: the chip has cleared the
 *     register, the value is not trusted and is not added. Lost: that register's energy since
 *     the previous poll, at most one poll period at the power of the moment (and at most 65535
 *     LSB). Counted ({@link Health#untrustedEnergyReads()}), raises {@code bad_block} and
 *     {@code sample_gap}. A single corrupted MISO word is recovered: LastSPIData read twice.</li>
 * <li>A bus failure during an energy read: whether the chip cleared the register is unknown;
 *     same bound, same alarms, and {@code source_failed} until a poll succeeds.</li>
 * <li>A chip reset (supply glitch, brown-out): MeterEn reads 0, the calibration is back to
 *     defaults; the energy registers then hold energy measured uncalibrated since the reset. It is
 *     read, counted ({@link Health#discardedLsb()}) and not added; set-up is redone; raises
 *     {@code sample_gap}. Bound: one poll period, since the check runs every poll.</li>
 * <li>A gateway restart: the chip keeps integrating while the gateway is down <em>if the chip stays
 *     powered</em>. {@link #open(long)} finds it still configured and drains what accumulated, so
 *     nothing beyond the register-save bound of the persistence layer is lost, as long as the
 *     outage is shorter than {@link #registerCapacitySeconds()} at the load of the time (beyond
 *     it the 16-bit register may wrap). If the chip lost power too, it did not meter either.</li>
 * </ul>
 *
 * <p>Not thread-safe for its inputs; {@link #latestEnergy()}, {@link #stats()} and
 * {@link #health()} are immutable snapshots readable from any thread.
 */
public final class Atm90e32Engine implements MeteringEngine {

    private static final Logger LOG = Logger.getLogger(Atm90e32Engine.class);

    /** Joules per (LSB x PL_constant): 1 LSB = PL/45000 µWh = PL x 8e-8 J. */
    private static final double LSB_PL_PER_JOULE = 12_500_000.0;
    /** An energy register is 16 bits, unsigned. */
    static final int REGISTER_FULL_SCALE = 0xFFFF;

    /** Counters for the chip link and the energy accounting. */
    public record Health(long polls, long measurements, long busErrors, long readbackMismatches,
            long recoveredReads, long untrustedEnergyReads, long chipResets, long overduePolls,
            long discardedLsb, long[] forwardLsb, long[] reverseLsb, String lastProblem) {

        public Health {
            forwardLsb = forwardLsb.clone();
            reverseLsb = reverseLsb.clone();
        }

        @Override
        public long[] forwardLsb() {
            return forwardLsb.clone();
        }

        @Override
        public long[] reverseLsb() {
            return reverseLsb.clone();
        }
    }

    private final MeterSpec spec;
    private final Atm90e32 chip;
    private final Atm90e32Config config;
    private final EnergyRegister register;
    private final Metrology.Listener listener;
    private final AlarmMonitor alarms;
    private final int elements;
    private final long capacityNanos;

    /** Net LSBs read this poll per element (forward positive), not yet in the register. */
    private final long[] pendingLsb;
    private final long[] forwardLsb;
    private final long[] reverseLsb;
    /** -1 for an element with one channel wired backwards: the chip's forward energy is export. */
    private final int[] polarity;
    private final ElementConditions elementConditions;

    private boolean opened;
    private boolean needsSetup;
    private long lastPollNanos;
    private long elapsedNanos;
    private long samplesCommitted;
    private boolean badSinceMeasurement;
    private boolean gapSinceMeasurement;
    private boolean sourceFailedRaised;
    /** The driver's read-back mismatch count already reported. */
    private long mismatchesReported;

    private long polls;
    private long measurements;
    private long busErrors;
    private long untrustedEnergyReads;
    private long chipResets;
    private long overduePolls;
    private long discardedLsb;
    private long droppedSamples;
    private long rejected;
    private String lastProblem = "";

    private volatile EnergySnapshot latestEnergy;
    private volatile Metrology.Stats stats;
    private volatile Health health;

    /**
     * @param spec the meter's ratings and thresholds; {@code spec.sampleRate()} is the time base
     *     of the register ({@link EnergySnapshot#committedSamples()} advances by elapsed time x
     *     sample rate; 8000 matches the chip's own ADC rate)
     * @param chip the driver, whose configuration has one phase per element of {@code spec}
     * @param register the meter's register (a fresh one, or continued from the saved register)
     * @param listener receives measurements and alarms on the polling thread
     */
    public Atm90e32Engine(MeterSpec spec, Atm90e32 chip, EnergyRegister register, Metrology.Listener listener) {
        this.config = chip.config();
        if (spec.elements() != config.elements()) {
            throw new IllegalArgumentException("meter has " + spec.elements() + " elements, ATM90E32 configuration "
                    + config.elements() + " phases " + config.phases());
        }
        if (register.elements() != spec.elements()) {
            throw new IllegalArgumentException("register has " + register.elements() + " elements, meter "
                    + spec.elements());
        }
        this.spec = spec;
        this.chip = chip;
        this.register = register;
        this.listener = listener;
        this.alarms = new AlarmMonitor(spec);
        this.elements = spec.elements();
        this.pendingLsb = new long[elements];
        this.forwardLsb = new long[elements];
        this.reverseLsb = new long[elements];
        this.polarity = new int[elements];
        for (int e = 0; e < elements; e++) {
            var c = spec.calibration().get(e);
            polarity[e] = c.voltage().sign() * c.current().sign();
        }
        this.elementConditions = new ElementConditions(spec);
        this.capacityNanos = (long) (registerCapacitySeconds() * 1e9);
        this.latestEnergy = register.snapshot();
        publish();
    }

    @Override
    public MeterSpec spec() {
        return spec;
    }

    @Override
    public EnergySnapshot latestEnergy() {
        return latestEnergy;
    }

    @Override
    public Metrology.Stats stats() {
        return stats;
    }

    public Health health() {
        return health;
    }

    /**
     * Seconds an energy register takes to fill (65535 LSB) at the meter's maximum power per
     * element (maximum voltage x rated current + 10 %): the longest safe gap between polls, and
     * the longest gateway outage whose chip energy is recovered in full at that power.
     */
    public double registerCapacitySeconds() {
        double joules = REGISTER_FULL_SCALE * (double) config.plConstant() / LSB_PL_PER_JOULE;
        return joules / (spec.maxVoltage() * spec.maxCurrent());
    }

    /**
     * Brings the chip up: if it still holds this configuration (a gateway restart with the chip
     * powered) the energy it integrated meanwhile is drained into the register; otherwise
     * (power-up, reset, other configuration) what its registers hold was not measured with this
     * calibration and is discarded (counted), and the configuration is written.
     *
     * @throws SpiTransport.SpiException or {@link Atm90e32.ReadbackException} if the chip cannot
     *     be reached or configured; {@link #poll} retries the opening
     */
    public void open(long nowNanos) {
        lastPollNanos = nowNanos;
        try {
            openChip();
        } finally {
            commit(0);
            publish();
        }
    }

    private void openChip() {
        if (chip.holdsConfig()) {
            harvest(true);
            LOG.infof("%s still configured: drained the energy it integrated while the gateway was down",
                    chip.description());
        } else {
            harvest(false);
            chip.configure();
        }
        opened = true;
        needsSetup = false;
    }

    /**
     * One poll at monotonic time {@code nowNanos}. Never throws for chip or bus faults: they are
     * counted and alarmed, and the next poll resynchronises.
     */
    public void poll(long nowNanos) {
        long elapsed = Math.max(0, nowNanos - lastPollNanos);
        lastPollNanos = nowNanos;
        double seconds = elapsed / 1e9;
        long windowStart = register.committedSamples();
        long samples = advance(elapsed);
        polls++;
        try {
            try {
                if (!opened) {
                    openChip();
                } else if (needsSetup || !chip.meteringEnabled()) {
                    onChipReset();
                } else {
                    if (elapsed > capacityNanos) {
                        overduePolls++;
                        gapSinceMeasurement = true;
                        droppedSamples += samples;
                        problem(String.format("poll gap %.1f s exceeds the energy register's %.1f s capacity",
                                seconds, registerCapacitySeconds()));
                    }
                    harvest(true);
                }
            } finally {
                commit(samples);
            }
            measure(windowStart, seconds);
            sourceRecovered();
        } catch (SpiTransport.SpiException | Atm90e32.ReadbackException e) {
            if (e instanceof SpiTransport.SpiException) {
                busErrors++;
            } else {
                badSinceMeasurement = true;
            }
            rejected++;
            problem(chip.description() + ": " + e.getMessage());
            sourceFailed();
        }
        publish();
    }

    /**
     * Drains the chip's energy registers into the register (clean stop). If the chip cannot be
     * read the energy stays in it and the next {@link #open} drains it.
     */
    @Override
    public void flush() {
        if (opened && !needsSetup) {
            try {
                harvest(true);
            } catch (RuntimeException e) {
                problem("final drain failed, the chip keeps its energy for the next start: " + e.getMessage());
            } finally {
                commit(0);
            }
        }
        publish();
    }

    private void onChipReset() {
        if (!needsSetup) {
            chipResets++;
            LOG.warnf("%s: chip reset detected (MeterEn reads 0): energy since the reset is discarded, set-up redone",
                    chip.description());
            problem("chip reset detected: set-up redone");
        }
        needsSetup = true;
        gapSinceMeasurement = true;
        harvest(false);
        chip.configure();
        needsSetup = false;
    }

    /**
     * Reads every used energy register once. Each confirmed read is kept at once in
     * {@link #pendingLsb} (the chip has cleared it), so a later failure of the same poll loses
     * nothing already read; the caller commits in a finally block.
     */
    private void harvest(boolean keep) {
        for (int e = 0; e < elements; e++) {
            Phase phase = config.phases().get(e);
            for (int direction = 0; direction < 2; direction++) {
                boolean forward = direction == 0;
                int lsb;
                try {
                    lsb = forward ? chip.readForwardEnergy(phase) : chip.readReverseEnergy(phase);
                } catch (Atm90e32.ReadbackException ex) {
                    untrustedEnergyReads++;
                    rejected++;
                    badSinceMeasurement = true;
                    gapSinceMeasurement = true;
                    problem("untrusted energy read, that register's energy since the last poll is lost: "
                            + ex.getMessage());
                    continue;
                } catch (SpiTransport.SpiException ex) {
                    gapSinceMeasurement = true;
                    throw ex;
                }
                if (!keep) {
                    discardedLsb += lsb;
                } else if (forward) {
                    pendingLsb[e] += polarity[e] * lsb;
                    forwardLsb[e] += lsb;
                } else {
                    pendingLsb[e] -= polarity[e] * lsb;
                    reverseLsb[e] += lsb;
                }
            }
        }
    }

    /** Adds the pending LSBs, converted exactly, and {@code samples} of register time. */
    private void commit(long samples) {
        double[] joules = new double[elements];
        for (int e = 0; e < elements; e++) {
            // LSB x PL is an exact integer in a double below 2^53 (65535 x 2^32 x a few polls).
            joules[e] = pendingLsb[e] * (double) config.plConstant() / LSB_PL_PER_JOULE;
            pendingLsb[e] = 0;
        }
        register.add(joules, samples);
        latestEnergy = register.snapshot();
    }

    /** Register time: elapsed time in samples of the spec's rate, without rounding drift. */
    private long advance(long elapsed) {
        elapsedNanos += elapsed;
        long total = (long) Math.floor(elapsedNanos / 1e9 * spec.sampleRate());
        long samples = total - samplesCommitted;
        samplesCommitted = total;
        return samples;
    }

    private void measure(long windowStart, double seconds) {
        List<ElementReading> readings = new ArrayList<>(elements);
        double p = 0;
        double q = 0;
        double s = 0;
        for (int e = 0; e < elements; e++) {
            Atm90e32.PhaseReading r = chip.readPhase(config.phases().get(e));
            // a channel wired backwards (meter.invert) turns the chip's import into export
            double power = polarity[e] * r.power();
            double reactive = polarity[e] * r.reactive();
            Set<Condition> conditions = elementConditions.of(e, r.voltage(), r.current(), power, seconds, true);
            double nonActive = Math.sqrt(Math.max(0, r.apparent() * r.apparent() - power * power));
            readings.add(new ElementReading(r.voltage(), r.current(), power, reactive, r.apparent(),
                    nonActive, polarity[e] * r.powerFactor(), conditions));
            p += power;
            q += reactive;
            s += r.apparent();
        }
        double f = chip.readFrequency();
        // The chip reports 0 Hz (or nonsense) without a voltage to lock on.
        boolean synced = f > 0.5 * spec.nominalFrequency() && f < 1.5 * spec.nominalFrequency();
        Set<Condition> meter = EnumSet.noneOf(Condition.class);
        if (!synced) {
            f = Double.NaN;
            meter.add(Condition.NO_ZERO_CROSSING);
        } else if (Math.abs(f - spec.nominalFrequency()) > spec.frequencyTolerance() * spec.nominalFrequency()) {
            meter.add(Condition.FREQUENCY_OFF_NOMINAL);
        }
        if (chip.readbackMismatches() > mismatchesReported) {
            // Even a recovered mismatch is a fact about the link's signal integrity worth seeing.
            mismatchesReported = chip.readbackMismatches();
            badSinceMeasurement = true;
        }
        if (badSinceMeasurement) {
            meter.add(Condition.BAD_BLOCK);
            badSinceMeasurement = false;
        }
        if (gapSinceMeasurement) {
            meter.add(Condition.SAMPLE_GAP);
            gapSinceMeasurement = false;
        }
        Measurement m = new Measurement(windowStart, seconds, f, synced, readings, p, q, s, s > 0 ? p / s : 0,
                meter, latestEnergy);
        measurements++;
        listener.onMeasurement(m);
        for (AlarmEvent event : alarms.update(m)) {
            listener.onAlarm(event);
        }
    }

    /**
     * A poll that failed produces no measurement, so its alarm cannot wait for one: it is raised
     * at once and cleared by the next poll that completes.
     */
    private void sourceFailed() {
        if (!sourceFailedRaised) {
            sourceFailedRaised = true;
            listener.onAlarm(new AlarmEvent(Condition.SOURCE_FAILED, 0, true, register.committedSamples(),
                    Double.NaN, Double.NaN));
        }
    }

    private void sourceRecovered() {
        if (sourceFailedRaised) {
            sourceFailedRaised = false;
            listener.onAlarm(new AlarmEvent(Condition.SOURCE_FAILED, 0, false, register.committedSamples(),
                    Double.NaN, Double.NaN));
        }
    }

    private void problem(String text) {
        lastProblem = text;
        LOG.debug(text);
    }

    private void publish() {
        stats = new Metrology.Stats(samplesCommitted, measurements, droppedSamples, rejected, lastProblem);
        health = new Health(polls, measurements, busErrors, chip.readbackMismatches(), chip.recoveredReads(),
                untrustedEnergyReads, chipResets, overduePolls, discardedLsb, forwardLsb, reverseLsb, lastProblem);
    }
}
