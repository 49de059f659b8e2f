package org.minimeter.gateway.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.minimeter.gateway.app.PublishingMeter;
import org.minimeter.gateway.hal.simulator.SimulatorSettings;
import org.minimeter.gateway.mqtt.MqttSettings;

/**
 * One gateway process of {@link FleetBenchmark}: M simulated meters (real time, 2 elements,
 * pulse outputs) on one outbox and one MQTT session to a broker list, printing a status line
 * every 250 ms on stdout for the parent to read: {@code STATUS <ms> <broker> <connected>
 * <reconnects> <outbox depth> <acknowledged>}. Stops cleanly on SIGTERM.
 *
 * <p>Arguments: gateway number, meters, sample rate (Hz), storage directory, then the brokers in order.
 */
public final class FleetGateway {

    public static void main(String[] args) throws Exception {
        int g = Integer.parseInt(args[0]);
        int meters = Integer.parseInt(args[1]);
        int rate = Integer.parseInt(args[2]);
        Path storage = Path.of(args[3]);
        List<MqttSettings.Broker> brokers = Arrays.stream(args, 4, args.length).map(a -> {
            int colon = a.lastIndexOf(':');
            return new MqttSettings.Broker(a.substring(0, colon), Integer.parseInt(a.substring(colon + 1)));
        }).toList();
        Map<String, SimulatorSettings> sims = new LinkedHashMap<>();
        for (int k = 0; k < meters; k++) {
            sims.put(id(g, k), SimulatorSettings.builder(60, 2, 200).sampleRate(rate).voltage(120)
                    .current(ScaleBenchmark.amps(k)).phaseDeg(ScaleBenchmark.phaseDeg(k)).seed(g * 10_000L + k + 1)
                    .build());
        }
        // RabbitMQ 3.10 hangs up on an MQTT 5 CONNECT: 3.1.1 set, as a fleet on it would.
        MqttSettings mqtt = new MqttSettings(brokers, "minimeter-fleet-" + g, "3.1.1", Optional.empty(),
                Optional.empty(), false, Optional.empty(), Optional.empty(), Optional.empty(), "minimeter", false,
                "homeassistant");
        int savesPerSecond = Integer.parseInt(System.getProperty("fleet.saves-per-second", "50"));
        PublishingMeter gw = new PublishingMeter(sims, storage, mqtt, Duration.ofSeconds(10), Duration.ofSeconds(1),
                Duration.ofSeconds(30), true, savesPerSecond).start();
        Thread main = Thread.currentThread();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            main.interrupt();
            gw.close();
            System.out.println("STOPPED " + gw.publisher.outboxStats().depth());
            System.out.flush();
        }));
        try {
            while (true) {
                System.out.printf(Locale.ROOT, "STATUS %d %s %b %d %d %d%n", System.currentTimeMillis(),
                        gw.publisher.broker(), gw.publisher.connected(), gw.publisher.reconnects(),
                        gw.publisher.outboxStats().depth(), gw.publisher.publishLatency().count());
                System.out.flush();
                Thread.sleep(250);
            }
        } catch (InterruptedException e) {
            // stopping
        }
    }

    static String id(int g, int k) {
        return String.format(Locale.ROOT, "g%dm%04d", g, k);
    }
}
