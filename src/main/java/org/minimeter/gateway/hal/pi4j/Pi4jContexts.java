package org.minimeter.gateway.hal.pi4j;

import com.pi4j.Pi4J;
import com.pi4j.context.Context;
import com.pi4j.context.ContextBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * What every Pi4J adapter here shares: a context built explicitly with only the chosen
 * provider, and errors turned into one readable line.
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
