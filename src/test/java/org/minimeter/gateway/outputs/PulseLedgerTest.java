package org.minimeter.gateway.outputs;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PulseLedgerTest {

    static final long WH = 1_000_000L;
    static final Instant T = Instant.parse("2026-11-23T12:00:00Z");

    @Test
    void sequences_countTheQuantaOfTheDurableRegister() {
        PulseLedger ledger = new PulseLedger(PulseLedger.standardOutputs(100), 0, Map.of());
        assertThat(ledger.sequencesAt(1234 * WH + 999_999))
                .containsEntry("pulse10", 123L).containsEntry("pulse100", 12L)
                .containsEntry("pulse1000", 1L).containsEntry("counter", 12L);
    }

    @Test
    void events_areEveryBoundaryCrossedInOrderWithTheirQuantum() {
        PulseLedger ledger = new PulseLedger(PulseLedger.standardOutputs(1000), 95 * WH, Map.of("pulse10", 9L,
                "pulse100", 0L, "pulse1000", 0L, "counter", 0L));
        var before = ledger.sequencesAt(95 * WH);
        var after = ledger.sequencesAt(131 * WH);
        List<PulseEvent> events = ledger.eventsBetween(before, after, T);
        assertThat(events).containsExactly(
                new PulseEvent("pulse10", 10, 10, T), new PulseEvent("pulse10", 10, 11, T),
                new PulseEvent("pulse10", 10, 12, T), new PulseEvent("pulse10", 10, 13, T),
                new PulseEvent("pulse100", 100, 1, T));
    }

    @Test
    void restoredLedger_continuesTheSequenceWithoutRepeatOrGap() {
        PulseLedger first = new PulseLedger(PulseLedger.standardOutputs(100), 0, Map.of());
        var saved = first.sequencesAt(57 * WH);
        PulseLedger restored = new PulseLedger(PulseLedger.standardOutputs(100), 57 * WH, saved);
        assertThat(restored.eventsBetween(saved, restored.sequencesAt(71 * WH), T))
                .extracting(PulseEvent::seq).containsExactly(6L, 7L);
    }

    @Test
    void seededRegister_keepsSequencesSoTheJumpMakesNoPulses() {
        // a register seeded from 3 kWh to 12 345 kWh keeps seq; the next pulse is the next boundary
        var seqs = Map.of("pulse10", 300L, "pulse100", 30L, "pulse1000", 3L, "counter", 30L);
        PulseLedger seeded = new PulseLedger(PulseLedger.standardOutputs(100), 12_345_000 * WH, seqs);
        assertThat(seeded.sequencesAt(12_345_000 * WH)).isEqualTo(seqs);
        assertThat(seeded.sequencesAt(12_345_010 * WH).get("pulse10")).isEqualTo(301L);
    }
}
