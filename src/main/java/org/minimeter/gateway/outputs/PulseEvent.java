package org.minimeter.gateway.outputs;

import java.time.Instant;

/**
 * One completed pulse of an output (SPEC.md section 4).
 *
 * @param output {@code pulse10}, {@code pulse100}, {@code pulse1000} or {@code counter}
 * @param wh the output's quantum
 * @param seq per output, +1 per pulse, continuous across restarts
 * @param ts when the register that completed it became durable
 */
public record PulseEvent(String output, long wh, long seq, Instant ts) {
}
