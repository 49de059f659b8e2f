package org.minimeter.gateway.metering;

/** Calibration of one metering element: its voltage channel and its CT channel. */
public record ElementCalibration(ChannelCalibration voltage, ChannelCalibration current) {

    /**
     * How many samples the voltage must be delayed relative to the current so that both
     * describe the same instant (negative: the current is delayed instead).
     */
    double relativeDelaySamples(double sampleRate) {
        return (voltage.delayMicros() - current.delayMicros()) * 1e-6 * sampleRate;
    }
}
