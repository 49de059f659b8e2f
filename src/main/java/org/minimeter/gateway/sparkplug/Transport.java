package org.minimeter.gateway.sparkplug;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The edge node's own MQTT session, as the edge node needs it: a will that changes with every
 * CONNECT, subscriptions made before the session counts as established, QoS 0 publishing, and
 * a way to end the session with its death certificate. The gateway implements it over the
 * HiveMQ client ({@code mqtt.SparkplugLink}); tests implement it in memory.
 */
public interface Transport {

    /** What the session tells the edge node. Called on the transport's threads: do not block. */
    interface Events {
        /** Before every CONNECT, the first and each retry: the NDEATH to register as its will. */
        byte[] nextWill();

        /** Connected, and every subscription acknowledged. */
        void connected();

        void disconnected(String reason);

        void message(String topic, byte[] payload);
    }

    /** Starts connecting in the background (clean session, will from {@link Events#nextWill()}). */
    void start(String willTopic, List<String> subscriptions, Events events);

    boolean isConnected();

    /** QoS 0, not retained; completes once handed to the connection, fails if there is none. */
    CompletableFuture<Void> publish(String topic, byte[] payload);

    /** Publishes {@code death} (or has the broker do it), disconnects, and connects again. */
    void restart(byte[] death);

    /** Publishes {@code death} (or has the broker do it) and disconnects for good. */
    void close(byte[] death);
}
