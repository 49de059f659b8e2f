package org.minimeter.gateway.api;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.health.api.HealthRegistry;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;
import org.eclipse.microprofile.health.Startup;
import org.minimeter.gateway.app.Gateway;
import org.minimeter.gateway.app.MeterStatus;

/**
 * {@code /q/health/live}, {@code /ready} and {@code /started}: one check per meter, each
 * built from the meter's {@link MeterStatus} (the record the MQTT health topic is built from)
 * and naming its cause in {@code data}.
 * <ul>
 * <li>live: the meter is sampling (a recording that ended is not a fault) and the shared
 * threads run; a restart is the cure for what fails here;
 * <li>ready: the register can be saved and the outbox accepts the meter's messages; these
 * are waited out;
 * <li>started: every meter has its register and runs.
 * </ul>
 */
@ApplicationScoped
public class HealthChecks {

    @Inject
    Gateway gateway;

    @Inject
    @Liveness
    HealthRegistry liveness;

    @Inject
    @Readiness
    HealthRegistry readiness;

    @Inject
    @Startup
    HealthRegistry startup;

    /** After the gateway's own start-up observer, which opens the meters. */
    void register(@Observes @Priority(Interceptor.Priority.APPLICATION + 600) StartupEvent event) {
        if (!gateway.started()) {
            return;
        }
        for (var m : gateway.meters()) {
            String id = m.id();
            liveness.register("meter " + id, () -> check("meter " + id, gateway.status(id), MeterStatus::notAlive));
            readiness.register("meter " + id, () -> check("meter " + id, gateway.status(id), MeterStatus::notReady));
        }
        startup.register("gateway", () -> {
            HealthCheckResponseBuilder b = HealthCheckResponse.named("gateway " + gateway.id())
                    .status(gateway.started()).withData("meters", gateway.meters().size());
            if (!gateway.started()) {
                b.withData("cause", "the meters are being opened");
            }
            return b.build();
        });
    }

    static HealthCheckResponse check(String name, Optional<MeterStatus> status,
            Function<MeterStatus, List<String>> problems) {
        HealthCheckResponseBuilder b = HealthCheckResponse.named(name);
        if (status.isEmpty()) {
            return b.down().withData("cause", "the meter is not running").build();
        }
        MeterStatus s = status.get();
        List<String> p = problems.apply(s);
        b.status(p.isEmpty()).withData("windows", s.windows()).withData("register_generation",
                s.registerGeneration());
        if (!p.isEmpty()) {
            b.withData("cause", String.join("; ", p));
        }
        if (!s.activeAlarms().isEmpty()) {
            b.withData("alarms", String.join(",", s.activeAlarms()));
        }
        return b.build();
    }
}
