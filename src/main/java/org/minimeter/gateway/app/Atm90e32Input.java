package org.minimeter.gateway.app;

import org.jboss.logging.Logger;
import org.minimeter.gateway.hal.SpiTransport;
import org.minimeter.gateway.hal.atm90e32.Atm90e32;
import org.minimeter.gateway.hal.atm90e32.Atm90e32Engine;
import org.minimeter.gateway.metering.MeterSpec;
import org.minimeter.gateway.metering.MeteringEngine;

/**
 * An ATM90E32 behind the engine seam: the chip integrates energy itself, so the meter only
 * polls it, once a second (its energy registers hold far longer than that at rated power:
 * {@link Atm90e32Engine#registerCapacitySeconds()}).
 */
final class Atm90e32Input implements MeterInput {

    private static final Logger LOG = Logger.getLogger(Atm90e32Input.class);
    static final long POLL_NANOS = 1_000_000_000L;

    private final Atm90e32Engine engine;
    private final SpiTransport spi;
    private long lastNanos;

    private Atm90e32Input(Atm90e32Engine engine, SpiTransport spi, long nowNanos) {
        this.engine = engine;
        this.spi = spi;
        this.lastNanos = nowNanos;
    }

    /**
     * The chip is brought up when the meter's register exists; a chip that does not answer yet
     * is not fatal: every poll retries the opening, and the failure is counted and alarmed.
     */
    static Factory factory(MeterSpec spec, Atm90e32 chip, SpiTransport spi,
            org.minimeter.gateway.hal.MonotonicClock clock) {
        return (register, listener) -> {
            Atm90e32Engine engine = new Atm90e32Engine(spec, chip, register, listener);
            long now = clock.nanoTime();
            try {
                engine.open(now);
            } catch (RuntimeException e) {
                LOG.warnf("%s did not come up (%s); retrying on every poll", chip.description(), e.getMessage());
            }
            return new Atm90e32Input(engine, spi, now);
        };
    }

    @Override
    public String name() {
        return "atm90e32";
    }

    @Override
    public MeteringEngine engine() {
        return engine;
    }

    @Override
    public long nextDueNanos() {
        return lastNanos + POLL_NANOS;
    }

    @Override
    public int step(long now, int maxUnits) {
        if (maxUnits < 1 || now - nextDueNanos() < 0) {
            return 0;
        }
        lastNanos = now;
        engine.poll(now);
        return 1;
    }

    @Override
    public long unitNanos() {
        return POLL_NANOS;
    }

    @Override
    public void close() {
        spi.close();
    }
}
