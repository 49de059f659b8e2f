package org.minimeter.gateway.api;

import io.smallrye.mutiny.Multi;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestStreamElementType;
import org.minimeter.gateway.app.Gateway;
import org.minimeter.gateway.app.MeterRuntime;
import org.minimeter.gateway.app.MeterStatus;
import org.minimeter.gateway.persistence.history.IntervalHistory;

/** The read-only API: the gateway, its meters, their history, the configuration, a live stream. */
@Path("/api")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "read", description = "Read-only: needs no credential")
public class GatewayApi {

    /** Keys whose values are never shown: passwords, tokens, private keys. */
    static final Pattern SECRET = Pattern.compile("(?i).*(password|passwd|secret|token|credential|private|key-store"
            + "|keystore|trust-store-password|sha256).*");
    private static final List<String> OURS = List.of("meter.", "meters.", "hal.", "simulator.", "replay.", "storage.",
            "outputs.", "mqtt.", "ha.", "gateway.", "api.", "sparkplug.", "modbus.", "quarkus.http.");

    @Inject
    Gateway gateway;

    @GET
    @Path("gateway")
    @Operation(summary = "The gateway: id, version, uptime, MQTT state, its meters")
    public Views.Gateway gatewayView() {
        var p = gateway.publisher();
        var stats = p.map(x -> x.outboxStats()).orElse(null);
        Views.Mqtt mqtt = p.map(x -> new Views.Mqtt(x.broker(), x.connected(), x.protocol(), x.reconnects(),
                stats.depth(), stats.dropped())).orElse(null);
        return new Views.Gateway(gateway.id(), version(), gateway.uptimeSeconds(), gateway.started(), mqtt,
                gateway.meters().stream().map(MeterRuntime::id).toList());
    }

    @GET
    @Path("meters")
    @Operation(summary = "Every meter: source, latest reading per element, register, pulses, alarms, calibration")
    public List<Views.Meter> meters() {
        return gateway.statuses().stream().map(s -> view(s)).toList();
    }

    @GET
    @Path("meters/{id}")
    @Operation(summary = "One meter")
    public Views.Meter meter(@PathParam("id") String id) {
        return view(gateway.status(id).orElseThrow(() -> ApiException.notFound("no meter '" + id + "'")));
    }

    private Views.Meter view(MeterStatus s) {
        MeterRuntime m = gateway.meter(s.meter()).orElseThrow(() -> ApiException.notFound("no meter '" + s.meter()
                + "'"));
        return Views.meter(m, s, gateway.calibration(s.meter()).orElse(null));
    }

    @GET
    @Path("config")
    @Operation(summary = "The effective configuration, secrets masked")
    public Map<String, Object> config() {
        Map<String, String> props = new TreeMap<>();
        var config = ConfigProvider.getConfig();
        for (String name : config.getPropertyNames()) {
            if (OURS.stream().anyMatch(name::startsWith)) {
                String v = config.getConfigValue(name).getValue();
                props.put(name, v == null ? "" : SECRET.matcher(name).matches() ? "****" : v);
            }
        }
        return Map.of("effective", gateway.describe(), "properties", props);
    }

    @GET
    @Path("meters/{id}/history")
    @Produces({MediaType.APPLICATION_JSON, "text/csv"})
    @Operation(summary = "Interval energy for a range and step (1m, 15m, 1h, 1d); format=csv for CSV")
    public Response history(@PathParam("id") String id, @QueryParam("from") String from, @QueryParam("to") String to,
            @QueryParam("step") String step, @QueryParam("format") String format) {
        IntervalHistory h = history(id);
        Instant end = to == null ? Instant.now().truncatedTo(ChronoUnit.MINUTES) : instant("to", to);
        Instant start = from == null ? end.minus(Duration.ofDays(1)) : instant("from", from);
        Duration d = step(step == null ? "1h" : step);
        return render(id, query("from/to/step", () -> h.intervals(start, end, d)), format);
    }

    @GET
    @Path("meters/{id}/history/daily")
    @Produces({MediaType.APPLICATION_JSON, "text/csv"})
    @Operation(summary = "Daily totals (local days in zone, default the gateway's), both ends inclusive")
    public Response daily(@PathParam("id") String id, @QueryParam("from") String from, @QueryParam("to") String to,
            @QueryParam("zone") String zone, @QueryParam("format") String format) {
        IntervalHistory h = history(id);
        ZoneId z = zone(zone);
        LocalDate last = to == null ? LocalDate.now(z) : date("to", to);
        LocalDate first = from == null ? last.minusDays(29) : date("from", from);
        return render(id, query("from/to", () -> h.daily(first, last, z)), format);
    }

    @GET
    @Path("meters/{id}/history/monthly")
    @Produces({MediaType.APPLICATION_JSON, "text/csv"})
    @Operation(summary = "Monthly totals (yyyy-MM), both ends inclusive")
    public Response monthly(@PathParam("id") String id, @QueryParam("from") String from, @QueryParam("to") String to,
            @QueryParam("zone") String zone, @QueryParam("format") String format) {
        IntervalHistory h = history(id);
        ZoneId z = zone(zone);
        YearMonth last = to == null ? YearMonth.now(z) : month("to", to);
        YearMonth first = from == null ? last.minusMonths(11) : month("from", from);
        return render(id, query("from/to", () -> h.monthly(first, last, z)), format);
    }

