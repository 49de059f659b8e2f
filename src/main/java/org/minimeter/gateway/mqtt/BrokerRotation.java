package org.minimeter.gateway.mqtt;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.minimeter.gateway.mqtt.MqttSettings.Broker;

/**
 * Which broker the link tries next, and how long it waits first: the brokers in turn, in the
 * order configured, wrapping around to the first, with a backoff that doubles per full round
 * (1 s to 30 s). Every failure, a lost connection or a refused attempt, moves to the next
 * broker, so a cluster node that dies is left at once for a live one and a node that comes
 * back is used again when the turn comes round to it. With one broker this is the backoff
 * the link always had: 1 s, doubling per failed attempt, at most 30 s.
 *
 * <p>A timed return to the first broker while another one works is deliberately not done:
 * the nodes of one cluster are equal, and every move drops the connection (QoS 1 messages in
 * flight are sent again, power readings meanwhile are lost).
 */
final class BrokerRotation {

    static final long INITIAL_DELAY_MS = 1000;
    static final long MAX_DELAY_MS = 30_000;

    private final List<Broker> brokers;
    private int index;
    /** Failures since the last successful connect (the first connect counts as one). */
    private int failures;

    BrokerRotation(List<Broker> brokers) {
        if (brokers.isEmpty()) {
            throw new IllegalArgumentException("no broker");
        }
        this.brokers = List.copyOf(brokers);
    }

    int size() {
        return brokers.size();
    }

    /** The broker connected to, or being tried. */
    synchronized Broker current() {
        return brokers.get(index);
    }

    /** A connect succeeded: the backoff starts again from its initial delay. */
    synchronized void connected() {
        failures = 0;
    }

    /**
     * The current broker failed (connection lost or attempt refused): moves to the next one
     * and returns it with the delay before trying it.
     */
    synchronized Next failed() {
        long delay = delayMs(failures, brokers.size());
        failures++;
        index = (index + 1) % brokers.size();
        return new Next(brokers.get(index), delay);
    }

    /** Base delay (before jitter) after {@code failures} earlier failures among {@code brokers} brokers. */
    static long delayMs(int failures, int brokers) {
        int round = Math.min(failures / brokers, 16);
        return Math.min(INITIAL_DELAY_MS << round, MAX_DELAY_MS);
    }

    /** The broker to try next and the delay before it, in milliseconds. */
    record Next(Broker broker, long delayMs) {
        long delay(TimeUnit unit) {
            return unit.convert(delayMs, TimeUnit.MILLISECONDS);
        }
    }
}
