package org.minimeter.gateway.hal.simulator;

import java.util.List;

/**
 * Everything the waveform simulator can vary. Build with {@link #builder(int, int, double)}.
 *
 * @param nominalFrequency 50 or 60: sets the nominal voltage and the ADC voltage range
 * @param lineFrequency the simulated line frequency (may be off nominal, e.g. 59.93 Hz)
 * @param voltage line-to-neutral volts rms per element
 * @param phaseDeg current lag behind voltage in degrees (negative: leading; 90..270: export)
 * @param adcBits 0 for ideal (unquantised, unclipped) samples, else the converter resolution
 * @param noiseLsb Gaussian noise rms added before quantisation, in LSB of the converter
 * @param skewMicros how much later the current is converted than the voltage (a multiplexed
 *     ADC's sequencing delay)
 * @param correctSkew whether the front end declares the skew as a current channel delay so
 *     that the metering corrects it (a real driver knows its own sequencing)
 * @param dcOffsetLsb a DC offset on every channel, in LSB (or raw units when ideal)
 * @param speed simulated seconds per wall-clock second
 * @param blockSize samples per block
 */
public record SimulatorSettings(
        double sampleRate,
        int elements,
        int nominalFrequency,
        double ctRating,
        double lineFrequency,
        double voltage,
        LoadProfile load,
        double phaseDeg,
        List<Harmonic> harmonics,
        int adcBits,
        double noiseLsb,
        double skewMicros,
        boolean correctSkew,
        double dcOffsetLsb,
        double speed,
        int blockSize,
        long seed) {

    public SimulatorSettings {
        harmonics = List.copyOf(harmonics);
        if (elements < 1 || elements > 2) {
            throw new IllegalArgumentException("elements must be 1 or 2, was " + elements);
        }
        if (!(sampleRate > 0) || !(lineFrequency > 0) || !(voltage >= 0) || !(speed > 0) || blockSize < 1) {
            throw new IllegalArgumentException("invalid simulator settings: " + this);
        }
        if (adcBits != 0 && (adcBits < 8 || adcBits > 24)) {
            throw new IllegalArgumentException("adcBits must be 0 (ideal) or 8..24, was " + adcBits);
        }
    }

    public static Builder builder(int nominalFrequency, int elements, double ctRating) {
        return new Builder(nominalFrequency, elements, ctRating);
    }

    /** Peak line volts at ADC full scale: room for +15 % over the top of the supply band. */
    public double voltageFullScale() {
        return nominalFrequency == 60 ? 250.0 : 500.0;
    }

    /**
     * Peak primary amps at ADC full scale: a +-0.5 V converter across the 3 ohm burden is
     * 0.1667 A secondary peak, i.e. 1.667 x the CT primary rating; rated current + 10 % (an
     * rms of 1.1 x rating, 1.556 x rating peak) fits with about 7 % to spare.
     */
    public double currentFullScale() {
        return ctRating * (0.5 / 3.0) / 0.1;
    }

    public static final class Builder {
        private final int nominalFrequency;
        private final int elements;
        private final double ctRating;
        private double sampleRate = 8000;
        private double lineFrequency;
        private double voltage;
        private LoadProfile load;
        private double phaseDeg;
        private List<Harmonic> harmonics = List.of();
        private int adcBits;
        private double noiseLsb;
        private double skewMicros;
        private boolean correctSkew = true;
        private double dcOffsetLsb;
        private double speed = 1;
        private int blockSize = -1;
        private long seed = 1;

        private Builder(int nominalFrequency, int elements, double ctRating) {
            this.nominalFrequency = nominalFrequency;
            this.elements = elements;
            this.ctRating = ctRating;
            this.lineFrequency = nominalFrequency;
            this.voltage = nominalFrequency == 60 ? 120 : 240;
            this.load = LoadProfile.household(ctRating);
        }

        public Builder sampleRate(double v) {
            sampleRate = v;
            return this;
        }

        public Builder lineFrequency(double v) {
            lineFrequency = v;
            return this;
        }

        public Builder voltage(double v) {
            voltage = v;
            return this;
        }

        public Builder current(double amps) {
            load = LoadProfile.constant(amps);
            return this;
        }

        public Builder load(LoadProfile v) {
            load = v;
            return this;
        }

        public Builder phaseDeg(double v) {
            phaseDeg = v;
            return this;
        }

        public Builder harmonics(List<Harmonic> v) {
            harmonics = v;
            return this;
        }

        /** 12-bit converter, 0.5 LSB rms noise and 20 us V-to-I skew: a cheap real front end. */
        public Builder realisticFrontEnd() {
            adcBits = 12;
            noiseLsb = 0.5;
            skewMicros = 20;
            return this;
        }

        public Builder adcBits(int v) {
            adcBits = v;
            return this;
        }

        public Builder noiseLsb(double v) {
            noiseLsb = v;
            return this;
        }

        public Builder skewMicros(double v) {
            skewMicros = v;
            return this;
        }

        public Builder correctSkew(boolean v) {
            correctSkew = v;
            return this;
        }

        public Builder dcOffsetLsb(double v) {
            dcOffsetLsb = v;
            return this;
        }

        public Builder speed(double v) {
            speed = v;
            return this;
        }

        public Builder blockSize(int v) {
            blockSize = v;
            return this;
        }

        public Builder seed(long v) {
            seed = v;
            return this;
        }

        public SimulatorSettings build() {
            int block = blockSize > 0 ? blockSize : (int) Math.max(1, Math.round(sampleRate / 20));
            return new SimulatorSettings(sampleRate, elements, nominalFrequency, ctRating, lineFrequency,
                    voltage, load, phaseDeg, harmonics, adcBits, noiseLsb, skewMicros, correctSkew,
                    dcOffsetLsb, speed, block, seed);
        }
    }
}
