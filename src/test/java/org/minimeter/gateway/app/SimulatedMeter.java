package org.minimeter.gateway.app;

import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import org.minimeter.gateway.hal.DigitalLine;
import org.minimeter.gateway.hal.MonotonicClock;
import org.minimeter.gateway.hal.simulator.SimulatedDigitalLines;
import org.minimeter.gateway.hal.simulator.SimulatedSource;
import org.minimeter.gateway.hal.simulator.SimulatorSettings;
import org.minimeter.gateway.metering.MeterSpec;
import org.minimeter.gateway.outputs.OutputSettings;
import org.minimeter.gateway.persistence.RegisterState;
import org.minimeter.gateway.persistence.RegisterStore;
import org.minimeter.gateway.persistence.SavePolicy;

/** A production {@link MeterRuntime} on the simulator and simulated lines, without Quarkus. */
public final class SimulatedMeter {

    private SimulatedMeter() {
    }

    /** Opens (or resumes) the register under {@code storage} and builds the meter, not started. */
    public static MeterRuntime build(String id, SimulatorSettings s, Path storage) {
        return build(id, s, storage, true);
    }

    /** As {@link #build(String, SimulatorSettings, Path)}; without outputs the meter has no lines at all. */
    public static MeterRuntime build(String id, SimulatorSettings s, Path storage, boolean outputs) {
        SimulatedSource source = new SimulatedSource(s, MonotonicClock.SYSTEM);
        MeterSpec spec = MeterSpec.of(s.nominalFrequency(), s.ctRating(), s.sampleRate(),
                source.frontEnd().calibration());
        RegisterStore store = new RegisterStore(storage, id, 3);
        RegisterStore.Loaded loaded = store.load();
        RegisterState state = loaded.fresh() ? RegisterState.empty(s.elements()) : loaded.state();
        SimulatedDigitalLines lines = new SimulatedDigitalLines(MonotonicClock.SYSTEM);
        Map<String, DigitalLine> map = new LinkedHashMap<>();
        int pin = 17;
        for (String name : outputs ? new String[] {"pulse10", "pulse100", "pulse1000", "counter"} : new String[0]) {
            map.put(name, lines.open(name, pin++));
        }
        return new MeterRuntime(id, spec, source, store, state, OutputSettings.defaults(), map,
                SavePolicy.defaults(), MonotonicClock.SYSTEM, Clock.systemUTC());
    }

    /** Releases a meter that was built and never hosted: its source, lines and register lock. */
    public static void release(MeterRuntime meter) {
        meter.finish();
    }
}
