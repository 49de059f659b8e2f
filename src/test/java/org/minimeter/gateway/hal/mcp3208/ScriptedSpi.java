package org.minimeter.gateway.hal.mcp3208;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HexFormat;
import org.minimeter.gateway.hal.ManualClock;
import org.minimeter.gateway.hal.SpiTransport;

/**
 * A byte transcript: each transfer must write exactly the next expected bytes and gets the
 * scripted answer (or a bus failure). Like Pi4J's MockSpi, real code that keeps state, not a
 * mocking framework. Used by the ADS131M04 tests too.
 */
public class ScriptedSpi implements SpiTransport {

    private record Step(byte[] tx, byte[] rx, boolean fail) {
    }

    private final Deque<Step> script = new ArrayDeque<>();
    private final ManualClock clock;
    private final long nanosPerTransfer;
    private int transfers;
    private boolean closed;

    public ScriptedSpi() {
        this(null, 0);
    }

    /** Each transfer advances {@code clock} by {@code nanosPerTransfer}: the bus takes time. */
    public ScriptedSpi(ManualClock clock, long nanosPerTransfer) {
        this.clock = clock;
        this.nanosPerTransfer = nanosPerTransfer;
    }

    /** Bytes from hex pairs, spaces ignored: {@code "06 40 00"}. */
    public static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    public static String hex(byte[] b) {
        return HexFormat.ofDelimiter(" ").withUpperCase().formatHex(b);
    }

    public ScriptedSpi expect(byte[] tx, byte[] rx) {
        script.add(new Step(tx.clone(), rx.clone(), false));
        return this;
    }

    public ScriptedSpi expect(String tx, String rx) {
        return expect(hex(tx), hex(rx));
    }

    /** The transfer writing {@code tx} fails at the bus. */
    public ScriptedSpi fail(byte[] tx) {
        script.add(new Step(tx.clone(), null, true));
        return this;
    }

    @Override
    public String description() {
        return "scripted SPI";
    }

    @Override
    public byte[] transfer(byte[] tx) {
        if (clock != null) {
            clock.advance(nanosPerTransfer);
        }
        Step step = script.poll();
        transfers++;
        if (step == null) {
            throw new AssertionError("transfer " + transfers + " wrote " + hex(tx) + " after the end of the script");
        }
        if (!java.util.Arrays.equals(step.tx(), tx)) {
            throw new AssertionError("transfer " + transfers + " wrote " + hex(tx) + ", expected " + hex(step.tx()));
        }
        if (step.fail()) {
            throw new SpiException("scripted bus failure at transfer " + transfers);
        }
        return step.rx().clone();
    }

    /** Transfers still expected. */
    public int remaining() {
        return script.size();
    }

    public boolean closed() {
        return closed;
    }

    @Override
    public void close() {
        closed = true;
    }
}
