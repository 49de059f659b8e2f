package org.minimeter.gateway.hal.atm90e32;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HexFormat;

import org.minimeter.gateway.hal.SpiTransport;

/** A byte transcript: each transfer must send exactly the expected bytes and gets the scripted reply. */
final class ScriptedSpi implements SpiTransport {

    private record Step(byte[] tx, byte[] rx, RuntimeException failure) {
    }

    private static final HexFormat HEX = HexFormat.ofDelimiter(" ");
    private final Deque<Step> steps = new ArrayDeque<>();
    private int done;

    /** Expects {@code tx} (hex, space separated) and answers {@code rx}. */
    ScriptedSpi expect(String tx, String rx) {
        steps.add(new Step(HEX.parseHex(tx), HEX.parseHex(rx), null));
        return this;
    }

    /** A register read of {@code address} answered with {@code value}. */
    ScriptedSpi read(int address, int value) {
        steps.add(new Step(Atm90e32.readFrame(address), new byte[] {0, 0, (byte) (value >> 8), (byte) value}, null));
        return this;
    }

    /** A register write, answered with zeros (the chip drives nothing useful on MISO then). */
    ScriptedSpi write(int address, int value) {
        steps.add(new Step(Atm90e32.writeFrame(address, value), new byte[4], null));
        return this;
    }

    /** A write followed by its LastSPIData read-back returning {@code readBack}. */
    ScriptedSpi writeChecked(int address, int value, int readBack) {
        return write(address, value).read(Registers.LAST_SPI_DATA, readBack);
    }

    ScriptedSpi writeChecked(int address, int value) {
        return writeChecked(address, value, value);
    }

    /** A verified read: the register, then LastSPIData agreeing. */
    ScriptedSpi readChecked(int address, int value) {
        return read(address, value).read(Registers.LAST_SPI_DATA, value);
    }

    /** The transfer reading {@code address} fails at the bus. */
    ScriptedSpi readFails(int address) {
        steps.add(new Step(Atm90e32.readFrame(address), null, new SpiException("scripted bus failure")));
        return this;
    }

    @Override
    public String description() {
        return "scripted";
    }

    @Override
    public byte[] transfer(byte[] tx) {
        Step step = steps.poll();
        assertTrue(step != null, "unexpected transfer #" + (done + 1) + ": " + HEX.formatHex(tx));
        assertArrayEquals(step.tx(), tx, "transfer #" + (done + 1) + ": expected " + HEX.formatHex(step.tx())
                + ", was " + HEX.formatHex(tx));
        done++;
        if (step.failure() != null) {
            throw step.failure();
        }
        return step.rx().clone();
    }

    void assertDone() {
        assertTrue(steps.isEmpty(), steps.size() + " scripted transfers not made");
    }

    @Override
    public void close() {
    }
}
