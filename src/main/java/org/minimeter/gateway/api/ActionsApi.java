package org.minimeter.gateway.api;

import io.smallrye.common.annotation.Blocking;
import io.vertx.ext.web.RoutingContext;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.logging.Logger;
import org.minimeter.gateway.app.Gateway;
import org.minimeter.gateway.app.MeterRuntime;
import org.minimeter.gateway.metering.CalibrationRun;
import org.minimeter.gateway.metering.Measurement;
import org.minimeter.gateway.persistence.MeterCalibration;
import org.minimeter.gateway.persistence.RegisterSeed;

/**
 * The API's actions. Each needs the credential ({@link ActionGuard}), validates its body
 * (400 naming the field and the reason) and is written to the meter's audit.log with who
 * called it, from where, and the values before and after.
 */
@Path("/api")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "actions", description = "Need the API credential (Authorization: Bearer <token>); audited beside the register")
public class ActionsApi {

    private static final Logger LOG = Logger.getLogger(ActionsApi.class);

    @Inject
    Gateway gateway;

    public record Acknowledged(String meter, List<String> acknowledged) {
    }

    @POST
    @Path("meters/{id}/alarms/acknowledge")
    @Operation(summary = "Acknowledge the meter's latched alarms (and clear register_fallback)")
    public Acknowledged acknowledge(@PathParam("id") String id, RoutingContext rc) {
        MeterRuntime m = meter(id);
        List<String> seen = m.acknowledgeAlarms();
        audit(m, rc, "alarms acknowledged: " + (seen.isEmpty() ? "none latched" : String.join(",", seen)));
        return new Acknowledged(id, seen);
    }

    public record Resent(boolean resent, List<String> meters) {
    }

    @POST
    @Path("discovery")
    @Operation(summary = "Send every meter's Home Assistant discovery again")
    public Resent discovery(RoutingContext rc) {
        var p = gateway.publisher().orElseThrow(() -> new ApiException(503, "", "the gateway is not running"));
        if (!p.resendDiscovery()) {
            throw new ApiException(503, "", "the MQTT broker is not connected; discovery is sent on reconnect anyway");
        }
        List<String> ids = gateway.meters().stream().map(MeterRuntime::id).toList();
        for (MeterRuntime m : gateway.meters()) {
            audit(m, rc, "Home Assistant discovery re-sent");
        }
        return new Resent(true, ids);
    }

    /**
     * @param seedId a name for this seeding, applied once (e.g. {@code utility-2026-11-30})
     * @param deliveredKwh new total delivered energy
     * @param receivedKwh new total received energy
     * @param allowDecrease allow moving the register backwards (a reset)
     */
    public record SeedRequest(String seedId, Double deliveredKwh, Double receivedKwh, Boolean allowDecrease) {
    }

    public record Seeded(String meter, String seedId, double deliveredKwhBefore, double deliveredKwh,
            double receivedKwhBefore, double receivedKwh, long generation) {
    }

