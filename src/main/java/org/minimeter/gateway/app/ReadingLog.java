package org.minimeter.gateway.app;

import java.util.Locale;
import org.jboss.logging.Logger;
import org.minimeter.gateway.metering.AlarmEvent;
import org.minimeter.gateway.metering.ElementReading;
import org.minimeter.gateway.metering.EnergySnapshot;
import org.minimeter.gateway.metering.Measurement;
import org.minimeter.gateway.metering.Metrology;

/**
 * The gateway's voice in the log, off the sampling thread: one line per meter and interval
 * with the latest reading and the register, and every alarm as it is raised or cleared.
 */
final class ReadingLog {

    private static final Logger LOG = Logger.getLogger(ReadingLog.class);

    private final java.util.function.Supplier<java.util.Collection<MeterRuntime>> meters;

    ReadingLog(java.util.function.Supplier<java.util.Collection<MeterRuntime>> meters) {
        this.meters = meters;
    }

    /** Above this many meters the log gets one summary line instead of one line per meter. */
    static final int PER_METER_LINES = 8;

    // Run by the gateway's own log thread, started only once every meter is wired: Quarkus'
    // scheduler fires its jobs as the application starts, before a refused configuration has
    // stopped it, and printed stack traces ahead of "Invalid configuration".

    void logReadings() {
        var meters = this.meters.get();
        if (meters.size() > PER_METER_LINES) {
            LOG.info(summary(meters));
            return;
        }
        for (MeterRuntime m : meters) {
            LOG.info(line(m.id(), m.latest(), m.energy(), m.stats()) + String.format(Locale.ROOT,
                    " | saved gen %d %.6f kWh | pulses10 %d counter owed %d%s", m.durable().generation(),
                    m.durable().energy().deliveredKwh(0), m.durable().sequence("pulse10"),
                    m.outputs().counterBacklog(), m.available() ? "" : " | SOURCE FAILED: " + m.sourceProblem()));
        }
    }

    /** {@code 1000 meters (998 available) | total 2.51 MW | delivered ... | dropped 0 rejected 0}. */
    static String summary(java.util.Collection<MeterRuntime> meters) {
        int available = 0;
        double watts = 0;
        long delivered = 0;
        long received = 0;
        long dropped = 0;
        long rejected = 0;
        long lagNanos = 0;
        for (MeterRuntime m : meters) {
            available += m.available() ? 1 : 0;
            Measurement r = m.latest();
            watts += r == null ? 0 : r.power();
            delivered += m.energy().deliveredMicroWh(0);
            received += m.energy().receivedMicroWh(0);
            dropped += m.stats().droppedSamples();
            rejected += m.stats().rejectedBlocks();
            lagNanos = Math.max(lagNanos, m.maxLagNanos());
        }
        return String.format(Locale.ROOT, "%d meters (%d available) | total %.0f W | delivered %.6f kWh received"
                + " %.6f kWh | dropped %d rejected %d | worst sampling lag %d ms", meters.size(), available, watts,
                delivered / 1e9, received / 1e9, dropped, rejected, lagNanos / 1_000_000);
    }

    /** The log's own alarm listener, registered by the gateway for each meter. */
    static void logAlarm(String id, AlarmEvent a) {
        if (a.raised()) {
            LOG.warn(alarm(id, a));
        } else {
            LOG.info(alarm(id, a));
        }
    }

    void logFailures() {
        for (MeterRuntime m : meters.get()) {
            Throwable failure = m.takeLastFailure();
            if (failure != null) {
                LOG.errorf(failure, "Meter %s: source failure (%d so far); sampling continues",
                        m.id(), m.loopFailures());
            }
        }
    }

    /** {@code minimeter-1 60.00 Hz | L1 120.1 V 12.30 A 1476 W PF 1.000 | ... | delivered ...}. */
    static String line(String id, Measurement m, EnergySnapshot e, Metrology.Stats s) {
        StringBuilder b = new StringBuilder(id);
        if (m == null) {
            b.append(" waiting for the first window |");
        } else {
            b.append(Double.isNaN(m.frequency()) ? " --.-- Hz" : String.format(Locale.ROOT, " %.2f Hz", m.frequency()));
            for (int k = 1; k <= m.elements().size(); k++) {
                ElementReading r = m.element(k);
                b.append(String.format(Locale.ROOT, " | L%d %.1f V %.2f A %.0f W %.0f var PF %.3f",
                        k, r.voltage(), r.current(), shown(r.power()), shown(r.reactive()), r.powerFactor()));
            }
            b.append(String.format(Locale.ROOT, " | total %.0f W PF %.3f |", shown(m.power()), m.powerFactor()));
        }
        b.append(String.format(Locale.ROOT, " delivered %.6f kWh received %.6f kWh | windows %d dropped %d rejected %d",
                e.deliveredKwh(0), e.receivedKwh(0), s.windows(), s.droppedSamples(), s.rejectedBlocks()));
        return b.toString();
    }

    /** Below half a watt the sign is noise: print 0, not -0. */
    private static double shown(double watts) {
        return Math.abs(watts) < 0.5 ? 0 : watts;
    }

    static String alarm(String id, AlarmEvent a) {
        String where = a.element() > 0 ? " on L" + a.element() : "";
        String numbers = Double.isNaN(a.value()) ? ""
                : String.format(Locale.ROOT, " (%.3f, limit %.3f)", a.value(), a.limit());
        return String.format(Locale.ROOT, "%s alarm %s %s%s%s at sample %d", id, a.condition().key(),
                a.raised() ? "raised" : "cleared", where, numbers, a.sampleIndex());
    }
}