    /** Every meter's latest values once a second, for the dashboard. */
    @GET
    @Path("stream")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    @Operation(summary = "Server-sent events: every meter's latest reading, register and alarms, each second")
    public Multi<Live> stream() {
        return Multi.createFrom().ticks().startingAfter(Duration.ofMillis(1)).every(Duration.ofSeconds(1))
                .onOverflow().drop().map(t -> live());
    }

    record LiveMeter(String id, boolean available, String sourceProblem, Views.Reading reading, double deliveredKwh,
            double receivedKwh, Map<String, Long> pulseSeq, long counterBacklog, List<String> alarms) {
    }

    record Live(Instant ts, boolean mqttConnected, long outboxDepth, List<LiveMeter> meters) {
    }

    Live live() {
        List<LiveMeter> out = new ArrayList<>();
        for (MeterStatus s : gateway.statuses()) {
            MeterRuntime m = gateway.meter(s.meter()).orElse(null);
            if (m == null) {
                continue;
            }
            var live = m.energy();
            var d = m.durable();
            out.add(new LiveMeter(m.id(), s.sampling(), s.sourceProblem(), Views.reading(m.latest()),
                    live.deliveredKwh(0), live.receivedKwh(0), d.sequences(), d.counterBacklog(), s.activeAlarms()));
        }
        var p = gateway.publisher();
        return new Live(Instant.now(), p.map(x -> x.connected()).orElse(false),
                p.map(x -> x.outboxStats().depth()).orElse(0L), out);
    }

    private IntervalHistory history(String id) {
        MeterRuntime m = gateway.meter(id).orElseThrow(() -> ApiException.notFound("no meter '" + id + "'"));
        return m.history().orElseThrow(() -> ApiException.notFound("meter '" + id + "' keeps no history"));
    }

    /** A range the history refuses (reversed, too long, off the minute) is the request's fault: a 400. */
    private static List<IntervalHistory.Interval> query(String fields, Supplier<List<IntervalHistory.Interval>> q) {
        try {
            return q.get();
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(fields, e.getMessage());
        }
    }

    record Row(Instant start, Instant end, double[] deliveredWh, double[] receivedWh, double coverage) {
    }

    record HistoryView(String meter, List<String> slots, List<Row> intervals) {
    }

    private static Response render(String id, List<IntervalHistory.Interval> list, String format) {
        if ("csv".equalsIgnoreCase(format)) {
            StringBuilder b = new StringBuilder();
            try {
                if (!list.isEmpty()) {
                    IntervalHistory.writeCsv(list, b);
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            return Response.ok(b.toString(), "text/csv").header("Content-Disposition",
                    "inline; filename=\"" + id + "-history.csv\"").build();
        }
        if (format != null && !format.equalsIgnoreCase("json")) {
            throw ApiException.notAllowed("format", format, "json or csv");
        }
        List<Row> rows = new ArrayList<>(list.size());
        for (IntervalHistory.Interval i : list) {
            double[] del = new double[i.elements() + 1];
            double[] rec = new double[i.elements() + 1];
            for (int s = 0; s <= i.elements(); s++) {
                del[s] = i.deliveredMicroWh(s) / 1e6;
                rec[s] = i.receivedMicroWh(s) / 1e6;
            }
            rows.add(new Row(i.start(), i.end(), del, rec, i.coverage()));
        }
        int elements = list.isEmpty() ? 0 : list.get(0).elements();
        List<String> slots = new ArrayList<>(List.of("total"));
        for (int e = 1; e <= elements; e++) {
            slots.add(String.valueOf(e));
        }
        return Response.ok(new HistoryView(id, slots, rows), MediaType.APPLICATION_JSON_TYPE).build();
    }

    private static Instant instant(String field, String v) {
        return parse(field, v, Instant::parse, "an instant like 2026-11-30T00:00:00Z");
    }

    private static LocalDate date(String field, String v) {
        return parse(field, v, LocalDate::parse, "a date like 2026-11-30");
    }

    private static YearMonth month(String field, String v) {
        return parse(field, v, YearMonth::parse, "a month like 2026-11");
    }

    private static <T> T parse(String field, String v, Function<String, T> parser, String like) {
        try {
            return parser.apply(v);
        } catch (DateTimeParseException e) {
            throw ApiException.badRequest(field, field + "=" + v + " is not " + like);
        }
    }

    private static ZoneId zone(String v) {
        if (v == null || v.isBlank()) {
            return ZoneId.systemDefault();
        }
        try {
            return ZoneId.of(v);
        } catch (RuntimeException e) {
            throw ApiException.badRequest("zone", "zone=" + v + " is not a time zone like Europe/Berlin or UTC");
        }
    }

    static Duration step(String v) {
        return switch (v) {
            case "1m", "PT1M" -> Duration.ofMinutes(1);
            case "15m", "PT15M" -> Duration.ofMinutes(15);
            case "1h", "PT1H" -> Duration.ofHours(1);
            case "1d", "P1D", "PT24H" -> Duration.ofDays(1);
            default -> throw ApiException.notAllowed("step", v, "1m, 15m, 1h, 1d");
        };
    }

    static String version() {
        return ConfigProvider.getConfig().getOptionalValue("quarkus.application.version", String.class).orElse("dev");
    }
}
