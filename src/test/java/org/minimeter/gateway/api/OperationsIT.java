package org.minimeter.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.minimeter.gateway.PackagedGateway.freePort;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minimeter.gateway.PackagedGateway;

/**
 * The packaged gateway's HTTP surface as an operator uses it, with an independent HTTP client:
 * the probes follow a meter whose source is unplugged and plugged back, every action is
 * refused without the credential (and all of them while none is configured), the actions
 * work and are audited with it, bad bodies are answered with the field, secrets are masked,
 * and the OpenAPI document lists the API.
 */
class OperationsIT {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String TOKEN = "correct horse battery staple";
    static final List<String> ACTIONS = List.of("/api/meters/house/alarms/acknowledge", "/api/discovery",
            "/api/meters/house/register/seed", "/api/meters/house/calibration");

    @TempDir
    Path work;
    HttpClient http = HttpClient.newHttpClient();
    int port;

    private Process start(String... extra) throws Exception {
        port = freePort();
        List<String> lines = new ArrayList<>(List.of("storage.dir=" + work.resolve("data"), "quarkus.http.port=" + port,
                "mqtt.port=" + freePort(), "mqtt.password=hunter2", "mqtt.username=gw",
                "meters.house.simulator.speed=10", "meters.house.simulator.current=50",
                "meters.house.simulator.phase-deg=60", "meters.house.elements=1",
                "meters.shop.simulator.fault-file=" + work.resolve("unplug")));
        lines.addAll(List.of(extra));
        PackagedGateway.writeConfig(work, lines);
        Process p = PackagedGateway.start(work);
        PackagedGateway.awaitStarted(p, work, port);
        return p;
    }

    private static void stop(Process p) throws InterruptedException {
        assertThat(PackagedGateway.stop(p)).as("stopped cleanly").isTrue();
    }

    HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path, String token, String body) throws Exception {
        var b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static String sha256(String s) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void probesFollowAnUnpluggedSource_andActionsNeedTheCredential() throws Exception {
        Process gw = start("api.token-sha256=" + sha256(TOKEN), "api.max-failures-per-minute=50");
        try {
            assertThat(get("/q/health/live").statusCode()).isEqualTo(200);
            assertThat(get("/q/health/ready").statusCode()).isEqualTo(200);

            // unplug the shop's front end: it stops sampling, liveness names it and the cause
            Files.writeString(work.resolve("unplug"), "");
            await().atMost(Duration.ofSeconds(20)).until(() -> get("/q/health/live").statusCode() == 503);
            JsonNode live = JSON.readTree(get("/q/health/live").body());
            JsonNode shop = find(live, "meter shop");
            assertThat(shop.get("status").asText()).isEqualTo("DOWN");
            assertThat(shop.get("data").get("cause").asText()).startsWith("sampling stopped: ");
            assertThat(find(live, "meter house").get("status").asText()).isEqualTo("UP");
            assertThat(JSON.readTree(get("/api/meters/shop").body()).get("available").asBoolean()).isFalse();
            // the alarm follows on the next alarm dispatch (every 200 ms)
            await().atMost(Duration.ofSeconds(5)).until(() -> JSON.readTree(get("/api/meters/shop").body())
                    .get("alarms").get("active").toString().contains("source_failed"));
            // plugged back: alive again; the alarm stays latched until acknowledged
            Files.delete(work.resolve("unplug"));
            await().atMost(Duration.ofSeconds(20)).until(() -> get("/q/health/live").statusCode() == 200);
            assertThat(JSON.readTree(get("/api/meters/shop").body()).get("alarms").get("latched").toString())
                    .contains("source_failed");

            // every action: refused without a credential and with a wrong one, nothing changed
            for (String path : ACTIONS) {
                assertThat(post(path, null, "{}").statusCode()).as(path).isEqualTo(401);
                assertThat(post(path, "wrong", "{}").statusCode()).as(path).isEqualTo(401);
            }
            assertThat(Files.readString(work.resolve("data/house/audit.log"))).doesNotContain(" api ");
            assertThat(PackagedGateway.log(work)).contains("API: refused POST");

            // with it: acknowledge, then the latched list is empty and the audit says who
            var ack = post("/api/meters/shop/alarms/acknowledge", TOKEN, "");
            assertThat(ack.statusCode()).as(ack.body()).isEqualTo(200);
            assertThat(ack.body()).contains("source_failed");
            assertThat(JSON.readTree(get("/api/meters/shop").body()).get("alarms").get("latched")).isEmpty();
            assertThat(Files.readString(work.resolve("data/shop/audit.log")))
                    .containsPattern("api alarms acknowledged: [a-z_,]*source_failed")
                    .contains("by token from 127.0.0.1");

            // a malformed body: 400 naming the field, no stack trace
            var bad = post("/api/meters/house/register/seed", TOKEN, "{\"seed_id\":\"u1\",\"delivered_kwh\":\"lots\"}");
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(JSON.readTree(bad.body()).get("field").asText()).isEqualTo("delivered_kwh");
            assertThat(bad.body()).doesNotContain("\tat ", "Exception");
            var badId = post("/api/meters/house/register/seed", TOKEN, "{\"seed_id\":\"no spaces\",\"delivered_kwh\":5}");
            assertThat(JSON.readTree(badId.body()).get("field").asText()).isEqualTo("seed_id");

            // seeding: the register continues from the seed, once per id, never backwards unasked
            var seeded = post("/api/meters/house/register/seed", TOKEN, "{\"seed_id\":\"utility-1\",\"delivered_kwh\":4321.5}");
            assertThat(seeded.statusCode()).as(seeded.body()).isEqualTo(200);
            assertThat(JSON.readTree(seeded.body()).get("delivered_kwh").asDouble()).isEqualTo(4321.5);
            await().atMost(Duration.ofSeconds(10)).until(() -> total(get("/api/meters/house").body()) > 4321.5);
            assertThat(post("/api/meters/house/register/seed", TOKEN, "{\"seed_id\":\"utility-1\",\"delivered_kwh\":5000}")
                    .statusCode()).isEqualTo(409);
            var backwards = post("/api/meters/house/register/seed", TOKEN, "{\"seed_id\":\"utility-2\",\"delivered_kwh\":1}");
            assertThat(backwards.statusCode()).isEqualTo(409);
            assertThat(backwards.body()).contains("backwards");
            assertThat(total(get("/api/meters/house").body())).isGreaterThan(4321.5);
            assertThat(Files.readString(work.resolve("data/house/audit.log"))).contains("seed id=utility-1");

            // calibration against a reference 1 % high on V, 2 % low on I at PF 0.5
            double p = 121.2 * 49 * 0.5;
            var cal = post("/api/meters/house/calibration", TOKEN, "{\"element\":1,\"seconds\":5,\"voltage\":121.2,"
                    + "\"current\":49,\"power\":" + p + "}");
            assertThat(cal.statusCode()).as(cal.body()).isEqualTo(200);
            JsonNode c = JSON.readTree(cal.body());
            assertThat(c.get("before").get("errors").get("voltage").asDouble()).isBetween(-0.0105, -0.0095);
            assertThat(Math.abs(c.get("after").get("errors").get("voltage").asDouble())).isLessThan(0.001);
            assertThat(Math.abs(c.get("after").get("errors").get("power").asDouble())).isLessThan(0.002);
            JsonNode reading = JSON.readTree(get("/api/meters/house").body()).get("reading").get("elements").get(0);
            assertThat(reading.get("voltage_v").asDouble()).isBetween(121.0, 121.4);
            assertThat(Files.readString(work.resolve("data/house/calibration.properties"))).contains("e1.voltage-factor");
            assertThat(Files.readString(work.resolve("data/house/audit.log"))).contains("api calibration of element 1")
                    .contains("verified: errors after");

            // read-only surface
            String config = get("/api/config").body();
            assertThat(config).contains("\"mqtt.password\":\"****\"").doesNotContain("hunter2");
            assertThat(get("/q/openapi").body()).contains("/api/meters/{id}/calibration", "/api/meters/{id}/history");
            assertThat(get("/api/meters/attic").statusCode()).isEqualTo(404);
            assertThat(JSON.readTree(get("/api/meters/house/history?step=7m").body()).get("field").asText())
                    .isEqualTo("step");
        } finally {
            stop(gw);
        }
        assertThat(PackagedGateway.log(work)).doesNotContain("\tat ");
    }

    @Test
    void withoutACredentialEveryActionIsRefused() throws Exception {
        Process gw = start();
        try {
            for (String path : ACTIONS) {
                var r = post(path, TOKEN, "{}");
                assertThat(r.statusCode()).as(path).isEqualTo(403);
                assertThat(r.body()).contains("api.token-sha256");
            }
            // reading needs nothing
            assertThat(get("/api/meters").statusCode()).isEqualTo(200);
        } finally {
            stop(gw);
        }
    }

    private static JsonNode find(JsonNode health, String name) {
        for (JsonNode c : health.get("checks")) {
            if (c.get("name").asText().equals(name)) {
                return c;
            }
        }
        throw new AssertionError("no check " + name + " in " + health);
    }

    private static double total(String meterJson) throws IOException {
        return JSON.readTree(meterJson).get("register").get("registers").get(0).get("delivered_kwh").asDouble();
    }
}
