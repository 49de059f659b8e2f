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

    Gpio gpio();

    /** Digital outputs: which backend drives them and on which BCM GPIO numbers. */
    interface Gpio {
        /**
         * {@code auto} (gpiod on a Raspberry Pi, Pi4J's mock provider elsewhere), {@code gpiod},
         * {@code linuxfs}, {@code mock} (Pi4J's in-memory provider) or {@code simulated}
         * (in-memory lines without Pi4J).
         */
        @WithDefault("auto")
        String provider();

        @WithDefault("17")
        int pulse10();

        @WithDefault("27")
        int pulse100();

        @WithDefault("22")
        int pulse1000();

        @WithDefault("23")
        int counter();
    }
}
