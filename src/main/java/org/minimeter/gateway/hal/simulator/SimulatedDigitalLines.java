package org.minimeter.gateway.hal.simulator;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.minimeter.gateway.hal.DigitalLine;
import org.minimeter.gateway.hal.DigitalLines;
import org.minimeter.gateway.hal.MonotonicClock;

/**
 * Digital lines kept in memory, recording every edge with the clock's time. The fake in
 * tests, and a way to run the outputs with no GPIO at all.
 */
public final class SimulatedDigitalLines implements DigitalLines {

    /** One change of a line's state. */
    public record Edge(long nanos, boolean on) {
    }

    /** A line that remembers its edges. */
    public static final class RecordingLine implements DigitalLine {
        private final String name;
        private final MonotonicClock clock;
        private final List<Edge> edges = Collections.synchronizedList(new ArrayList<>());
        private volatile boolean on;
        private volatile boolean closed;

        RecordingLine(String name, MonotonicClock clock) {
            this.name = name;
            this.clock = clock;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public void set(boolean value) {
            if (closed) {
                throw new IllegalStateException(name + " is closed");
            }
            if (value != on) {
                on = value;
                edges.add(new Edge(clock.nanoTime(), value));
            }
        }

        @Override
        public boolean isOn() {
            return on;
        }

        public boolean isClosed() {
            return closed;
        }

        /** Every edge so far, oldest first. */
        public List<Edge> edges() {
            synchronized (edges) {
                return List.copyOf(edges);
            }
        }

        /** Completed on-off cycles: falling edges. */
        public long pulses() {
            return edges().stream().filter(e -> !e.on()).count();
        }

        @Override
        public void close() {
            if (!closed) {
                set(false);
                closed = true;
            }
        }
    }

    private final MonotonicClock clock;
    private final Map<Integer, RecordingLine> lines = new LinkedHashMap<>();

    public SimulatedDigitalLines(MonotonicClock clock) {
        this.clock = clock;
    }

    @Override
    public String description() {
        return "simulated lines (in memory, no GPIO)";
    }

    @Override
    public synchronized RecordingLine open(String name, int pin) {
        if (pin < 0 || pin > 27) {
            throw new IllegalArgumentException("GPIO " + pin + " for " + name + " is outside 0..27");
        }
        if (lines.containsKey(pin)) {
            throw new IllegalArgumentException("GPIO " + pin + " for " + name + " is already used by "
                    + lines.get(pin).name());
        }
        RecordingLine line = new RecordingLine(name + " (GPIO " + pin + ")", clock);
        lines.put(pin, line);
        return line;
    }

    public synchronized RecordingLine line(int pin) {
        return lines.get(pin);
    }

    @Override
    public synchronized void close() {
        lines.values().forEach(RecordingLine::close);
    }
}
