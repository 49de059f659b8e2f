package org.minimeter.gateway.app;

import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;
import org.minimeter.gateway.app.config.MeterSetup;
import org.minimeter.gateway.app.config.SourceKind;
import org.minimeter.gateway.app.config.SpiSource;
import org.minimeter.gateway.hal.DigitalInput;
import org.minimeter.gateway.hal.FrontEnd;
import org.minimeter.gateway.hal.MonotonicClock;
import org.minimeter.gateway.hal.SpiTransport;
import org.minimeter.gateway.hal.WaveformSource;
import org.minimeter.gateway.hal.ads131m04.Ads131m04Source;
import org.minimeter.gateway.hal.atm90e32.Atm90e32;
import org.minimeter.gateway.hal.atm90e32.Atm90e32Config;
import org.minimeter.gateway.hal.mcp3208.Mcp3208Source;
import org.minimeter.gateway.hal.pi4j.Pi4jDigitalInputs;
import org.minimeter.gateway.hal.pi4j.Pi4jSpiTransports;
import org.minimeter.gateway.hal.replay.ReplaySource;
import org.minimeter.gateway.hal.simulator.FaultFileSource;
import org.minimeter.gateway.hal.simulator.SimulatedSource;
import org.minimeter.gateway.metering.ChannelCalibration;
import org.minimeter.gateway.metering.ElementCalibration;
import org.minimeter.gateway.metering.MeterSpec;
import org.minimeter.gateway.persistence.MeterCalibration;

/**
 * Opens what each meter measures from, by the source its configuration names: one provider
 * per {@link SourceKind}, and the devices the hardware providers share (the SPI provider, the
 * DRDY inputs), opened on first use and closed with this. A new front end adds a provider
 * here; nothing else in the wiring branches on the kind.
 *
 * <p>The meter's stored calibration (installer trim, channels wired backwards) is applied
 * here, on top of what the front end declares from its components.
 */
