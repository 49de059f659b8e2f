package org.minimeter.gateway.metering;

/**
 * What the rest of the gateway needs from a meter's metering, whatever computes it: the
 * energy register as of the last closed measurement, counters for health, and a final
 * commit on a clean stop. Readings and alarms reach a {@link Metrology.Listener}.
 *
 * <p>{@link Metrology} is the engine for sampled waveforms (it integrates v x i itself). A
 * front end that computes energy in silicon (an energy-metering IC with read-and-clear
 * energy registers) implements this beside it and adds what it reads to its own
 * {@link EnergyRegister}, so that energy lands in the same register, pulses and MQTT.
 *
 * <p>Not thread-safe for its inputs: one thread at a time feeds an engine; the accessors
 * return immutable snapshots readable from any thread.
 */
public interface MeteringEngine {

    MeterSpec spec();

    /** The register as of the last closed measurement: safe to read from any thread. */
    EnergySnapshot latestEnergy();

    Metrology.Stats stats();

    /** Commits the measurement in progress (clean stop); call only when nothing feeds the engine. */
    void flush();
}
