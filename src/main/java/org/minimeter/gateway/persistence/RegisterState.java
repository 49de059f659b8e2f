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
 * @param counterWh the counter quantum the backlog is counted in; 0 when not recorded
 */
public record RegisterState(long generation, Instant savedAt, EnergySnapshot energy,
        Map<String, Long> sequences, long counterBacklog, long counterWh) {

    public RegisterState {
        sequences = Map.copyOf(new TreeMap<>(sequences));
        if (generation < 0 || counterBacklog < 0 || counterWh < 0) {
            throw new IllegalArgumentException("generation and backlog must be >= 0");
        }
        sequences.forEach((k, v) -> {
            if (!k.matches("[a-z0-9]+") || v < 0) {
                throw new IllegalArgumentException("bad sequence " + k + "=" + v);
            }
        });
    }

    /** A state whose counter quantum is not recorded. */
    public RegisterState(long generation, Instant savedAt, EnergySnapshot energy, Map<String, Long> sequences,
            long counterBacklog) {
        this(generation, savedAt, energy, sequences, counterBacklog, 0);
    }

    /** The state of a meter that has never run. */
    public static RegisterState empty(int elements) {
        return new RegisterState(0, Instant.EPOCH, EnergySnapshot.zero(elements), Map.of(), 0);
    }

    /**
     * The same state counted in counter steps of {@code wh}. Steps still owed in another
     * quantum are converted by the energy they stand for (whole new steps; the remainder,
     * under one new step, is returned by {@link #counterRemainderWh}). Without this, changing
     * {@code outputs.counter.wh} from 100 to 1000 with 5 steps owed would drive 5 kWh.
     */
    public RegisterState withCounterQuantum(long wh) {
        if (wh <= 0) {
            throw new IllegalArgumentException("counter quantum must be positive");
        }
        if (counterWh == 0 || counterWh == wh) {
            return new RegisterState(generation, savedAt, energy, sequences, counterBacklog, wh);
        }
        return new RegisterState(generation, savedAt, energy, sequences, counterBacklog * counterWh / wh, wh);
    }

    /** Energy owed to the counter that {@link #withCounterQuantum} cannot express in whole steps. */
    public long counterRemainderWh(long wh) {
        return counterWh == 0 || counterWh == wh ? 0 : counterBacklog * counterWh % wh;
    }

    public long sequence(String output) {
        return sequences.getOrDefault(output, 0L);
    }

    public RegisterState next(Instant at, EnergySnapshot energy, Map<String, Long> sequences, long backlog) {
        return new RegisterState(generation + 1, at, energy, sequences, backlog, counterWh);
    }
}
