package org.minimeter.gateway.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What makes a meter not alive or not ready, as the probes and the MQTT health both read it. */
class MeterStatusTest {

    static MeterStatus status(boolean sampling, boolean ended, String problem, String register, List<String> threads,
            boolean outbox) {
        return new MeterStatus("m", Instant.EPOCH, 1, 8000, 5, 0, 0, 0, 0, sampling, ended, problem, register, threads,
                Instant.EPOCH, 1, 1, true, "5", 0, 0, 0, outbox, List.of(), List.of());
    }

    @Test
    void aStalledSourceOrADeadThreadIsNotAlive_anEndedRecordingIs() {
        assertThat(status(true, false, "", "", List.of(), true).notAlive()).isEmpty();
        assertThat(status(false, false, "no samples for 1500 ms", "", List.of(), true).notAlive())
                .containsExactly("sampling stopped: no samples for 1500 ms");
        assertThat(status(false, true, "the source has ended", "", List.of(), true).notAlive()).isEmpty();
        assertThat(status(true, false, "", "", List.of("the outputs thread has died"), true).notAlive())
                .containsExactly("the outputs thread has died");
    }

    @Test
    void aRegisterThatCannotBeSavedOrARefusingOutboxIsNotReady() {
        assertThat(status(true, false, "", "", List.of(), true).notReady()).isEmpty();
        assertThat(status(true, false, "", "the register cannot be saved", List.of(), true).notReady())
                .containsExactly("the register cannot be saved");
        assertThat(status(true, false, "", "", List.of(), false).notReady()).singleElement().asString()
                .contains("outbox refuses");
        // readiness is not liveness: a full disk is waited out, not restarted
        assertThat(status(true, false, "", "the register cannot be saved", List.of(), false).notAlive()).isEmpty();
    }
}
