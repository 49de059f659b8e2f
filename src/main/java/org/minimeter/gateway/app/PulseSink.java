package org.minimeter.gateway.app;

import java.util.List;
import org.minimeter.gateway.outputs.PulseEvent;

/**
 * Where pulse events go before the register saves that make them durable: handed over for
 * every meter due, then made durable together with one {@link #sync()}, then the registers
 * are written. A kill between the two repeats events after restart; none is ever skipped.
 */
public interface PulseSink {

    /** Takes one meter's events, in order; must not block on the network. */
    void pulses(MeterRuntime meter, List<PulseEvent> events);

    /** Makes every event taken so far durable (one group commit). */
    void sync();

    /** Nothing beyond the meters' own pulse listeners ({@link MeterRuntime#addPulseListener}). */
    PulseSink NONE = new PulseSink() {
        @Override
        public void pulses(MeterRuntime meter, List<PulseEvent> events) {
            // the listeners have them
        }

        @Override
        public void sync() {
            // nothing held
        }
    };
}
