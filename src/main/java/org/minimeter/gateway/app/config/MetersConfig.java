package org.minimeter.gateway.app.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithParentName;
import java.util.Map;
import java.util.Optional;

/**
 * {@code meters.<id>.*}: named meters (SPEC.md section 5), one root holding a map of groups
 * like Quarkus' named datasources. Every key is optional: unset, it takes the flat key's value
 * ({@code meters.house.frequency} unset takes {@code meter.frequency}). No {@code meters.*} key
 * at all: the flat keys define the one meter {@code meter.id}.
 */
@ConfigMapping(prefix = "meters")
public interface MetersConfig {

    @WithParentName
    Map<String, MeterEntry> meters();

    /** One meter's keys; the names after {@code meters.<id>.}. */
    interface MeterEntry {

        Optional<Integer> frequency();

        Optional<Integer> elements();

        Optional<Integer> ctRating();

        Optional<Integer> sampleRate();

        Optional<Integer> windowCycles();

        Optional<Double> creepFraction();

        Optional<Double> frequencyTolerancePct();

        Optional<Double> ctReversedSeconds();

        /** Channels wired backwards; unset: {@code meter.invert}. */
        Optional<java.util.List<String>> invert();

        /** Which provider delivers the samples; unset: {@code hal.source}. */
        Optional<String> source();

        /** Unset: {@code hal.block-ms}. */
        Optional<Integer> blockMs();

        /** The simulator's keys, owned by {@link SimulatorSource}. */
        SimulatorSource.Keys simulator();

        /** The replay source's keys, owned by {@link ReplaySource}. */
        ReplaySource.Keys replay();

        /** SPI device of a hardware front end; unset keys: {@code hal.spi.*}. Owned by {@link SpiSource}. */
        SpiSource.Spi spi();

        /** The board's analogue side; unset keys: {@code hal.frontend.*}. */
        SpiSource.Board frontend();

        /** Unset keys: {@code hal.ads131m04.*}. */
        SpiSource.Ads131m04 ads131m04();

        /** Unset keys: {@code hal.atm90e32.*}. */
        SpiSource.Atm90e32 atm90e32();

        Storage storage();

        /**
         * Physical outputs: all four pins or none. Never inherited from {@code hal.gpio.*}: two
         * meters cannot drive one line.
         */
        Gpio gpio();

        /** This meter on the Modbus server; checked by {@link ModbusSetup}. */
        Modbus modbus();
    }

    interface Modbus {
        /** 1-247, unique in the gateway; unset: the lowest free id from 1, in meter order. */
        Optional<Integer> unitId();
    }

    interface Storage {
        /** Parent of this meter's register directory {@code <dir>/<id>}; unset: {@code storage.dir}. */
        Optional<String> dir();

        Seed seed();
    }

    /** Same meaning as {@code storage.seed.*}, per meter. */
    interface Seed {
        Optional<String> id();

        Optional<Double> deliveredKwh();

        Optional<Double> receivedKwh();

        Optional<Boolean> allowDecrease();
    }

    interface Gpio {
        Optional<Integer> pulse10();

        Optional<Integer> pulse100();

        Optional<Integer> pulse1000();

        Optional<Integer> counter();
    }
}
