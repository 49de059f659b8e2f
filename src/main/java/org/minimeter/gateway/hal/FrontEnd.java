package org.minimeter.gateway.hal;

import java.util.List;
import org.minimeter.gateway.metering.ElementCalibration;

/**
 * What a waveform source delivers: its sample rate and, per element, how its raw units map
 * to line volts and amps (gain, channel delay, clip level).
 */
public record FrontEnd(double sampleRate, List<ElementCalibration> calibration) {

    public FrontEnd {
        calibration = List.copyOf(calibration);
    }

    public int elements() {
        return calibration.size();
    }
}