    @POST
    @Path("meters/{id}/register/seed")
    @Blocking
    @Operation(summary = "Set the meter's register totals to match another meter (once per seed id, audited)")
    public Seeded seed(@PathParam("id") String id, SeedRequest body, RoutingContext rc) {
        MeterRuntime m = meter(id);
        requireBody(body, "seed_id and delivered_kwh and/or received_kwh");
        String seedId = body.seedId();
        if (seedId == null || !seedId.matches("[A-Za-z0-9._:-]{1,64}")) {
            throw ApiException.notAllowed("seed_id", seedId, "1 to 64 of A-Z a-z 0-9 . _ : -");
        }
        if (body.deliveredKwh() == null && body.receivedKwh() == null) {
            throw ApiException.badRequest("delivered_kwh", "give delivered_kwh and/or received_kwh");
        }
        OptionalLong delivered = microWh("delivered_kwh", body.deliveredKwh());
        OptionalLong received = microWh("received_kwh", body.receivedKwh());
        if (m.auditLines().stream().anyMatch(l -> l.contains(" seed id=" + seedId + " "))) {
            throw new ApiException(409, "seed_id", "seed_id=" + seedId + " was applied before (see audit.log); a seed"
                    + " is applied once: use a new id");
        }
        RegisterSeed seed = new RegisterSeed(seedId, delivered, received, Boolean.TRUE.equals(body.allowDecrease()));
        var before = m.durable().energy();
        audit(m, rc, "register seed " + seedId + " requested: delivered " + body.deliveredKwh() + " kWh, received "
                + body.receivedKwh() + " kWh, allow-decrease " + seed.allowDecrease());
        MeterRuntime fresh;
        try {
            fresh = gateway.restartMeter(id, s -> s.withSeed(Optional.of(seed)), null, null);
        } catch (RuntimeException e) {
            throw new ApiException(409, "", "not seeded: " + e.getMessage());
        }
        var after = fresh.durable();
        return new Seeded(id, seedId, before.deliveredKwh(0), after.energy().deliveredKwh(0), before.receivedKwh(0),
                after.energy().receivedKwh(0), after.generation());
    }

    /**
     * The guided calibration of one element against reference values read over the same time.
     *
     * @param seconds each of the two runs (before and after the correction), 5 to 300
     */
    public record CalibrationRequest(Integer element, Double seconds, Double voltage, Double current, Double power,
            Double reactive, Boolean dryRun) {
    }

    public record Errors(double voltage, double current, Double power, Double reactive) {
        static Errors of(CalibrationRun.Errors e) {
            return new Errors(e.voltage(), e.current(), Double.isNaN(e.power()) ? null : e.power(),
                    Double.isNaN(e.reactive()) ? null : e.reactive());
        }
    }

    public record RunView(double seconds, int windows, int skipped, double voltage, double current, double power,
            double reactive, double frequency, Errors errors) {
        static RunView of(CalibrationRun.Averages a, CalibrationRun.Errors e) {
            return new RunView(a.seconds(), a.windows(), a.skipped(), a.voltage(), a.current(), a.power(),
                    a.reactive(), a.frequency(), Errors.of(e));
        }
    }

    public record Calibrated(String meter, int element, boolean stored, String phaseNote, RunView before,
            RunView after, Views.Calibration calibration) {
    }

