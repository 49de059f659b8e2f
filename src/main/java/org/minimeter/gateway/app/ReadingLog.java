package org.minimeter.gateway.app;

import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
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
@ApplicationScoped
public class ReadingLog {

    private static final Logger LOG = Logger.getLogger(ReadingLog.class);

    private final Gateway gateway;

    ReadingLog(Gateway gateway) {
        this.gateway = gateway;
    }

    @Scheduled(every = "${meter.log-interval:10s}", delayed = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void logReadings() {
        for (MeterRuntime m : gateway.meters()) {
            LOG.info(line(m.id(), m.latest(), m.energy(), m.stats()) + String.format(Locale.ROOT,
                    " | saved gen %d %.6f kWh | pulses10 %d counter owed %d", m.durable().generation(),
                    m.durable().energy().deliveredKwh(0), m.durable().sequence("pulse10"),
                    m.outputs().counterBacklog()));
        }
    }

    /** Alarms reach every listener (this log, MQTT) from here, once a second. */
    @Scheduled(every = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void dispatchAlarms() {
        for (MeterRuntime m : gateway.meters()) {
            m.dispatchAlarms();
        }
    }

    /** The log's own alarm listener, registered by the gateway for each meter. */
    static void logAlarm(String id, AlarmEvent a) {
        if (a.raised()) {
            LOG.warn(alarm(id, a));
        } else {
            LOG.info(alarm(id, a));
        }
    }

    @Scheduled(every = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void logFailures() {
        for (MeterRuntime m : gateway.meters()) {
            Throwable failure = m.takeLastFailure();
            if (failure != null) {
                LOG.errorf(failure, "Meter %s: sampling loop failure (%d so far); sampling continues",
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
