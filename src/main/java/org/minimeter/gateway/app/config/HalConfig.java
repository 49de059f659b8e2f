package org.minimeter.gateway.app.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** {@code hal.*}: which waveform source feeds the metering. */
@ConfigMapping(prefix = "hal")
public interface HalConfig {

    /** {@code simulator} (the default), {@code replay}, {@code mcp3208}, {@code mcp3008}, {@code ads131m04}, {@code atm90e32}. */
    @WithDefault("simulator")
    String source();

    /** Samples are handed to the metering in blocks of this many milliseconds. */
    @WithDefault("50")
    int blockMs();

    Gpio gpio();

    /**
     * BCM GPIO of a power-fail signal from a UPS or supercap board (low: the supply is
     * failing), read through {@code hal.gpio.provider}; every register is saved when it falls.
     */
    java.util.Optional<Integer> powerFailPin();

    /** {@code hal.spi.*}: the SPI provider for the whole gateway, and each meter's device by default. */
    Spi spi();

    /** {@code hal.frontend.*}: every SPI meter's board unless {@code meters.<id>.frontend.*} says otherwise. */
    SpiSource.Board frontend();

    /** {@code hal.ads131m04.*}, inherited as {@code meters.<id>.ads131m04.*}. */
    SpiSource.Ads131m04 ads131m04();

    /** {@code hal.atm90e32.*}, inherited as {@code meters.<id>.atm90e32.*}. */
    SpiSource.Atm90e32 atm90e32();

    /** The SPI provider (gateway-wide) and the device a meter uses unless it names its own. */
    interface Spi {
        /** {@code auto} (linuxfs), {@code linuxfs} (/dev/spidev*) or {@code mock} (Pi4J's in-memory provider). */
        @WithDefault("auto")
        String provider();

        @WithDefault("0")
        int bus();

        @WithDefault("0")
        int chipSelect();

        /** Unset: the chip's own default. */
        java.util.Optional<Integer> clockHz();
    }

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
