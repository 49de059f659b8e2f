package org.minimeter.gateway.sparkplug;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** A session in memory: records what is published and lets a test connect, drop and command. */
final class MemoryTransport implements Transport {

    record Sent(String topic, byte[] payload) {
        SparkplugWire.Payload decoded() {
            return SparkplugWire.decode(payload);
        }

        String type() {
            return topic.split("/")[2];
        }
    }

    final List<Sent> sent = new ArrayList<>();
    final List<byte[]> wills = new ArrayList<>();
    final List<byte[]> deaths = new ArrayList<>();
    Events events;
    String willTopic;
    List<String> subscriptions;
    boolean connected;
    boolean closed;

    @Override
    public void start(String willTopic, List<String> subscriptions, Events events) {
        this.willTopic = willTopic;
        this.subscriptions = subscriptions;
        this.events = events;
    }

    /** A CONNECT (with a fresh will) that the broker accepts. */
    void connect() {
        wills.add(events.nextWill());
        connected = true;
        events.connected();
    }

    /** The connection is lost: the broker would publish the last will. */
    void drop() {
        connected = false;
        events.disconnected("test: connection lost");
    }

    void deliver(String topic, byte[] payload) {
        events.message(topic, payload);
    }

    List<Sent> sent(String type) {
        return sent.stream().filter(s -> s.type().equals(type)).toList();
    }

    @Override
    public boolean isConnected() {
        return connected;
    }

    @Override
    public CompletableFuture<Void> publish(String topic, byte[] payload) {
        if (!connected) {
            return CompletableFuture.failedFuture(new IllegalStateException("not connected"));
        }
        sent.add(new Sent(topic, payload));
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void restart(byte[] death) {
        deaths.add(death);
        connected = false;
        events.disconnected("test: restarted by the edge node");
    }

    @Override
    public void close(byte[] death) {
        deaths.add(death);
        connected = false;
        closed = true;
    }
}
