package org.minimeter.gateway.api;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.spi.ObserverMethod;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import org.jboss.logging.Logger;
import org.minimeter.gateway.app.Gateway;
import org.minimeter.gateway.app.MeterRuntime;
import org.minimeter.gateway.app.MqttPublisher;
import org.minimeter.gateway.metering.DurationTally;
import org.minimeter.gateway.metering.ElementReading;
import org.minimeter.gateway.metering.Measurement;
import org.minimeter.gateway.outputs.PulseLedger;

/**
 * The gateway on {@code /q/metrics} (Micrometer, Prometheus registry), labelled by
 * {@code meter} and {@code element} (SPEC.md section 7). This is the only class that imports
 * Micrometer.
 *
 * <p>Every series reads the domain objects when it is scraped (gauges, function counters,
 * function timers): the sampling threads never call Micrometer and do no work per sample for
 * it, and a scrape costs a few reads per meter, on the scraping thread.
 *
 * <p>Names follow Prometheus conventions: base units in the name, {@code _total} on counters
 * (the registry adds both from the unit given here). Energy is in watt-hours, as the issue asks
 * and as the register and the pulse outputs count it, not in joules. Element {@code total} is
 * the meter as a whole. A reading not known (no window yet, or the meter's source has failed,
 * so its last window is stale) is NaN, never a made-up 0.
 *
 * <p>Energy and pulse counters come from the durable register, not the live one: after a
 * kill -9 the gateway restarts from the last save, which is at least every value it has
 * shown, so these counters never go down across restarts and Prometheus never mistakes a
 * restart for a counter reset (which would add the whole register to {@code increase()}).
 */
@ApplicationScoped
public class GatewayMetrics {

    private static final Logger LOG = Logger.getLogger(GatewayMetrics.class);
    /** After {@link Gateway}'s own start-up observer (default priority): the meters exist then. */
    private static final int AFTER_GATEWAY = ObserverMethod.DEFAULT_PRIORITY + 100;
    static final String TOTAL = "total";
    private static final List<String> OUTPUTS = List.of(PulseLedger.PULSE10, PulseLedger.PULSE100,
            PulseLedger.PULSE1000, PulseLedger.COUNTER);

    private final Gateway gateway;
    private final MeterRegistry registry;
    /** Held here: Micrometer keeps its gauges' state objects only weakly. */
    private final List<MeterRef> keep = new java.util.concurrent.CopyOnWriteArrayList<>();

    GatewayMetrics(Gateway gateway, MeterRegistry registry) {
        this.gateway = gateway;
        this.registry = registry;
    }

    void onStart(@Observes @Priority(AFTER_GATEWAY) StartupEvent event) {
        if (!gateway.started()) {
            // a command (calibrate, capture): no gateway, nothing to show
            return;
        }
        // a meter restarted through the API is a new runtime: the series follow its id
        keep.addAll(bind(registry, gateway.meters(), id -> gateway.meter(id), gateway.publisher()));
        LOG.debugf("Metrics: %d meter(s) on /q/metrics", gateway.meters().size());
    }

    /** Registers every series of these meters and of the MQTT publisher, if there is one. */
    static List<MeterRef> bind(MeterRegistry registry, Collection<MeterRuntime> meters,
            Optional<MqttPublisher> publisher) {
        return bind(registry, meters, id -> Optional.empty(), publisher);
    }

    /**
     * As {@link #bind(MeterRegistry, Collection, Optional)}, each meter's series reading whatever
     * runtime {@code current} has for its id now. Micrometer holds its state objects weakly:
     * the caller keeps the returned references.
     */
    static List<MeterRef> bind(MeterRegistry registry, Collection<MeterRuntime> meters,
            java.util.function.Function<String, Optional<MeterRuntime>> current, Optional<MqttPublisher> publisher) {
        List<MeterRef> refs = new java.util.ArrayList<>();
        for (MeterRuntime m : meters) {
            MeterRef ref = new MeterRef(m, current);
            refs.add(ref);
            bindMeter(registry, ref, m.id(), m.spec().elements());
        }
        publisher.ifPresent(p -> bindPublisher(registry, p));
        return refs;
    }

    /** A meter by its id: the runtime it has now (a restart replaces it), else the one it had. */
    static final class MeterRef {
        private final MeterRuntime first;
        private final java.util.function.Function<String, Optional<MeterRuntime>> current;

        MeterRef(MeterRuntime first, java.util.function.Function<String, Optional<MeterRuntime>> current) {
            this.first = first;
            this.current = current;
        }

        MeterRuntime get() {
            return current.apply(first.id()).orElse(first);
        }
    }

