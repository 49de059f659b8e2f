package org.minimeter.gateway.app;

import java.io.PrintStream;
import java.nio.file.Path;
import org.minimeter.gateway.hal.simulator.SimulatorSettings;
import org.minimeter.gateway.persistence.RegisterState;

/**
 * The process {@link CrashTest} kills: one production {@link MeterRuntime} on a {@link MeterHost} (sampling,
 * outputs, register threads) on its register directory, metering a constant 2 x 100 A load at PF 1
 * at {@code speed} x real time. It prints every released pulse event and, every 20 ms, the
 * live and durable delivered totals, until it is killed.
 *
 * <p>Arguments: storage directory, speed.
 */
public final class CrashChild {

    public static final double AMPS = 100;

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        double speed = Double.parseDouble(args[1]);
        PrintStream out = System.out;
        SimulatorSettings s = SimulatorSettings.builder(60, 2, 200).current(AMPS).speed(speed).build();
        MeterRuntime meter = SimulatedMeter.build("crash", s, dir);
        RegisterState state = meter.durable();
        meter.addPulseListener(e -> out.println("pulse " + e.output() + " " + e.seq()));
        out.println("ready " + state.generation() + " " + state.energy().deliveredMicroWh(0));
        MeterHost host = new MeterHost(1, org.minimeter.gateway.hal.MonotonicClock.SYSTEM, PulseSink.NONE);
        host.add(meter);
        host.start();
        while (true) {
            Thread.sleep(20);
            out.println("live " + meter.energy().deliveredMicroWh(0) + " durable "
                    + meter.durable().energy().deliveredMicroWh(0));
        }
    }
}
