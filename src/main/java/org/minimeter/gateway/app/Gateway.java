package org.minimeter.gateway.app;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;
import org.minimeter.gateway.app.config.HalConfig;
import org.minimeter.gateway.app.config.MeterConfig;
import org.minimeter.gateway.app.config.MeterSetup;
import org.minimeter.gateway.app.config.SimulatorConfig;
import org.minimeter.gateway.hal.MonotonicClock;
import org.minimeter.gateway.hal.WaveformSource;
import org.minimeter.gateway.hal.simulator.SimulatedSource;
import org.minimeter.gateway.metering.EnergySnapshot;

/**
 * Wires the meters at start-up: checks the configuration (stopping start-up on a bad value),
 * logs the effective configuration once, builds each meter's source and metering, and starts
 * sampling. The meters are keyed by id so that more than one can run in a process.
 */
@ApplicationScoped
public class Gateway {

    private static final Logger LOG = Logger.getLogger(Gateway.class);

    private final MeterConfig meterConfig;
    private final HalConfig halConfig;
    private final SimulatorConfig simulatorConfig;
    private final Map<String, MeterRuntime> meters = new LinkedHashMap<>();

    Gateway(MeterConfig meterConfig, HalConfig halConfig, SimulatorConfig simulatorConfig) {
        this.meterConfig = meterConfig;
        this.halConfig = halConfig;
        this.simulatorConfig = simulatorConfig;
    }

    void onStart(@Observes StartupEvent event) {
        MeterSetup setup = MeterSetup.from(meterConfig, halConfig, simulatorConfig);
        LOG.info("Mini Meter Gateway starting with:");
        setup.describe(simulatorConfig).forEach(line -> LOG.info("  " + line));
        WaveformSource source = openSource(setup);
        MeterRuntime meter = new MeterRuntime(setup.id(), setup.spec(source.frontEnd()), source,
                EnergySnapshot.zero(setup.elements()));
        synchronized (meters) {
            meters.put(setup.id(), meter);
        }
        meter.start();
        LOG.infof("Meter %s: %d element(s), %d Hz, CT %d A, %d samples/s from the %s source, %s",
                setup.id(), setup.elements(), setup.frequency(), setup.ctRating(), setup.sampleRate(),
                source.name(), describeSource(setup));
    }

    private static WaveformSource openSource(MeterSetup setup) {
        // MeterSetup admits only the sources this build has.
        return new SimulatedSource(setup.simulator(), MonotonicClock.SYSTEM);
    }

    private static String describeSource(MeterSetup setup) {
        var s = setup.simulator();
        String frontEnd = s.adcBits() == 0 ? "ideal samples"
                : s.adcBits() + "-bit ADC, " + MeterSetup.fmt(s.noiseLsb()) + " LSB noise, "
                        + MeterSetup.fmt(s.skewMicros()) + " us V/I skew (calibrated out)";
        return MeterSetup.fmt(s.speed()) + " x real time, " + frontEnd;
    }

    void onStop(@Observes ShutdownEvent event) {
        for (MeterRuntime m : meters()) {
            try {
                m.stop();
                LOG.infof("Meter %s stopped: delivered %.6f kWh, received %.6f kWh", m.id(),
                        m.energy().deliveredKwh(0), m.energy().receivedKwh(0));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    public Collection<MeterRuntime> meters() {
        synchronized (meters) {
            return List.copyOf(meters.values());
        }
    }

    public Optional<MeterRuntime> meter(String id) {
        synchronized (meters) {
            return Optional.ofNullable(meters.get(id));
        }
    }
}
