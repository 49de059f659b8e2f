package org.minimeter.gateway.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Instant;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegisterSeedTest {

    static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");

    @TempDir
    Path root;

    @Test
    void forwardSeed_setsTheTotalsKeepsSequencesAndIsAudited() {
        try (RegisterStore store = new RegisterStore(root, "m1", 3)) {
            RegisterState current = RegisterStoreTest.state(4, 3_000_000_000L);
            store.save(current);
            var seed = new RegisterSeed("utility-2026-11", OptionalLong.of(12_345_000_000_000L), OptionalLong.empty(), false);
            RegisterState seeded = seed.applyTo(store, current, NOW).orElseThrow();
            assertThat(seeded.energy().deliveredMicroWh(0)).isEqualTo(12_345_000_000_000L);
            assertThat(seeded.energy().receivedMicroWh(0)).isEqualTo(current.energy().receivedMicroWh(0));
            assertThat(seeded.energy().deliveredMicroWh(1)).isEqualTo(current.energy().deliveredMicroWh(1));
            assertThat(seeded.sequences()).isEqualTo(current.sequences());
            assertThat(seeded.generation()).isEqualTo(5);
            assertThat(store.load().state()).isEqualTo(seeded);
            assertThat(store.auditLines()).singleElement().asString()
                    .contains("seed id=utility-2026-11 ", "delivered-uwh 3000000000 -> 12345000000000", "generation=5");
            // the same id again: nothing happens
            assertThat(seed.applyTo(store, seeded, NOW.plusSeconds(60))).isEmpty();
            assertThat(store.auditLines()).hasSize(1);
        }
    }

    @Test
    void backwardSeed_isRefusedWithTheValuesAndTheFlagToUse() {
        try (RegisterStore store = new RegisterStore(root, "m1", 3)) {
            RegisterState current = RegisterStoreTest.state(4, 3_000_000_000L);
            var seed = new RegisterSeed("oops", OptionalLong.of(1_000_000_000L), OptionalLong.empty(), false);
            assertThatThrownBy(() -> seed.applyTo(store, current, NOW)).isInstanceOf(StorageException.class)
                    .hasMessageContaining("delivered 3 -> 1 kWh")
                    .hasMessageContaining("storage.seed.allow-decrease=true");
            assertThat(store.auditLines()).isEmpty();
        }
    }

    @Test
    void reset_withTheFlag_movesBackAndRecordsOldAndNew() {
        try (RegisterStore store = new RegisterStore(root, "m1", 3)) {
            RegisterState current = RegisterStoreTest.state(4, 3_000_000_000L);
            var seed = new RegisterSeed("new-tenant", OptionalLong.of(0), OptionalLong.of(0), true);
            RegisterState reset = seed.applyTo(store, current, NOW).orElseThrow();
            assertThat(reset.energy().deliveredMicroWh(0)).isZero();
            assertThat(reset.energy().receivedMicroWh(0)).isZero();
            assertThat(store.auditLines()).singleElement().asString()
                    .contains("delivered-uwh 3000000000 -> 0", "received-uwh 7 -> 0", "allow-decrease=true");
        }
    }

    @Test
    void badId_isRefused() {
        assertThatThrownBy(() -> new RegisterSeed("has space", OptionalLong.of(1), OptionalLong.empty(), false))
                .hasMessageContaining("seed id");
    }
}
