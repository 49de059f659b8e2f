package org.minimeter.gateway.hal.pi4j;

import com.pi4j.Pi4J;
import com.pi4j.context.Context;
import com.pi4j.context.ContextBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * What every Pi4J adapter here shares: a context built explicitly with only the chosen
 * provider, the devices it opened closed with it, and errors turned into one readable line.
 *
 * <p>Explicit, never auto-detected: Pi4J's auto-detection leaves the mock plugins out on a real
 * Pi and picks providers by priority, so the backend would depend on the board rather than on
 * the configuration; it also loads plugins through {@code ServiceLoader}, which a native image
 * would have to register.
 */
final class Pi4jContexts {

    private Pi4jContexts() {
    }

    /**
     * Builds a context holding only what {@code additions} adds (a platform, providers).
     *
     * @param what the backend, for the error: e.g. {@code Pi4J linuxfs SPI provider}
     * @param requirement what the backend needs, appended to the error when not empty
     * @throws IllegalStateException if Pi4J cannot start it, naming the backend and the cause
     */
    static Context build(String what, String requirement, Consumer<ContextBuilder> additions) {
        // No Pi4J JVM shutdown hook: the gateway closes its lines and devices from its own
        // shutdown, in order; an unordered second hook could cut a pulse short or close an SPI
        // device under a driver that is still reading it.
        ContextBuilder builder = Pi4J.newContextBuilder().noAutoDetect().disableShutdownHook();
        try {
            additions.accept(builder);
            return builder.build();
        } catch (RuntimeException | LinkageError e) {
            throw new IllegalStateException(what + " could not start: " + causes(e) + hint(requirement), e);
        }
    }

    /**
     * The error for a provider name that is missing or not one of {@code allowed}.
     *
     * @param kind e.g. {@code Pi4J SPI provider}
     */
    static IllegalArgumentException notAllowed(String kind, String provider, List<String> allowed) {
        return new IllegalArgumentException(provider == null
                ? kind + " is missing: allowed " + String.join(", ", allowed)
                : kind + " '" + provider + "' is not allowed: allowed " + String.join(", ", allowed));
    }

    /**
     * Why a device-backed provider was chosen, with the devices named {@code prefix*} in
     * {@code dir}: a provider that then fails to open one says at start-up what was there.
     */
    static String reason(String provider, Path dir, String prefix) {
        List<String> present = devices(dir, prefix);
        String found = present.isEmpty() ? "no " + prefix + " device in " + dir
                : String.join(", ", present) + " in " + dir;
        return ("auto".equals(provider) ? "auto: " : "chosen explicitly; ") + found;
    }

    /**
     * Runs {@code create} (a {@code context.create(config)}) and turns Pi4J's failure into one
     * line: {@code failure}, the causes and the requirement.
     *
     * @throws IllegalStateException if Pi4J cannot create the I/O
     */
    static <T> T create(Supplier<T> create, String failure, String requirement) {
        try {
            return create.get();
        } catch (RuntimeException | LinkageError e) {
            throw new IllegalStateException(failure + ": " + causes(e) + hint(requirement), e);
        }
    }

    /**
     * Releases the I/O {@code id} in a context that may already be shut down; a failure is
     * only logged, as {@code failure}: the caller is closing, with nothing left to undo.
     */
    static void release(Logger log, Context context, String id, String failure) {
        try {
            if (!context.isShutdown()) {
                context.shutdown(id);
            }
        } catch (RuntimeException e) {
            log.warnf("%s: %s", failure, causes(e));
        }
    }

    /**
     * Closes each of {@code devices} (taken from the adapter under its lock), then the
     * context; a failure is logged and the rest still close, so one broken device cannot keep
     * a bus or a pin held.
     *
     * @param failure what to log for a device that failed to close, e.g. {@code Could not close x}
     * @param provider e.g. {@code Pi4J gpiod provider}, for a context that failed to shut down
     */
    static <T> void closeAll(Logger log, List<T> devices, Consumer<T> close, Function<T, String> failure,
            Context context, String provider) {
        for (T device : devices) {
            try {
                close.accept(device);
            } catch (RuntimeException e) {
                log.warnf("%s: %s", failure.apply(device), e.getMessage());
            }
        }
        try {
            context.shutdown();
        } catch (RuntimeException e) {
            log.warnf("%s did not shut down cleanly: %s", provider, causes(e));
        }
    }

    /** {@code " (requirement)"}, or nothing when there is none. */
    static String hint(String requirement) {
        return requirement == null || requirement.isEmpty() ? "" : " (" + requirement + ")";
    }

    /** The names in {@code dir} starting with {@code prefix}, sorted; none if it is no directory. */
    static List<String> devices(Path dir, String prefix) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(prefix)).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** The chain of causes, outermost first, e.g. for a file the kernel does not provide. */
    static String causes(Throwable e) {
        StringBuilder text = new StringBuilder();
        int depth = 0;
        for (Throwable t = e; t != null && depth < 4; t = t.getCause(), depth++) {
            if (depth > 0) {
                text.append(" <- ");
            }
            text.append(t.getClass().getSimpleName());
            if (t.getMessage() != null) {
                text.append(": ").append(t.getMessage());
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return text.toString();
    }
}
