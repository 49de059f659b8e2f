package org.minimeter.gateway.sparkplug;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.minimeter.gateway.mqtt.testing.MosquittoPub;
import org.minimeter.gateway.mqtt.testing.MosquittoSub;
import org.minimeter.gateway.mqtt.testing.MqttClientOptions;

/**
 * An independent subscriber for binary payloads: a {@code mosquitto_sub} process printing each
 * message as {@code retain qos topic hex-payload}, so protobuf bytes arrive intact (the JSON
 * helper {@link MosquittoSub} turns payloads into text). Returns from {@link #start} only once
 * its subscription is active (a probe it published came back).
 */
public final class SparkplugSub implements AutoCloseable {

    /** One message as received, with the subscriber's wall time. */
    public record Message(String topic, byte[] payload, boolean retained, int qos, long receivedMillis) {

        public SparkplugWire.Payload decoded() {
            return SparkplugWire.decode(payload);
        }

        /** NBIRTH, DDATA, ..., or STATE. */
        public String type() {
            String[] t = topic.split("/");
            return t[1].equals("STATE") ? "STATE" : t[2];
        }

        public String device() {
            String[] t = topic.split("/");
            return t.length > 4 ? t[4] : "";
        }

        @Override
        public String toString() {
            return topic + " (" + payload.length + " bytes, q" + qos + (retained ? ", retained" : "") + ")";
        }
    }

    private final Process process;
    private final String probe;
    private final List<Message> messages = new ArrayList<>();
    private volatile boolean probeSeen;

    private SparkplugSub(MqttClientOptions options, String filter) {
        this.probe = MosquittoSub.PROBE_PREFIX + UUID.randomUUID();
        List<String> cmd = new ArrayList<>(List.of("mosquitto_sub"));
        cmd.addAll(options.cliArgs());
        cmd.addAll(List.of("-t", filter, "-t", probe, "-q", "1", "-F", "%r %q %t %x"));
        try {
            process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot run mosquitto_sub", e);
        }
        Thread reader = new Thread(this::read, "sparkplug-sub");
        reader.setDaemon(true);
        reader.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!probeSeen) {
            if (System.nanoTime() > deadline || !process.isAlive()) {
                close();
                throw new IllegalStateException("mosquitto_sub did not subscribe to " + filter);
            }
            MosquittoPub.publish(options, probe, "probe");
            sleep(100);
        }
    }

    public static SparkplugSub start(MqttClientOptions options, String filter) {
        return new SparkplugSub(options, filter);
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                String[] p = line.split(" ", 4);
                if (p.length < 3) {
                    continue;
                }
                long now = System.currentTimeMillis();
                if (p[2].equals(probe)) {
                    probeSeen = true;
                    continue;
                }
                byte[] payload = p.length == 4 ? HexFormat.of().parseHex(p[3].trim()) : new byte[0];
                synchronized (messages) {
                    messages.add(new Message(p[2], payload, p[0].equals("1"), Integer.parseInt(p[1]), now));
                    messages.notifyAll();
                }
            }
        } catch (IOException | RuntimeException e) {
            // process ended
        }
    }

    public List<Message> messages() {
        synchronized (messages) {
            return List.copyOf(messages);
        }
    }

    public List<Message> messages(String type) {
        return messages().stream().filter(m -> m.type().equals(type)).toList();
    }

    public void clear() {
        synchronized (messages) {
            messages.clear();
        }
    }

    /** Waits for {@code n} messages matching; returns them all. */
    public List<Message> await(Predicate<Message> match, int n, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (messages) {
            while (true) {
                List<Message> m = messages.stream().filter(match).toList();
                if (m.size() >= n) {
                    return m;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("expected " + n + " matching message(s) within " + timeout.toMillis()
                            + " ms; got " + m.size() + " of " + messages.size() + ": " + messages.stream().limit(40)
                            .toList());
                }
                try {
                    messages.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    public Message awaitOne(Predicate<Message> match, Duration timeout) {
        List<Message> m = await(match, 1, timeout);
        return m.get(m.size() - 1);
    }

    @Override
    public void close() {
        process.destroy();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process.destroyForcibly();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
