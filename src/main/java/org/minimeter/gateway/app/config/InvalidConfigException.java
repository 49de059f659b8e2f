package org.minimeter.gateway.app.config;

import io.quarkus.runtime.configuration.ConfigurationException;
import java.util.List;

/**
 * One or more configuration values are outside what is allowed; one line per problem.
 * Quarkus reports a {@link ConfigurationException} at start-up by its message alone, without
 * a stack trace, and exits with status 1.
 */
public final class InvalidConfigException extends ConfigurationException {

    private final List<String> problems;

    public InvalidConfigException(List<String> problems) {
        super("Invalid configuration:\n  " + String.join("\n  ", problems));
        this.problems = List.copyOf(problems);
    }

    /** Each: {@code key=value is not allowed: allowed ...}. */
    public List<String> problems() {
        return problems;
    }
}
