package org.minimeter.gateway.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minimeter.gateway.metering.EnergySnapshot;

class RegisterStoreTest {

    @TempDir
    Path root;

    static RegisterState state(long generation, long deliveredUwh) {
        return new RegisterState(generation, Instant.parse("2026-11-23T10:00:00Z").plusSeconds(generation),
                new EnergySnapshot(new long[] {deliveredUwh, deliveredUwh / 2, deliveredUwh - deliveredUwh / 2},
                        new long[] {7, 3, 4}, 8000 * generation),
                Map.of("pulse10", deliveredUwh / 10_000_000, "counter", deliveredUwh / 100_000_000), 2, 100);
    }

    private Path newest(RegisterStore store) throws IOException {
        try (Stream<Path> s = Files.list(store.directory())) {
            return s.filter(p -> p.getFileName().toString().startsWith("register-")).max(Path::compareTo).orElseThrow();
        }
    }

    @Test
    void saveThenLoad_returnsTheSameStateAndKeepsTheNewestGenerations() throws IOException {
        try (RegisterStore store = new RegisterStore(root, "m1", 3)) {
            for (int g = 1; g <= 5; g++) {
                store.save(state(g, g * 1_000_000L));
            }
            RegisterStore.Loaded loaded = store.load();
            assertThat(loaded.state()).isEqualTo(state(5, 5_000_000L));
            assertThat(loaded.fellBack()).isFalse();
            try (Stream<Path> s = Files.list(store.directory())) {
                assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("register-")))
                        .containsExactlyInAnyOrder("register-0000000000000000003.dat",
                                "register-0000000000000000004.dat", "register-0000000000000000005.dat");
            }
            assertThat(Files.readString(newest(store))).startsWith("minimeter-register 1\nmeter=m1\n")
                    .contains("delivered-uwh=5000000,2500000,2500000");
        }
    }

    @Test
    void counterQuantumChange_convertsOwedStepsByTheirEnergy() {
        RegisterState s = state(1, 5_000_000);
        assertThat(s.counterWh()).isEqualTo(100);
        // 2 steps of 100 Wh owed = 200 Wh: no whole 1000 Wh step, 200 Wh left over
        assertThat(s.withCounterQuantum(1000).counterBacklog()).isZero();
        assertThat(s.counterRemainderWh(1000)).isEqualTo(200);
        RegisterState thousand = new RegisterState(1, s.savedAt(), s.energy(), s.sequences(), 3, 1000);
        assertThat(thousand.withCounterQuantum(100).counterBacklog()).isEqualTo(30);
        assertThat(RegisterState.empty(2).withCounterQuantum(100).counterWh()).isEqualTo(100);
    }

    @Test
    void fileWithoutCounterQuantum_loadsAsNotRecorded() throws IOException {
        try (RegisterStore store = new RegisterStore(root, "m1", 2)) {
            store.save(new RegisterState(1, Instant.parse("2026-11-23T10:00:00Z"), state(1, 5).energy(), Map.of(), 0));
            assertThat(store.load().state().counterWh()).isZero();
        }
    }

    @Test
    void missingDirectory_isCreatedAndIsAFreshStart() {
        Path deep = root.resolve("not/yet/there");
        try (RegisterStore store = new RegisterStore(deep, "m1", 2)) {
            RegisterStore.Loaded loaded = store.load();
            assertThat(loaded.fresh()).isTrue();
            assertThat(loaded.state()).isNull();
            assertThat(Files.isDirectory(deep.resolve("m1"))).isTrue();
        }
    }

    private void damageNewestAndExpectFallback(java.util.function.Consumer<Path> damage, String reason)
            throws IOException {
        try (RegisterStore store = new RegisterStore(root, "m1", 3)) {
            store.save(state(1, 10_000_000));
            store.save(state(2, 20_000_000));
            damage.accept(newest(store));
            RegisterStore.Loaded loaded = store.load();
            assertThat(loaded.state()).isEqualTo(state(1, 10_000_000));
            assertThat(loaded.fellBack()).isTrue();
            assertThat(loaded.rejected()).singleElement().asString()
                    .startsWith("register-0000000000000000002.dat: ").contains(reason);
        }
    }

    @Test
    void truncatedNewest_fallsBackToThePreviousGood() throws IOException {
        damageNewestAndExpectFallback(p -> rewrite(p, b -> java.util.Arrays.copyOf(b, b.length / 2)), "checksum");
    }

    @Test
    void flippedByteInNewest_fallsBackToThePreviousGood() throws IOException {
        damageNewestAndExpectFallback(p -> rewrite(p, b -> {
            b[40] ^= 0x04;
            return b;
        }), "checksum mismatch");
    }

    @Test
    void erasedFlashBytesInNewest_fallBackToThePreviousGood() throws IOException {
        damageNewestAndExpectFallback(p -> rewrite(p, b -> {
            for (int i = 0; i < 60; i++) {
                b[i] = (byte) 0xFF;
            }
            return b;
        }), "checksum");
    }

    @Test
    void emptyNewest_fallsBackToThePreviousGood() throws IOException {
        damageNewestAndExpectFallback(p -> rewrite(p, b -> new byte[0]), "empty file");
    }

    @Test
    void everyCopyDamaged_refusesToStartFromZero() throws IOException {
        try (RegisterStore store = new RegisterStore(root, "m1", 3)) {
            store.save(state(1, 10_000_000));
            store.save(state(2, 20_000_000));
            try (Stream<Path> s = Files.list(store.directory())) {
                s.filter(p -> p.getFileName().toString().startsWith("register-"))
                        .forEach(p -> rewrite(p, b -> new byte[0]));
            }
            assertThatThrownBy(store::load).isInstanceOf(StorageException.class)
                    .hasMessageContaining("no valid register")
                    .hasMessageContaining("Refusing to start from zero");
        }
    }

    @Test
    void registerOfAnotherMeter_isNotTaken() throws IOException {
        try (RegisterStore a = new RegisterStore(root, "a", 2)) {
            a.save(state(1, 5));
        }
        Files.createDirectories(root.resolve("b"));
        Files.copy(root.resolve("a/register-0000000000000000001.dat"), root.resolve("b/register-0000000000000000001.dat"));
        try (RegisterStore b = new RegisterStore(root, "b", 2)) {
            assertThatThrownBy(b::load).hasMessageContaining("register of meter 'a', not 'b'");
        }
    }

    @Test
    void secondGatewayOnTheSameDirectory_isRefused() {
        try (RegisterStore first = new RegisterStore(root, "m1", 2)) {
            assertThatThrownBy(() -> new RegisterStore(root, "m1", 2)).isInstanceOf(StorageException.class)
                    .hasMessageContaining("in use by another gateway");
        }
        // released on close
        new RegisterStore(root, "m1", 2).close();
    }

    @Test
    void storageDirThatIsAFile_givesAClearError() throws IOException {
        Path file = Files.writeString(root.resolve("plain-file"), "x");
        assertThatThrownBy(() -> new RegisterStore(file, "m1", 2)).isInstanceOf(StorageException.class)
                .hasMessageStartingWith("storage.dir: cannot create " + file.resolve("m1").toAbsolutePath());
    }

    @Test
    void readOnlyDirectory_givesAClearErrorNotASilentZero() throws Exception {
        Path dir = root.resolve("m1");
        Files.createDirectories(dir);
        boolean readOnly = makeReadOnly(dir);
        Assumptions.assumeTrue(readOnly, "cannot make a read-only directory on this file system");
        try {
            assertThatThrownBy(() -> new RegisterStore(root, "m1", 2)).isInstanceOf(StorageException.class)
                    .hasMessageContaining("is not writable");
        } finally {
            undoReadOnly(dir);
        }
    }

    /** chmod does not stop root; the immutable attribute does. */
    static boolean makeReadOnly(Path dir) throws Exception {
        if ("root".equals(System.getProperty("user.name"))) {
            Process p = new ProcessBuilder("chattr", "+i", dir.toString()).redirectErrorStream(true).start();
            return p.waitFor() == 0;
        }
        return dir.toFile().setWritable(false);
    }

    static void undoReadOnly(Path dir) throws Exception {
        if ("root".equals(System.getProperty("user.name"))) {
            new ProcessBuilder("chattr", "-i", dir.toString()).start().waitFor();
        } else {
            dir.toFile().setWritable(true);
        }
    }

    @Test
    void keepBelowTwo_isRefused() {
        assertThatThrownBy(() -> new RegisterStore(root, "m1", 1)).hasMessageContaining("at least 2");
    }

    private static void rewrite(Path p, java.util.function.UnaryOperator<byte[]> f) {
        try {
            Files.write(p, f.apply(Files.readAllBytes(p)));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void calibration_isStoredWholeAuditedAndReadBack_andADamagedFileStopsTheMeterNamingIt() throws IOException {
        var trim = new org.minimeter.gateway.metering.CalibrationTrim(java.util.List.of(
                new org.minimeter.gateway.metering.CalibrationTrim.ElementTrim(1.0101, 0.9799, 38.5),
                org.minimeter.gateway.metering.CalibrationTrim.ElementTrim.NONE));
        MeterCalibration cal = new MeterCalibration(trim, java.util.Set.of("i2"), Instant.parse("2026-11-30T05:00:00Z"));
        assertThat(RegisterStore.peekCalibration(root, "m1")).isEmpty();
        // peeking creates nothing: a meter that fails to open leaves no directory behind
        assertThat(root.resolve("m1")).doesNotExist();
        try (RegisterStore store = new RegisterStore(root, "m1", 3)) {
            store.saveCalibration(cal, "2026-11-30T05:00:00Z calibration of element 1");
            assertThat(store.loadCalibration()).contains(cal);
            assertThat(store.auditLines()).containsExactly("2026-11-30T05:00:00Z calibration of element 1");
            assertThat(store.directory().resolve("calibration.tmp")).doesNotExist();
        }
        assertThat(RegisterStore.peekCalibration(root, "m1")).contains(cal);
        // the trim applies on top of the front end's own gains and delays
        var fe = new org.minimeter.gateway.metering.ElementCalibration(
                new org.minimeter.gateway.metering.ChannelCalibration(0.5, 0, 2048),
                new org.minimeter.gateway.metering.ChannelCalibration(0.1, 20, 2048));
        var applied = cal.applyTo(java.util.List.of(fe, fe));
        assertThat(applied.get(0).voltage().gain()).isEqualTo(0.5 * 1.0101);
        assertThat(applied.get(0).current().delayMicros()).isEqualTo(58.5);
        assertThat(applied.get(0).current().inverted()).isFalse();
        assertThat(applied.get(1).current().inverted()).isTrue();
        assertThat(applied.get(1).voltage().inverted()).isFalse();

        Path file = root.resolve("m1/calibration.properties");
        Files.writeString(file, Files.readString(file).replace("e1.current-factor=0.9799", "e1.current-factor=O.9799"));
        assertThatThrownBy(() -> RegisterStore.peekCalibration(root, "m1")).isInstanceOf(StorageException.class)
                .hasMessageContaining("calibration.properties is damaged (e1.current-factor=O.9799 is not a number)")
                .hasMessageContaining("audit.log");
        Files.writeString(file, Files.readString(file).replace("meter=m1", "meter=m2"));
        assertThatThrownBy(() -> RegisterStore.peekCalibration(root, "m1"))
                .hasMessageContaining("meter=m2 but this is meter m1");
    }
}
