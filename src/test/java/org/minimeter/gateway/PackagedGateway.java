package org.minimeter.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The packaged gateway ({@code target/quarkus-app/quarkus-run.jar}) run as a user runs it, for
 * the integration tests: from a working directory holding {@code config/application.properties},
 * with its output appended to a log file there. The jar only exists after {@code mvn package},
 * which is why these tests run under failsafe in {@code mvn verify}.
 */
public final class PackagedGateway {

    /** The log the gateway's output goes to, in the working directory. */
    public static final String LOG = "gateway.log";

    private static final Duration START_UP = Duration.ofSeconds(60);
    /** A clean stop commits every meter's register and drains the outbox; a kill has nothing to wait for. */
    private static final Duration CLEAN_STOP = Duration.ofSeconds(30);
    private static final Duration KILL = Duration.ofSeconds(10);

    private PackagedGateway() {
    }

    /** Writes {@code config/application.properties} in {@code work}, one property a line. */
    public static void writeConfig(Path work, List<String> lines) throws IOException {
        Files.createDirectories(work.resolve("config"));
        Files.writeString(work.resolve("config/application.properties"), String.join("\n", lines) + "\n",
                StandardCharsets.UTF_8);
    }

    public static void writeConfig(Path work, String... lines) throws IOException {
        writeConfig(work, List.of(lines));
    }

    /** {@code java -jar quarkus-run.jar args...} in {@code work}, standard error merged into its output. */
    public static ProcessBuilder command(Path work, String... args) {
        Path jar = Path.of("target/quarkus-app/quarkus-run.jar").toAbsolutePath();
        assertThat(jar).as("packaged by mvn package before the integration tests").exists();
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-jar", jar.toString()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true);
    }

    /** The gateway, its output appended to {@link #LOG}: a restart in the same directory adds to the same log. */
    public static Process start(Path work) throws IOException {
        return start(work, LOG);
    }

    public static Process start(Path work, String log) throws IOException {
        return command(work).redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve(log).toFile())).start();
    }

    /**
     * Waits until the gateway's start-up probe ({@code /q/health/started}) answers 200 on
     * {@code httpPort}, failing at once with the log if the process ends first.
     */
    public static void awaitStarted(Process gw, Path work, int httpPort) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest started = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/q/health/started"))
                .timeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + START_UP.toNanos();
        while (System.nanoTime() < deadline) {
            if (!gw.isAlive()) {
                fail("the gateway stopped at start-up:\n" + log(work));
            }
            try {
                if (http.send(started, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            TimeUnit.MILLISECONDS.sleep(200); // polling interval, not an assertion
        }
        fail("the gateway did not start in " + START_UP.toSeconds() + " s:\n" + log(work));
    }

    /**
     * Starts the gateway on a configuration it must refuse: it ends by itself with status 1,
     * saying "Invalid configuration" without a stack trace. Returns the log for the test to
     * check the message.
     */
    public static String refusedStartUp(Path work) throws Exception {
        Process gw = start(work);
        try {
            assertThat(gw.waitFor(START_UP.toSeconds(), TimeUnit.SECONDS)).as("ended by itself").isTrue();
        } finally {
            gw.destroyForcibly();
        }
        String log = log(work);
        assertThat(gw.exitValue()).as(log).isEqualTo(1);
        assertThat(log).contains("Invalid configuration").doesNotContain("\tat ");
        return log;
    }

    /**
     * SIGTERM, the clean stop a service manager does; killed if it has not ended in time, so
     * no gateway outlives its test. Returns whether it stopped by itself.
     */
    public static boolean stop(Process gw) throws InterruptedException {
        gw.destroy();
        boolean stopped = gw.waitFor(CLEAN_STOP.toSeconds(), TimeUnit.SECONDS);
        if (!stopped) {
            kill(gw);
        }
        return stopped;
    }

    /** kill -9: a power cut as far as the gateway is concerned; the broker's will speaks for it. */
    public static void kill(Process gw) throws InterruptedException {
        gw.destroyForcibly().waitFor(KILL.toSeconds(), TimeUnit.SECONDS);
    }

    /** The gateway's output so far (the log exists from the moment the gateway is started). */
    public static String log(Path work) {
        try {
            return Files.readString(work.resolve(LOG));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A loopback port free at the time of asking, for a listener the gateway opens. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
