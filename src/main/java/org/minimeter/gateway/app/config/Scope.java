package org.minimeter.gateway.app.config;

import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;

/** Whose keys are read: the flat single meter, or {@code meters.<id>} over the flat keys. */
record Scope(Optional<String> meter) {

    static final Scope FLAT = new Scope(Optional.empty());

    static Scope named(String id) {
        return new Scope(Optional.of(id));
    }

    boolean named() {
        return meter.isPresent();
    }

    /** {@code meters.<id>.<sub>}; only meaningful for a named meter. */
    String own(String sub) {
        return "meters." + meter.orElseThrow() + "." + sub;
    }

    /** A meter's own value when it sets one, else the flat key's (its default included). */
    <T> Setting<T> pick(Optional<T> own, String sub, T flat, String flatKey) {
        if (meter.isPresent() && own.isPresent()) {
            return new Setting<>(own.get(), own(sub), "");
        }
        return new Setting<>(flat, flatKey, meter.map(id -> " (inherited by meters." + id + ")").orElse(""));
    }

    /** As {@link #pick} for keys without a default: unset in both places stays unset. */
    <T> Setting<Optional<T>> pickOptional(Optional<T> own, String sub, Optional<T> flat, String flatKey) {
        return pick(own.map(Optional::of), sub, flat, flatKey);
    }

    static Optional<Double> boxed(OptionalDouble d) {
        return d.isPresent() ? Optional.of(d.getAsDouble()) : Optional.empty();
    }

    static Optional<Integer> boxed(OptionalInt i) {
        return i.isPresent() ? Optional.of(i.getAsInt()) : Optional.empty();
    }

    static Optional<Long> boxed(OptionalLong l) {
        return l.isPresent() ? Optional.of(l.getAsLong()) : Optional.empty();
    }
}