final class MeterSources implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(MeterSources.class);

    /**
     * A meter's opened front end.
     *
     * @param spec what the meter meters with (rates, thresholds, calibration applied)
     * @param input the engine's input, built once the register exists
     * @param waveform the raw samples, for a sampling front end (capture reads them)
     * @param resource what to close if the meter is not started after all (the meter's input
     *     closes it otherwise)
     */
    record Opened(MeterSpec spec, MeterInput.Factory input, Optional<WaveformSource> waveform,
            AutoCloseable resource) {
    }

    @FunctionalInterface
    interface Provider {
        Opened open(MeterSetup meter, MeterCalibration calibration);
    }

    private final Map<SourceKind, Provider> providers = new EnumMap<>(SourceKind.class);
    private final MonotonicClock clock;
    private Pi4jSpiTransports spi;
    private Pi4jDigitalInputs inputs;

    MeterSources(MonotonicClock clock) {
        this.clock = clock;
        providers.put(SourceKind.SIMULATOR, (m, c) -> {
            WaveformSource s = new SimulatedSource(m.simulator(), clock);
            return sampled(m, c, m.faultFile().isPresent() ? new FaultFileSource(s, m.faultFile().get()) : s, false);
        });
        // A malformed file stops this start-up naming the file, the line and the reason.
        providers.put(SourceKind.REPLAY, (m, c) -> sampled(m, c, ReplaySource.open(m.replay().orElseThrow(), clock),
                true));
        providers.put(SourceKind.MCP3208, this::mcp);
        providers.put(SourceKind.MCP3008, this::mcp);
        providers.put(SourceKind.ADS131M04, this::ads);
        providers.put(SourceKind.ATM90E32, this::atm);
        for (SourceKind k : SourceKind.values()) {
            if (!providers.containsKey(k)) {
                throw new IllegalStateException("no provider for source " + k.id());
            }
        }
    }

    /**
     * Opens meter {@code m}'s front end. A missing or inaccessible device, or a chip that does
     * not answer its set-up, throws naming the meter, the device and the fix.
     */
    Opened open(MeterSetup m, MeterCalibration calibration) {
        SourceKind kind = SourceKind.byId(m.source())
                .orElseThrow(() -> new IllegalStateException("meter " + m.id() + ": no source " + m.source()));
        return providers.get(kind).open(m, calibration);
    }

    /** A recording or a chip runs at its own rate: the meter takes it from the source. */
    private static Opened sampled(MeterSetup m, MeterCalibration c, WaveformSource source, boolean ownRate) {
        try {
            FrontEnd declared = source.frontEnd();
            FrontEnd fe = new FrontEnd(declared.sampleRate(), c.applyTo(declared.calibration()));
            MeterSpec spec = ownRate ? m.specAtSourceRate(fe) : m.spec(fe);
            return new Opened(spec, MeterInput.sampled(spec, source), Optional.of(source), source);
        } catch (RuntimeException e) {
            source.close();
            throw e;
        }
    }

    private Opened mcp(MeterSetup m, MeterCalibration c) {
        SpiSource.Settings s = m.spi().orElseThrow();
        SpiTransport transport = transport(m, s);
        try {
            return sampled(m, c, Mcp3208Source.open(s.mcp().orElseThrow(), transport, clock), true);
        } catch (RuntimeException e) {
            transport.close();
            throw failed(m, e);
        }
    }

    private Opened ads(MeterSetup m, MeterCalibration c) {
        SpiSource.Settings s = m.spi().orElseThrow();
        SpiTransport transport = transport(m, s);
        try {
            if (inputs == null) {
                // the set-up check refused simulated and linuxfs for a meter with a DRDY input
                inputs = new Pi4jDigitalInputs(m.gpioProvider());
                LOG.infof("DRDY inputs: %s", inputs.description());
            }
            DigitalInput drdy = inputs.open("DRDY of meter " + m.id(), s.drdyPin());
            try {
                return sampled(m, c, Ads131m04Source.open(s.ads().orElseThrow(), transport, drdy, clock), true);
            } catch (RuntimeException e) {
                drdy.close();
                throw e;
            }
        } catch (RuntimeException e) {
            transport.close();
            throw failed(m, e);
        }
    }

    /**
     * The chip integrates energy itself: unit gains and no delays at the meter, the installer's
     * gain trim goes into the chip's Ugain/Igain codes, and the sample rate is the register's
     * time base.
     */
    private Opened atm(MeterSetup m, MeterCalibration c) {
        SpiSource.Settings s = m.spi().orElseThrow();
        int n = m.elements();
        double[] vf = new double[n];
        double[] cf = new double[n];
        for (int e = 0; e < n; e++) {
            vf[e] = c.trim().elements().get(e).voltageFactor();
            cf[e] = c.trim().elements().get(e).currentFactor();
            if (c.trim().elements().get(e).phaseMicros() != 0) {
                LOG.warnf("meter %s: the ATM90E32 corrects its phase in its own PhiX register; the stored phase trim"
                        + " of element %d (%.2f us) is not applied", m.id(), e + 1,
                        c.trim().elements().get(e).phaseMicros());
            }
        }
        Atm90e32Config config;
        try {
            config = s.atm().orElseThrow().withGainFactors(vf, cf);
        } catch (IllegalArgumentException e) {
            throw failed(m, e);
        }
        ElementCalibration ideal = new ElementCalibration(ChannelCalibration.ideal(1), ChannelCalibration.ideal(1));
        List<ElementCalibration> unit = Collections.nCopies(n, ideal);
        MeterSpec spec = m.spec(new FrontEnd(m.sampleRate(),
                MeterCalibration.none(n).withInverted(c.inverted(), c.updated()).applyTo(unit)));
        SpiTransport transport = transport(m, s);
        Atm90e32 chip = new Atm90e32(transport, config);
        return new Opened(spec, Atm90e32Input.factory(spec, chip, transport, clock), Optional.empty(), transport);
    }

    private SpiTransport transport(MeterSetup m, SpiSource.Settings s) {
        try {
            if (spi == null) {
                spi = new Pi4jSpiTransports(s.provider());
                LOG.infof("SPI: %s", spi.description());
            }
            return spi.open(s.bus(), s.chipSelect(), s.mode(), s.clockHz());
        } catch (RuntimeException e) {
            throw failed(m, e);
        }
    }

    private static IllegalStateException failed(MeterSetup m, RuntimeException e) {
        if (e instanceof IllegalStateException ise && ise.getMessage() != null
                && ise.getMessage().startsWith("meter " + m.id() + " ")) {
            return ise;
        }
        return new IllegalStateException("meter " + m.id() + " (source=" + m.source() + "): " + e.getMessage(), e);
    }

    /** The shared devices, after every meter has closed its own. */
    @Override
    public void close() {
        if (inputs != null) {
            inputs.close();
            inputs = null;
        }
        if (spi != null) {
            spi.close();
            spi = null;
        }
    }
}
