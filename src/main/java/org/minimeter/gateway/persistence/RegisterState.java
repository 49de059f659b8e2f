package org.minimeter.gateway.persistence;

import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import org.minimeter.gateway.metering.EnergySnapshot;

/**
 * What a meter must not lose: the energy register, the last pulse sequence number of every
 * output, and the counter pulses still owed to the electromechanical counter.
 *
 * @param generation increases by one with every save; the newest valid generation wins
 * @param sequences output name ({@code pulse10}, {@code pulse100}, {@code pulse1000},
 *     {@code counter}) to the seq of its last pulse
 */
public record RegisterState(long generation, Instant savedAt, EnergySnapshot energy,
        Map<String, Long> sequences, long counterBacklog) {

    public RegisterState {
        sequences = Map.copyOf(new TreeMap<>(sequences));
        if (generation < 0 || counterBacklog < 0) {
            throw new IllegalArgumentException("generation and backlog must be >= 0");
        }
        sequences.forEach((k, v) -> {
            if (!k.matches("[a-z0-9]+") || v < 0) {
                throw new IllegalArgumentException("bad sequence " + k + "=" + v);
            }
        });
    }

    /** The state of a meter that has never run. */
    public static RegisterState empty(int elements) {
        return new RegisterState(0, Instant.EPOCH, EnergySnapshot.zero(elements), Map.of(), 0);
    }

    public long sequence(String output) {
        return sequences.getOrDefault(output, 0L);
    }

    public RegisterState next(Instant at, EnergySnapshot energy, Map<String, Long> sequences, long backlog) {
        return new RegisterState(generation + 1, at, energy, sequences, backlog);
    }
}
