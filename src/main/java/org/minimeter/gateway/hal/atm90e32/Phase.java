package org.minimeter.gateway.hal.atm90e32;

/**
 * One of the chip's three metering channels (voltage Ux and current Ix inputs). A meter element
 * is wired to one of them: a single-element meter uses A; a split-phase meter uses A and C, as
 * the CircuitSetup split-phase board does, with MMode0 in 3P3W mode so that phase B (unwired)
 * does not count towards the chip's totals.
 */
public enum Phase {
    A, B, C;

    /** Address of this phase's copy of a per-phase register laid out A, B, C consecutively. */
    int consecutive(int baseA) {
        return baseA + ordinal();
    }

    /** PQGainX / PhiX pairs are interleaved: A at base, B at base + 2, C at base + 4. */
    int interleavedPair(int baseA) {
        return baseA + 2 * ordinal();
    }

    /** UgainX, IgainX, UoffsetX, IoffsetX blocks of four: A at base, B at base + 4, C at base + 8. */
    int blockOfFour(int baseA) {
        return baseA + 4 * ordinal();
    }

    /** MMode0 EnPx bit: 2 for A, 1 for B, 0 for C (phase counted into the all-phase sum). */
    int enableBit() {
        return 1 << (2 - ordinal());
    }

    /** Shift of this phase's 2-bit current-channel PGA field in MMode1. */
    int pgaShift() {
        return 2 * ordinal();
    }
}
