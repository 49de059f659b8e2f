package org.minimeter.gateway.api;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Prometheus' own {@code promtool check metrics}: reads an exposition on stdin, exits 0 when
 * it parses, and prints one line per lint problem (a counter without {@code _total}, a
 * non-base unit, missing help, ...). From Debian's {@code prometheus} package, which
 * {@code scripts/test.sh} installs.
 */
final class Promtool {

    static final String INSTALL_HINT = "install it with `apt-get install -y prometheus` (bash scripts/test.sh does this)";

    private Promtool() {
    }

    /** Exit code and everything promtool printed (stdout and stderr). */
    record Result(int exitCode, String output) {
    }

    static String binary() {
        List<String> dirs = new ArrayList<>(List.of("/usr/bin", "/usr/local/bin"));
        String path = System.getenv("PATH");
        if (path != null) {
            dirs.addAll(List.of(path.split(":")));
        }
        for (String dir : dirs) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "promtool"))) {
                return Path.of(dir, "promtool").toString();
            }
        }
        throw new IllegalStateException("promtool not found; " + INSTALL_HINT);
    }

    static Result checkMetrics(String exposition) {
        try {
            Process p = new ProcessBuilder(binary(), "check", "metrics").redirectErrorStream(true).start();
            CompletableFuture<Void> in = CompletableFuture.runAsync(() -> {
                try (OutputStream out = p.getOutputStream()) {
                    out.write(exposition.getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("promtool check metrics did not finish in 60 s");
            }
            in.join();
            return new Result(p.exitValue(), out.join());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run promtool", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
