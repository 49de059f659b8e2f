package org.minimeter.gateway.mqtt.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Process plumbing shared by the Mosquitto helpers: locating the command-line tools, running
 * a short-lived command with a timeout, and making sure no child process outlives the test JVM
 * (a forgotten broker would otherwise keep its port and its temp dir after the build).
 */
final class Cli {

    /** What `scripts/test.sh` installs; repeated in every "tool missing" message. */
    static final String INSTALL_HINT = "install it with `apt-get install -y mosquitto mosquitto-clients openssl` "
            + "(bash scripts/test.sh does this)";

    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly),
                "mosquitto-test-reaper"));
    }

    private Cli() {
    }

    /** The result of a short-lived command: exit code (-1 if it had to be killed) and stdout+stderr. */
    record Result(int exitCode, String output) {
        boolean succeeded() {
            return exitCode == 0;
        }
    }

    /**
     * Absolute path of a tool: the Debian locations first (/usr/sbin is not on a non-root PATH),
     * then PATH. Fails with an install hint rather than letting ProcessBuilder say "error=2".
     */
    static String tool(String name) {
        List<String> dirs = new ArrayList<>(List.of("/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"));
        String path = System.getenv("PATH");
        if (path != null) {
            dirs.addAll(List.of(path.split(":")));
        }
        for (String dir : dirs) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        throw new IllegalStateException(name + " not found; " + INSTALL_HINT);
    }

    static boolean hasTool(String name) {
        try {
            tool(name);
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    /** Starts a long-lived child and registers it for the JVM-exit reaper. */
    static Process start(ProcessBuilder builder) {
        try {
            Process process = builder.start();
            LIVE.add(process);
            process.onExit().thenRun(() -> LIVE.remove(process));
            return process;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + builder.command(), e);
        }
    }

    /** Runs a command to completion (stdin closed), killing it after the timeout. */
    static Result run(List<String> command, Duration timeout) {
        return run(command, java.util.Map.of(), timeout);
    }

    /** {@link #run(List, Duration)} with these variables added to the environment. */
    static Result run(List<String> command, java.util.Map<String, String> environment, Duration timeout) {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().putAll(environment);
        Process process = start(builder);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = drain(process.getInputStream(), out, "cli-output");
        try {
            boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            reader.join(2000);
            String text;
            synchronized (out) {
                text = out.toString(StandardCharsets.UTF_8);
            }
            return finished ? new Result(process.exitValue(), text)
                    : new Result(-1, text + "\n[killed after " + timeout.toMillis() + " ms]");
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command, e);
        }
    }

    /** Like {@link #run} but any non-zero exit is an error that carries the command's output. */
    static String runOrFail(List<String> command, Duration timeout) {
        Result result = run(command, timeout);
        if (!result.succeeded()) {
            throw new IllegalStateException("command failed (exit " + result.exitCode() + "): "
                    + String.join(" ", command) + "\n" + result.output());
        }
        return result.output();
    }

    /** Copies a stream into a buffer on a daemon thread (a full pipe would block the child). */
    static Thread drain(InputStream in, ByteArrayOutputStream sink, String name) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[4096];
            try (in) {
                int n;
                while ((n = in.read(buffer)) > 0) {
                    synchronized (sink) {
                        sink.write(buffer, 0, n);
                    }
                }
            } catch (IOException e) {
                // The process went away; whatever was read is kept.
            }
        }, name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /** Stops a child gracefully (SIGTERM), escalating to SIGKILL after the grace period. */
    static void terminate(Process process, Duration grace) {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** SIGKILL and wait until the kernel has reaped the process (so its port is released). */
    static void kill(Process process) {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void deleteRecursively(Path root) {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // Best effort: a leftover temp file must not fail the test that owned it.
                }
            });
        } catch (IOException e) {
            // Same: best effort.
        }
    }
}