    private static void bindMeter(MeterRegistry r, MeterRef m, String id, int elements) {
        Tags meter = Tags.of("meter", id);

        // --- readings of the latest window
        for (int e = 1; e <= elements; e++) {
            Tags element = meter.and("element", Integer.toString(e));
            elementGauge(r, m, "minimeter.voltage", "volts", "RMS voltage of the latest window", element, e,
                    ElementReading::voltage);
            elementGauge(r, m, "minimeter.current", "amperes", "RMS current of the latest window", element, e,
                    ElementReading::current);
            elementGauge(r, m, "minimeter.power", "watts", "Active power P of the latest window (negative while"
                    + " exporting); element total is the sum of the elements", element, e, ElementReading::power);
            elementGauge(r, m, "minimeter.reactive.power", "vars", "Fundamental reactive power Q1 (IEEE 1459) of the"
                    + " latest window, positive when the current lags", element, e, ElementReading::reactive);
            elementGauge(r, m, "minimeter.apparent.power", "voltamperes", "Apparent power S = Vrms x Irms of the"
                    + " latest window; element total is the sum of the elements", element, e,
                    ElementReading::apparent);
            elementGauge(r, m, "minimeter.power.factor", null, "Power factor P / S of the latest window, signed"
                    + " like P", element, e, ElementReading::powerFactor);
        }
        Tags total = meter.and("element", TOTAL);
        meterGauge(r, m, "minimeter.power", "watts", total, Measurement::power);
        meterGauge(r, m, "minimeter.reactive.power", "vars", total, Measurement::reactive);
        meterGauge(r, m, "minimeter.apparent.power", "voltamperes", total, Measurement::apparent);
        meterGauge(r, m, "minimeter.power.factor", null, total, Measurement::powerFactor);
        meterGauge(r, m, "minimeter.frequency", "hertz", meter, Measurement::frequency, "Line frequency of the"
                + " latest window, from the voltage's zero crossings");

        Gauge.builder("minimeter.meter.available", m, x -> x.get().available() ? 1 : 0)
                .description("1 while the meter's source delivers samples, 0 while it has failed or ended")
                .tags(meter).register(r);
        Gauge.builder("minimeter.alarms.active", m, x -> x.get().activeAlarms().size())
                .description("Alarms active now (over_voltage:L1, sample_gap, ...)").tags(meter).register(r);

        // --- the durable register
        for (int slot = 0; slot <= elements; slot++) {
            int s = slot;
            Tags element = meter.and("element", slot == 0 ? TOTAL : Integer.toString(slot));
            FunctionCounter.builder("minimeter.energy.delivered", m,
                    x -> x.get().durable().energy().deliveredMicroWh(s) / 1e6)
                    .baseUnit("watthours").description("Energy delivered (imported), as last saved in the"
                            + " register; element total is the net of both elements, as the pulse outputs count it")
                    .tags(element).register(r);
            FunctionCounter.builder("minimeter.energy.received", m,
                    x -> x.get().durable().energy().receivedMicroWh(s) / 1e6)
                    .baseUnit("watthours").description("Energy received (exported), as last saved in the register")
                    .tags(element).register(r);
        }
        for (String output : OUTPUTS) {
            FunctionCounter.builder("minimeter.pulses", m, x -> x.get().durable().sequence(output))
                    .description("Pulses completed by an output (its last seq): pulse10, pulse100, pulse1000 per"
                            + " 10, 100, 1000 Wh delivered, counter per outputs.counter.wh")
                    .tags(meter.and("output", output)).register(r);
        }

        // --- the sampling loop
        counter(r, m, "minimeter.samples", meter, x -> x.stats().samples(), "Samples metered");
        counter(r, m, "minimeter.samples.dropped", meter, x -> x.stats().droppedSamples(),
                "Samples lost between blocks (a gap in the sample index)");
        counter(r, m, "minimeter.blocks.rejected", meter, x -> x.stats().rejectedBlocks(),
                "Sample blocks rejected (wrong shape, out of order, NaN or absurd values)");
        counter(r, m, "minimeter.loop.failures", meter, MeterRuntime::loopFailures,
                "Reads of the meter's source that failed; sampling went on");
        counter(r, m, "minimeter.front.end.faults", meter, MeterRuntime::frontEndFaults,
                "Faults counted by a hardware front end (SPI or CRC errors, data-ready timeouts, resets)");
        timer(r, m, MeterRuntime::blockTimes, "minimeter.block.processing", meter,
                "Time the sampling threads spent metering a block of this meter");

        // --- register saves
        counter(r, m, "minimeter.register.saves", meter, MeterRuntime::saves, "Register saves that succeeded");
        counter(r, m, "minimeter.register.save.failures", meter, MeterRuntime::saveFailures,
                "Register saves that failed (storage_error); retried");
        timer(r, m, MeterRuntime::saveTimes, "minimeter.register.save", meter,
                "Time of a successful register save: write, fsync, atomic rename and directory fsync");
    }

