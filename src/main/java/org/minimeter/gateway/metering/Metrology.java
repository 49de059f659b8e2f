package org.minimeter.gateway.metering;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The metering of one meter: takes contiguous sample blocks, integrates energy from every
 * sample into the register, and produces readings over whole-cycle windows.
 *
 * <p>Windows are bounded by rising zero crossings of element 1's voltage, located between
 * samples by linear interpolation, so a window is a whole number of line cycles even when a
 * cycle is not a whole number of samples (59.93 Hz at 8 kHz is 133.49 samples). Over whole
 * cycles the DC offset is the mean, the oscillating part of v*i integrates to zero and the
 * fundamental DFT bin is orthogonal to DC and harmonics, which is what makes the readings
 * exact on ideal samples.
 *
 * <p>Energy: every sample contributes v*i*dt to exactly one window, and each window's net
 * energy goes to the register (delivered if positive, received if negative) unless the
 * window's power is below the creep threshold. Samples before the first zero crossing, or
 * around a gap, form partial windows whose energy is still registered.
 *
 * <p>Not thread-safe: one sampling thread calls {@link #process}; other threads read the
 * immutable {@link #latestEnergy()} and {@link #stats()}.
 */
public final class Metrology implements MeteringEngine {

    /** Receives results on the sampling thread: implementations must not block. */
    public interface Listener {
        void onMeasurement(Measurement measurement);

        void onAlarm(AlarmEvent event);
    }

    /** Counters for health reporting. */
    public record Stats(long samples, long windows, long droppedSamples, long rejectedBlocks,
            String lastRejection) {
    }

    private final MeterSpec spec;
    private final int elements;
    private final double sampleRate;
    private final double dt;
    private final EnergyRegister register;
    private final Listener listener;
    private final AlarmMonitor alarms;

    private final ElementSums[] window;
    private final ElementSums[] segment;
    private final double[] gainV;
    private final double[] gainI;
    /** -1 where exactly one of the element's channels is wired backwards: P and Q change sign. */
    private final double[] polarity;
    private final double[] clipV;
    private final double[] clipI;
    /** Voltage delay minus current delay, in samples, per element: |delta| <= 1. */
    private final double[] delta;
    /**
     * Raw magnitudes no real sample can have: just past the converter's full scale, or ten
     * times the rated peak for a source that cannot clip. One corrupted sample past these
     * (an SPI glitch, a wrong scale) would otherwise put megawatt-hours in the register.
     */
    private final double[] plausibleV;
    private final double[] plausibleI;
    private final double[] prevV;
    private final double[] prevI;
    private final double[] prev2V;
    private final double[] prev2I;
    private final double[] offsetV;
    private final double[] offsetI;
    private final ElementConditions elementConditions;
    private final double[] windowJoules;
    private final double hysteresis;
    private final int maxWindowSamples;

    private double[] cos = new double[0];
    private double[] sin = new double[0];
    private double oscRe = 1;
    private double oscIm = 0;
    private double stepRe;
    private double stepIm;
    private double frequency = Double.NaN;

    private long nextIndex = -1;
    private long windowStart;
    private int windowSamples;
    private boolean synced;
    private boolean armed;
    private int crossings;
    private long startCrossingIndex;
    private double startCrossingFraction;
    /** False until a synchronised window has measured the channels' DC offsets. */
    private boolean offsetsKnown;
    /**
     * Samples before the very first zero crossing: their DC offset is not known yet (a part
     * cycle's mean is not its offset), so their energy waits for the first whole-cycle window.
     */
    private final ElementSums[] startup;
    private long startupSamples;
    private boolean gapSinceLastWindow;
    private boolean rejectedSinceLastWindow;

    private long samples;
    private long windows;
    private long droppedSamples;
    private long rejectedBlocks;
    private volatile String lastRejection = "";
    private volatile EnergySnapshot latestEnergy;
    private volatile Stats stats;

    public Metrology(MeterSpec spec, EnergyRegister register, Listener listener) {
        if (register.elements() != spec.elements()) {
            throw new IllegalArgumentException("register has " + register.elements()
                    + " elements, meter " + spec.elements());
        }
        this.spec = spec;
        this.elements = spec.elements();
        this.sampleRate = spec.sampleRate();
        this.dt = 1.0 / sampleRate;
        this.register = register;
        this.listener = listener;
        this.alarms = new AlarmMonitor(spec);
        this.window = new ElementSums[elements];
        this.segment = new ElementSums[elements];
        this.startup = new ElementSums[elements];
        this.gainV = new double[elements];
        this.gainI = new double[elements];
        this.polarity = new double[elements];
        this.clipV = new double[elements];
        this.clipI = new double[elements];
        this.delta = new double[elements];
        this.plausibleV = new double[elements];
        this.plausibleI = new double[elements];
        for (int e = 0; e < elements; e++) {
            window[e] = new ElementSums();
            segment[e] = new ElementSums();
            startup[e] = new ElementSums();
            ElementCalibration c = spec.calibration().get(e);
            gainV[e] = c.voltage().gain();
            gainI[e] = c.current().gain();
            polarity[e] = c.voltage().sign() * c.current().sign();
            clipV[e] = c.voltage().clipLevel();
            clipI[e] = c.current().clipLevel();
            delta[e] = c.relativeDelaySamples(sampleRate);
            plausibleV[e] = Math.min(clipV[e] * 1.01, 10 * Math.sqrt(2) * spec.maxVoltage() / gainV[e]);
            plausibleI[e] = Math.min(clipI[e] * 1.01, 10 * Math.sqrt(2) * spec.maxCurrent() / gainI[e]);
        }
        this.prevV = new double[elements];
        this.prevI = new double[elements];
        this.prev2V = new double[elements];
        this.prev2I = new double[elements];
        this.offsetV = new double[elements];
        this.offsetI = new double[elements];
        this.elementConditions = new ElementConditions(spec);
        this.windowJoules = new double[elements];
        // Arm the crossing detector only after the voltage has gone 10 % of nominal peak below
        // zero: noise around a zero crossing then cannot count as extra cycles.
        this.hysteresis = 0.1 * Math.sqrt(2) * spec.nominalVoltage() / gainV[0];
        // With no crossings (dead or absent voltage) a window still closes after twice its
        // nominal length, so readings and alarms keep flowing.
        this.maxWindowSamples = (int) Math.ceil(2.0 * spec.windowCycles() * sampleRate / spec.nominalFrequency());
        setOscillator(spec.nominalFrequency());
        this.latestEnergy = register.snapshot();
        publishStats();
    }

    @Override
    public MeterSpec spec() {
        return spec;
    }

    /** The register as of the last closed window: safe to read from any thread. */
    @Override
    public EnergySnapshot latestEnergy() {
        return latestEnergy;
    }

    @Override
    public Stats stats() {
        return stats;
    }

    /**
     * Meters one block. A block of the wrong shape, out of order, or holding a non-finite
     * sample is rejected and counted (from the bad sample on); it never throws.
     */
    public void process(SampleBlock block) {
        String problem = shapeProblem(block);
        if (problem != null) {
            reject(problem);
            return;
        }
        long first = block.firstIndex();
        if (nextIndex >= 0 && first != nextIndex) {
            if (first < nextIndex && nextIndex - first <= block.capacity()) {
                reject("block starts at sample " + first + ", before the expected " + nextIndex);
                return;
            }
            // A jump back by more than a block is a source that restarted its count: like a
            // gap, the window in progress is closed and metering resynchronises.
            if (first < nextIndex) {
                lastRejection = "source restarted its sample count at " + first + " (expected " + nextIndex + ")";
            } else {
                droppedSamples += first - nextIndex;
            }
            gapSinceLastWindow = true;
            closeEnergyOnly();
            resync();
        }
        int length = block.length();
        fillOscillator(length);
        double[] v0 = block.voltage(0);
        int pos = 0;
        while (pos < length) {
            int limit = Math.min(length, pos + (maxWindowSamples - windowSamples));
            int crossing = findCrossing(v0, pos, limit);
            int end = crossing >= 0 ? crossing : limit;
            if (end > pos && !accumulate(block, pos, end)) {
                // The rest of the block is unusable: the next block will see a gap here.
                reject("non-finite or implausible sample in block, samples " + (first + pos) + " to "
                        + (first + end - 1));
                nextIndex = first + pos;
                publishStats();
                return;
            }
            if (crossing >= 0) {
                onCrossing(block, crossing, first + crossing);
            } else if (windowSamples >= maxWindowSamples) {
                closeUnsynchronised();
            }
            pos = end;
        }
        samples += length;
        nextIndex = first + length;
        publishStats();
    }

    /**
     * Commits the energy of the window in progress (on a clean stop, so the last fraction of
     * a second is not lost). Call only when {@link #process} is not running; the next block,
     * if any, starts a new window.
     */
    @Override
    public void flush() {
        closeEnergyOnly();
        if (startupSamples > 0) {
            // Stopped before the first whole cycle or window: as for a window without crossings
            // (emitWindow), the samples' own mean is the best offset estimate. Zero offsets would
            // turn a stuck or dead front end's constant reading into energy (DC V x DC I).
            for (int e = 0; e < elements; e++) {
                if (startup[e].n > 0) {
                    offsetV[e] = startup[e].sv / startup[e].n;
                    offsetI[e] = startup[e].si / startup[e].n;
                }
            }
            commitStartup();
        }
        resync();
        publishStats();
    }

    private String shapeProblem(SampleBlock block) {
        if (block.elements() != elements) {
            return "block has " + block.elements() + " elements, meter has " + elements;
        }
        if (block.length() < 1 || block.length() > block.capacity()) {
            return "block length " + block.length() + " outside 1.." + block.capacity();
        }
        if (Math.abs(block.sampleRate() - sampleRate) > 1e-9 * sampleRate) {
            return "block sample rate " + block.sampleRate() + " Hz, meter expects " + sampleRate + " Hz";
        }
        if (block.firstIndex() < 0) {
            return "negative first sample index " + block.firstIndex();
        }
        return null;
    }

    private void reject(String why) {
        rejectedBlocks++;
        rejectedSinceLastWindow = true;
        lastRejection = why;
        publishStats();
    }

    /** Accumulates [from, to) of every element; false (and nothing added) if any sum is not finite. */
    private boolean accumulate(SampleBlock block, int from, int to) {
        for (int e = 0; e < elements; e++) {
            ElementSums seg = segment[e];
            seg.clear();
            seg.accumulate(block.voltage(e), block.current(e), cos, sin, from, to, prevV[e], prevI[e]);
            if (!seg.isFinite() || seg.maxAbsV > plausibleV[e] || seg.maxAbsI > plausibleI[e]) {
                return false;
            }
        }
        for (int e = 0; e < elements; e++) {
            window[e].add(segment[e]);
            double[] v = block.voltage(e);
            double[] i = block.current(e);
            if (to - from >= 2) {
                prev2V[e] = v[to - 2];
                prev2I[e] = i[to - 2];
            } else {
                prev2V[e] = prevV[e];
                prev2I[e] = prevI[e];
            }
            prevV[e] = v[to - 1];
            prevI[e] = i[to - 1];
        }
        windowSamples += to - from;
        return true;
    }

    private int findCrossing(double[] v, int from, int to) {
        double offset = offsetV[0];
        double h = hysteresis;
        boolean a = armed;
        for (int k = from; k < to; k++) {
            double x = v[k] - offset;
            if (a) {
                if (x >= 0) {
                    armed = true;
                    return k;
                }
            } else if (x < -h) {
                a = true;
            }
        }
        armed = a;
        return -1;
    }

    /** A rising zero crossing lies between sample k-1 (already in the window) and sample k. */
    private void onCrossing(SampleBlock block, int k, long index) {
        armed = false;
        double x = block.voltage(0)[k] - offsetV[0];
        double xPrev = prevV[0] - offsetV[0];
        // Fraction of the interval [k-1, k) that lies after the crossing.
        double after = x / (x - xPrev);
        if (!synced) {
            moveBoundaryFraction(after, () -> closeEnergyOnly());
            synced = true;
            crossings = 0;
        } else if (++crossings == spec.windowCycles()) {
            long startIdx = startCrossingIndex;
            double startFrac = startCrossingFraction;
            moveBoundaryFraction(after, () -> closeSynchronised(startIdx, startFrac, index, after));
            crossings = 0;
        } else {
            return;
        }
        startCrossingIndex = index;
        startCrossingFraction = after;
    }

    /**
     * Takes the part of sample k-1 that lies after the crossing out of the closing window,
     * closes it, and starts the next window with that part.
     */
    private void moveBoundaryFraction(double after, Runnable close) {
        for (int e = 0; e < elements; e++) {
            window[e].addFraction(-after, prevV[e], prevI[e], prev2V[e], prev2I[e]);
        }
        close.run();
        for (int e = 0; e < elements; e++) {
            window[e].addFraction(after, prevV[e], prevI[e], prev2V[e], prev2I[e]);
        }
    }

    private void closeSynchronised(long startIdx, double startFrac, long endIdx, double endFrac) {
        double cycleSamples = (endIdx - startIdx) - (endFrac - startFrac);
        double f = spec.windowCycles() * sampleRate / cycleSamples;
        for (int e = 0; e < elements; e++) {
            ElementSums s = window[e];
            offsetV[e] = s.sv / s.n;
            offsetI[e] = s.si / s.n;
        }
        offsetsKnown = true;
        commitStartup();
        frequency = f;
        emitWindow(true, f);
        setOscillator(f);
    }

    private void closeUnsynchronised() {
        emitWindow(false, Double.NaN);
        synced = false;
        crossings = 0;
    }

    /** Energy only: the samples before the first crossing, or before a gap. */
    private void closeEnergyOnly() {
        if (!offsetsKnown) {
            for (int e = 0; e < elements; e++) {
                startup[e].add(window[e]);
            }
            startupSamples += windowSamples;
        } else if (window[0].n > 0) {
            commitEnergy(window, windowSamples);
        }
        resetWindow();
    }

    private void commitStartup() {
        if (startupSamples > 0) {
            commitEnergy(startup, startupSamples);
            for (ElementSums s : startup) {
                s.clear();
            }
            startupSamples = 0;
        }
    }

    private void resync() {
        synced = false;
        armed = false;
        crossings = 0;
        for (int e = 0; e < elements; e++) {
            prevV[e] = prevI[e] = prev2V[e] = prev2I[e] = 0;
        }
    }

    private void resetWindow() {
        for (ElementSums s : window) {
            s.clear();
        }
        windowStart += windowSamples;
        windowSamples = 0;
    }


    /**
     * Sum over the window of v*i with DC removed and the V/I delay applied. Delaying one
     * channel by a fraction d of a sample uses the interpolation that is exact for a sinusoid
     * at the line frequency: x(k-d) = [sin((1-d)w) x(k) + sin(d w) x(k-1)] / sin(w), with w the
     * line frequency in radians per sample. Plain linear interpolation would also attenuate
     * the delayed channel by up to 0.03 % at 8 kHz.
     */
    private double activeSum(int e, ElementSums s) {
        double ov = offsetV[e];
        double oi = offsetI[e];
        double direct = ElementSums.centred(s.svi, s.sv, s.si, s.n, ov, oi);
        double d = delta[e];
        if (d == 0) {
            return direct;
        }
        double lagged = ElementSums.centred(d > 0 ? s.svLagVi : s.sviLagI, s.sv, s.si, s.n, ov, oi);
        double w = 2 * Math.PI * lineFrequencyForDelay() / sampleRate;
        double ad = Math.abs(d);
        double sw = Math.sin(w);
        return (Math.sin((1 - ad) * w) * direct + Math.sin(ad * w) * lagged) / sw;
    }

    private double lineFrequencyForDelay() {
        return Double.isNaN(frequency) ? spec.nominalFrequency() : frequency;
    }

    /** Applies the creep gate and adds the energy of {@code sums} to the register. */
    private void commitEnergy(ElementSums[] sums, long sampleCount) {
        double creep = spec.creepPowerWatts();
        for (int e = 0; e < elements; e++) {
            double joules = activeSum(e, sums[e]) * polarity[e] * gainV[e] * gainI[e] * dt;
            double seconds = sums[e].n * dt;
            windowJoules[e] = seconds > 0 && Math.abs(joules / seconds) >= creep ? joules : 0;
        }
        register.add(windowJoules, sampleCount);
        latestEnergy = register.snapshot();
    }

    private void emitWindow(boolean isSynced, double f) {
        if (!offsetsKnown) {
            // No crossing yet (dead or DC line): the long window's own mean is the best estimate.
            for (int e = 0; e < elements; e++) {
                offsetV[e] = window[e].sv / window[e].n;
                offsetI[e] = window[e].si / window[e].n;
            }
        }
        long start = windowStart;
        double seconds = window[0].n * dt;
        List<ElementReading> readings = new ArrayList<>(elements);
        double p = 0;
        double q = 0;
        double s = 0;
        for (int e = 0; e < elements; e++) {
            ElementReading r = reading(e, isSynced, seconds);
            readings.add(r);
            p += r.power();
            q += r.reactive();
            s += r.apparent();
        }
        commitStartup();
        commitEnergy(window, windowSamples);
        resetWindow();
        windows++;
        Set<Condition> meterConditions = EnumSet.noneOf(Condition.class);
        if (isSynced && Math.abs(f - spec.nominalFrequency()) > spec.frequencyTolerance() * spec.nominalFrequency()) {
            meterConditions.add(Condition.FREQUENCY_OFF_NOMINAL);
        }
        if (!isSynced) {
            meterConditions.add(Condition.NO_ZERO_CROSSING);
        }
        if (gapSinceLastWindow) {
            meterConditions.add(Condition.SAMPLE_GAP);
            gapSinceLastWindow = false;
        }
        if (rejectedSinceLastWindow) {
            meterConditions.add(Condition.BAD_BLOCK);
            rejectedSinceLastWindow = false;
        }
        Measurement m = new Measurement(start, seconds, f, isSynced, readings, p, q, s,
                s > 0 ? p / s : 0, meterConditions, latestEnergy);
        listener.onMeasurement(m);
        for (AlarmEvent event : alarms.update(m)) {
            listener.onAlarm(event);
        }
    }

    private ElementReading reading(int e, boolean isSynced, double seconds) {
        ElementSums sums = window[e];
        double n = sums.n;
        double ov = offsetV[e];
        double oi = offsetI[e];
        double vv = ElementSums.centred(sums.svv, sums.sv, sums.sv, n, ov, ov) / n;
        double ii = ElementSums.centred(sums.sii, sums.si, sums.si, n, oi, oi) / n;
        double vrms = gainV[e] * Math.sqrt(Math.max(0, vv));
        double irms = gainI[e] * Math.sqrt(Math.max(0, ii));
        double power = activeSum(e, sums) * polarity[e] * gainV[e] * gainI[e] / n;
        double apparent = vrms * irms;
        double pf = apparent > 0 ? power / apparent : 0;
        double nonActive = Math.sqrt(Math.max(0, apparent * apparent - power * power));
        double reactive = fundamentalReactive(e, sums);
        Set<Condition> conditions = elementConditions.of(e, vrms, irms, power, seconds, isSynced);
        if (sums.maxAbsV >= clipV[e] || sums.maxAbsI >= clipI[e]) {
            conditions.add(Condition.CLIPPING);
        }
        return new ElementReading(vrms, irms, power, reactive, apparent, nonActive, pf, conditions);
    }

    /**
     * Q1 = V1 I1 sin(theta1) from the fundamental phasors (IEEE 1459): with
     * V = (2/m) sum v e^{-jwk} and I likewise, V conj(I) / 2 = V1 I1 e^{j theta1}, and the
     * V/I delay correction is a rotation by e^{-jw delta}.
     */
    private double fundamentalReactive(int e, ElementSums s) {
        if (s.m == 0) {
            return 0;
        }
        double scale = 2.0 / s.m;
        double vr = s.vCos * scale;
        double vi = -s.vSin * scale;
        double ir = s.iCos * scale;
        double ii = -s.iSin * scale;
        // V * conj(I)
        double zr = vr * ir + vi * ii;
        double zi = vi * ir - vr * ii;
        double rot = -2 * Math.PI * lineFrequencyForDelay() / sampleRate * delta[e];
        double im = zr * Math.sin(rot) + zi * Math.cos(rot);
        return 0.5 * im * polarity[e] * gainV[e] * gainI[e];
    }

    private void setOscillator(double f) {
        double w = 2 * Math.PI * f / sampleRate;
        stepRe = Math.cos(w);
        stepIm = Math.sin(w);
    }

    /** The reference oscillator e^{jwk} for this block, continuing the phase of the last one. */
    private void fillOscillator(int length) {
        if (cos.length < length) {
            cos = new double[length];
            sin = new double[length];
        }
        double re = oscRe;
        double im = oscIm;
        for (int k = 0; k < length; k++) {
            cos[k] = re;
            sin[k] = im;
            double r = re * stepRe - im * stepIm;
            im = re * stepIm + im * stepRe;
            re = r;
        }
        // Rotation by multiplication drifts in magnitude by ~1e-16 per step: renormalise.
        double mag = Math.hypot(re, im);
        oscRe = re / mag;
        oscIm = im / mag;
    }

    private void publishStats() {
        stats = new Stats(samples, windows, droppedSamples, rejectedBlocks, lastRejection);
    }
}
