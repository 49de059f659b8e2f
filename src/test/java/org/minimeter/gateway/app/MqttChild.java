package org.minimeter.gateway.app;

import java.nio.file.Path;
import java.time.Duration;
import org.minimeter.gateway.hal.simulator.SimulatorSettings;

/**
 * A gateway process for tests that kill it: one meter at 2 x 50 A, speed as given, publishing
 * to the broker at host:port. Prints "ready" once started, then runs until killed.
 *
 * <p>Arguments: storage directory, host, port, speed, client id.
 */
public final class MqttChild {

    public static void main(String[] args) throws Exception {
        SimulatorSettings s = SimulatorSettings.builder(60, 2, 200).current(50).speed(Double.parseDouble(args[3]))
                .build();
        PublishingMeter m = new PublishingMeter("child", s, Path.of(args[0]),
                PublishingMeter.plain(args[1], Integer.parseInt(args[2]), args[4]), Duration.ofSeconds(1),
                Duration.ofSeconds(5)).start();
        System.out.println("ready");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            m.close();
        }));
        Thread.sleep(Long.MAX_VALUE);
    }
}
