package org.minimeter.gateway.api;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.Set;

/**
 * Keeps the whole of {@code /q/metrics} within Prometheus' conventions, as
 * {@code promtool check metrics} judges them, including what Quarkus and Micrometer register
 * on their own (JVM, process, HTTP server, Netty). Four kinds of their series are left out:
 * <ul>
 *   <li>{@code process_cpu_time_ns_total}: nanoseconds and an abbreviated unit in the name
 *       ({@code process_cpu_usage} stays);
 *   <li>{@code system_cpu_count}: a constant whose {@code _count} suffix Prometheus reserves
 *       for summaries and histograms;
 *   <li>long task timers (Vert.x' open connections): this registry writes them as a summary
 *       whose samples are named {@code _active_count} and {@code _duration_sum}, which the text
 *       format reads as series of their own, without type or help;
 *   <li>any series registered without a description, so without HELP (Netty's allocator,
 *       Vert.x' active requests), which nobody reading it could interpret.
 * </ul>
 * The gateway's own {@code minimeter_*} series are never dropped: each must carry its help, and
 * the promtool test fails if one does not.
 */
@Singleton
public class PrometheusConventions {

    static final String OWN_PREFIX = "minimeter.";
    private static final Set<String> MISNAMED = Set.of("process.cpu.time", "system.cpu.count");

    @Produces
    @Singleton
    MeterFilter prometheusConventions() {
        return new MeterFilter() {
            @Override
            public MeterFilterReply accept(Meter.Id id) {
                if (id.getName().startsWith(OWN_PREFIX)) {
                    return MeterFilterReply.NEUTRAL;
                }
                String help = id.getDescription();
                boolean out = MISNAMED.contains(id.getName()) || id.getType() == Meter.Type.LONG_TASK_TIMER
                        || help == null || help.isBlank();
                return out ? MeterFilterReply.DENY : MeterFilterReply.NEUTRAL;
            }
        };
    }
}
