package org.minimeter.gateway.outputs;

import org.minimeter.gateway.hal.DigitalLine;

/** What the outputs trust about a line: only the state it reads back. */
final class Lines {

    private Lines() {
    }

    /** Sets the line and reads it back; a driver that throws counts as a line that did not follow. */
    static boolean drive(DigitalLine line, boolean want) {
        try {
            line.set(want);
            return line.isOn() == want;
        } catch (RuntimeException e) {
            return false;
        }
    }
}