    private static void bindPublisher(MeterRegistry r, MqttPublisher p) {
        Tags none = Tags.empty();
        Gauge.builder("minimeter.outbox.depth", p, x -> x.outboxStats().depth()).baseUnit("messages")
                .description("QoS 1 messages in the durable MQTT outbox, waiting for the broker's PUBACK")
                .register(r);
        Gauge.builder("minimeter.outbox.size", p, x -> x.outboxStats().bytes()).baseUnit("bytes")
                .description("Bytes the outbox's waiting messages take on disk (bound: mqtt.outbox-max-mb)")
                .register(r);
        FunctionCounter.builder("minimeter.outbox.dropped", p, x -> x.outboxStats().dropped()).baseUnit("messages")
                .description("Messages dropped from the full outbox (health first, pulses last)").register(r);
        Gauge.builder("minimeter.mqtt.connected", p, x -> x.connected() ? 1 : 0)
                .description("1 while the gateway's MQTT session is connected").register(r);
        FunctionCounter.builder("minimeter.mqtt.reconnects", p, MqttPublisher::reconnects)
                .description("MQTT sessions re-established after the first connect").register(r);
        timer(r, p.publishLatency(), "minimeter.mqtt.publish.latency", none,
                "Time from handing an outbox message (QoS 1) to the MQTT client to the broker's PUBACK");
    }

    private static void elementGauge(MeterRegistry r, MeterRef m, String name, String unit, String help,
            Tags tags, int element, ToDoubleFunction<ElementReading> f) {
        Gauge.builder(name, m, x -> {
            Measurement latest = current(x.get());
            return latest == null ? Double.NaN : f.applyAsDouble(latest.element(element));
        }).baseUnit(unit).description(help).tags(tags).register(r);
    }

    /** A reading of the meter as a whole; the help text is the per-element series' (one name, one help). */
    private static void meterGauge(MeterRegistry r, MeterRef m, String name, String unit, Tags tags,
            ToDoubleFunction<Measurement> f) {
        meterGauge(r, m, name, unit, tags, f, null);
    }

    private static void meterGauge(MeterRegistry r, MeterRef m, String name, String unit, Tags tags,
            ToDoubleFunction<Measurement> f, String help) {
        Gauge.builder(name, m, x -> {
            Measurement latest = current(x.get());
            return latest == null ? Double.NaN : f.applyAsDouble(latest);
        }).baseUnit(unit).description(help).tags(tags).register(r);
    }

    /** The latest window while it is current; null (NaN) before the first one or while the source has failed. */
    private static Measurement current(MeterRuntime m) {
        return m.available() ? m.latest() : null;
    }

    private static void counter(MeterRegistry r, MeterRef m, String name, Tags tags,
            ToDoubleFunction<MeterRuntime> f, String help) {
        FunctionCounter.builder(name, m, x -> f.applyAsDouble(x.get())).description(help).tags(tags).register(r);
    }

    private static void timer(MeterRegistry r, MeterRef m, java.util.function.Function<MeterRuntime, DurationTally> t,
            String name, Tags tags, String help) {
        FunctionTimer.builder(name, m, x -> t.apply(x.get()).count(), x -> t.apply(x.get()).totalNanos(),
                TimeUnit.NANOSECONDS).description(help).tags(tags).register(r);
        Gauge.builder(name + ".longest", m, x -> t.apply(x.get()).maxNanos() / 1e9).baseUnit("seconds")
                .description(help + "; the longest since the meter started").tags(tags).register(r);
    }

    /**
     * {@code <name>_seconds_count} and {@code _sum} from a tally, and its longest event as the
     * gauge {@code <name>_longest_seconds}: since the gateway started, not over a sliding window
     * like a Micrometer timer's {@code _max} (a name the timer reserves, so it is not used here).
     */
    private static void timer(MeterRegistry r, DurationTally t, String name, Tags tags, String help) {
        FunctionTimer.builder(name, t, DurationTally::count, DurationTally::totalNanos, TimeUnit.NANOSECONDS)
                .description(help).tags(tags).register(r);
        Gauge.builder(name + ".longest", t, x -> x.maxNanos() / 1e9).baseUnit("seconds")
                .description(help + "; the longest since the gateway started").tags(tags).register(r);
    }
}