    @POST
    @Path("meters/{id}/calibration")
    @Blocking
    @Operation(summary = "Calibrate one element against reference values: measure, correct, measure again, store")
    public Calibrated calibrate(@PathParam("id") String id, CalibrationRequest body, RoutingContext rc) {
        MeterRuntime m = meter(id);
        requireBody(body, "element, seconds, voltage, current and power");
        int elements = m.spec().elements();
        int element = body.element() == null ? 1 : body.element();
        if (element < 1 || element > elements) {
            throw ApiException.notAllowed("element", element, "1" + (elements == 2 ? " or 2" : ""));
        }
        double seconds = body.seconds() == null ? 30 : body.seconds();
        if (!(seconds >= 5 && seconds <= 300)) {
            throw ApiException.notAllowed("seconds", body.seconds(), "5 to 300");
        }
        CalibrationRun.Reference ref;
        try {
            ref = new CalibrationRun.Reference(required("voltage", body.voltage()), required("current", body.current()),
                    optional(body.power()), optional(body.reactive()));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage().startsWith("reference voltage") ? "voltage"
                    : e.getMessage().startsWith("reference current") ? "current" : "power", e.getMessage());
        }
        MeterCalibration current = gateway.calibration(id).orElse(MeterCalibration.none(elements));
        CalibrationRun before = measure(m, element, seconds);
        CalibrationRun.Result result;
        try {
            result = before.solve(ref, current.trim().element(element));
        } catch (IllegalArgumentException e) {
            throw new ApiException(409, "", e.getMessage());
        }
        Instant now = Clock.systemUTC().instant();
        MeterCalibration calibrated = current.withTrim(current.trim().with(element, result.trim()), now);
        RunView beforeView = RunView.of(before.averages(), result.before());
        if (Boolean.TRUE.equals(body.dryRun())) {
            return new Calibrated(id, element, false, result.phaseNote(), beforeView, null,
                    Views.calibration(calibrated));
        }
        String line = String.format(Locale.ROOT, "%s api calibration of element %d by %s against V %s A %s W %s var %s"
                + " over %s s: errors before V %s I %s P %s; was: %s; now: %s", now, element, principal(rc),
                ref.voltage(), ref.current(), body.power(), body.reactive(), seconds, result.before().voltage(),
                result.before().current(), result.before().power(), current.describe(), calibrated.describe());
        MeterRuntime fresh;
        try {
            fresh = gateway.restartMeter(id, UnaryOperator.identity(), calibrated, line);
        } catch (RuntimeException e) {
            throw new ApiException(409, "", "not calibrated: " + e.getMessage());
        }
        CalibrationRun after = measure(fresh, element, seconds);
        CalibrationRun.Errors afterErrors = CalibrationRun.Errors.of(after.averages(), ref);
        fresh.audit(String.format(Locale.ROOT, "%s api calibration of element %d verified: errors after V %s I %s P %s",
                Clock.systemUTC().instant(), element, afterErrors.voltage(), afterErrors.current(),
                afterErrors.power()));
        return new Calibrated(id, element, true, result.phaseNote(), beforeView,
                RunView.of(after.averages(), afterErrors), Views.calibration(calibrated));
    }

    /** {@code seconds} of the running meter's windows, gathered as they close (the meter runs on). */
    private static CalibrationRun measure(MeterRuntime m, int element, double seconds) {
        CalibrationRun run = new CalibrationRun(element);
        double[] measured = {0};
        Consumer<Measurement> listener = x -> {
            synchronized (run) {
                run.add(x);
                measured[0] += x.seconds();
            }
        };
        m.addMeasurementListener(listener);
        long deadline = System.nanoTime() + (long) ((seconds * 3 + 10) * 1e9);
        try {
            while (true) {
                synchronized (run) {
                    if (measured[0] >= seconds) {
                        return run;
                    }
                }
                if (System.nanoTime() - deadline > 0 || !m.available()) {
                    throw new ApiException(409, "", "meter " + m.id() + " delivered no measurements"
                            + (m.available() ? "" : ": " + m.sourceProblem()));
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "", "interrupted");
        } finally {
            m.removeMeasurementListener(listener);
        }
    }

    /** A POST without a body (or with {@code null}) gets a 400 saying what the body holds. */
    private static void requireBody(Object body, String fields) {
        if (body == null) {
            throw ApiException.badRequest("", "a JSON body with " + fields);
        }
    }

    private MeterRuntime meter(String id) {
        return gateway.meter(id).orElseThrow(() -> ApiException.notFound("no meter '" + id + "'"));
    }

    private static void audit(MeterRuntime m, RoutingContext rc, String what) {
        String line = Clock.systemUTC().instant() + " api " + what + " by " + principal(rc);
        m.audit(line);
        LOG.infof("Meter %s: %s", m.id(), line);
    }

    private static String principal(RoutingContext rc) {
        Object p = rc == null ? null : rc.get(ActionGuard.PRINCIPAL);
        return p == null ? "unknown" : p.toString();
    }

    private static double required(String field, Double v) {
        if (v == null) {
            throw ApiException.badRequest(field, field + " is required (the reference's value)");
        }
        return v;
    }

    private static OptionalDouble optional(Double v) {
        return v == null ? OptionalDouble.empty() : OptionalDouble.of(v);
    }

    private static OptionalLong microWh(String field, Double kwh) {
        if (kwh == null) {
            return OptionalLong.empty();
        }
        if (!(kwh >= 0 && kwh <= 1e9)) {
            throw ApiException.notAllowed(field, kwh, "0 to 1000000000 kWh");
        }
        return OptionalLong.of(Math.round(kwh * 1e9));
    }
}
