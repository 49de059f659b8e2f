package org.minimeter.gateway.app;

import org.jboss.logging.Logger;
import org.minimeter.gateway.hal.DigitalInput;

/**
 * Watches a power-fail line from a UPS or supercap board (active low: the supply is failing)
 * and saves every register the moment it falls. With it, the save policy can be relaxed for
 * an SD card's sake (fewer fsyncs) while the loss bound on a power cut stays one window of
 * energy: the hold-up time of the supply only has to cover one save of each register.
 * One thread for the whole gateway, asleep in the line's edge wait.
 */
final class PowerFailWatch implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(PowerFailWatch.class);
    private static final long WAIT_NANOS = 1_000_000_000L;

    private final DigitalInput line;
    private final AutoCloseable provider;
    private final MeterHost host;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long triggers;

    /** @param provider what {@code line} came from, closed with this (may be null) */
    PowerFailWatch(DigitalInput line, AutoCloseable provider, MeterHost host) {
        this.line = line;
        this.provider = provider;
        this.host = host;
        this.thread = new Thread(this::watch, "power-fail");
        thread.setDaemon(true);
        thread.setPriority(Thread.MAX_PRIORITY);
    }

    void start() {
        thread.start();
    }

    long triggers() {
        return triggers;
    }

    private void watch() {
        while (running) {
            try {
                if (!line.awaitLow(WAIT_NANOS)) {
                    continue;
                }
                triggers++;
                long t0 = System.nanoTime();
                int saved = host.saveAllNow(5_000_000_000L);
                LOG.warnf("Power fail signalled on %s: %d register(s) saved in %.1f ms", line.name(), saved,
                        (System.nanoTime() - t0) / 1e6);
                // one save per power cut: wait for the supply to come back before arming again
                while (running && !line.isHigh()) {
                    Thread.sleep(100);
                }
                if (running) {
                    LOG.infof("Power restored on %s", line.name());
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.errorf("Power-fail input %s failed: %s", line.name(), e.getMessage());
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        line.close();
        if (provider != null) {
            try {
                provider.close();
            } catch (Exception e) {
                LOG.debugf("closing the power-fail input's provider: %s", e.getMessage());
            }
        }
    }
}
