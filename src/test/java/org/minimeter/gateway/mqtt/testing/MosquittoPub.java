package org.minimeter.gateway.mqtt.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One-shot publishes with the {@code mosquitto_pub} command-line client: an MQTT client that
 * shares no code with the gateway, so a test can act as "some other device on the broker".
 * Each call is a separate process and a separate MQTT connection (about 10-60 ms).
 */
public final class MosquittoPub {

    /** mosquitto_pub waits for the connection; a broker that never answers must not hang a test. */
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private MosquittoPub() {
    }

    /**
     * What mosquitto_pub did. The exit code is the CONNACK return code when the broker refuses
     * the connection (5 = not authorised for MQTT 3.1.1), else a libmosquitto error number
     * (7 = connection lost, e.g. the TLS handshake failed), or -1 if it had to be killed.
     */
    public record Result(int exitCode, String output) {
        public boolean succeeded() {
            return exitCode == 0;
        }
    }

    /** QoS 0, not retained. */
    public static Result publish(MqttClientOptions options, String topic, String payload) {
        return publish(options, topic, payload, 0, false);
    }

    public static Result publish(MqttClientOptions options, String topic, String payload, int qos, boolean retain) {
        List<String> args = new ArrayList<>(List.of("-t", topic, "-q", Integer.toString(checkQos(qos))));
        if (payload.isEmpty()) {
            args.add("-n");
        } else {
            args.addAll(List.of("-m", payload));
        }
        if (retain) {
            args.add("-r");
        }
        return run(options, args);
    }

    /** Like {@link #publish(MqttClientOptions, String, String, int, boolean)}, but failure throws. */
    public static void publishOrFail(MqttClientOptions options, String topic, String payload, int qos,
            boolean retain) {
        Result result = publish(options, topic, payload, qos, retain);
        if (!result.succeeded()) {
            throw new AssertionError("mosquitto_pub to " + options + " topic " + topic + " failed (exit "
                    + result.exitCode() + "): " + result.output().strip());
        }
    }

    /** Deletes the retained message of one topic (an empty retained publish). */
    public static Result clearRetained(MqttClientOptions options, String topic) {
        return publish(options, topic, "", 0, true);
    }

    /**
     * Any other invocation: connection arguments from the options plus {@code extraArgs}
     * (e.g. {@code -V mqttv5 -D publish user-property k v}).
     */
    public static Result run(MqttClientOptions options, List<String> extraArgs) {
        List<String> command = new ArrayList<>();
        command.add(Cli.tool("mosquitto_pub"));
        command.addAll(options.cliArgs());
        command.addAll(extraArgs);
        Cli.Result result = Cli.run(command, TIMEOUT);
        return new Result(result.exitCode(), result.output());
    }

    static int checkQos(int qos) {
        if (qos < 0 || qos > 2) {
            throw new IllegalArgumentException("qos must be 0, 1 or 2: " + qos);
        }
        return qos;
    }
}
