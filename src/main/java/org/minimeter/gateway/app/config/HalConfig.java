package org.minimeter.gateway.app.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** {@code hal.*}: which waveform source feeds the metering. */
@ConfigMapping(prefix = "hal")
public interface HalConfig {

    /** {@code simulator} (the default), later {@code replay} or a hardware front end. */
    @WithDefault("simulator")
    String source();

    /** Samples are handed to the metering in blocks of this many milliseconds. */
    @WithDefault("50")
    int blockMs();
}
