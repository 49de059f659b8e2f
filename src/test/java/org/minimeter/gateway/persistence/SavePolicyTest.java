package org.minimeter.gateway.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SavePolicyTest {

    final SavePolicy p = SavePolicy.defaults();
    static final long S = 1_000_000_000L;

    @Test
    void savesOnlyWhenBothEnergyAndTimeThresholdsArePassed() {
        assertThat(p.due(10 * S, 9 * S, 1_000_000, false)).isTrue();
        assertThat(p.due(10 * S, 9 * S + 1, 1_000_000, false)).as("under 1 s").isFalse();
        assertThat(p.due(10 * S, 0, 999_999, false)).as("under 1 Wh").isFalse();
    }

    @Test
    void counterChange_savesAtOnce() {
        assertThat(p.due(10 * S, 10 * S, 0, true)).isTrue();
    }
}
