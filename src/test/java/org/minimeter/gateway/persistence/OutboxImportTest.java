package org.minimeter.gateway.persistence;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minimeter.gateway.persistence.Outbox.Kind;
import org.minimeter.gateway.persistence.Outbox.Message;

/** First start of a multi-meter gateway on a storage.dir that has one-outbox-per-meter directories. */
class OutboxImportTest {

    @TempDir
    Path storage;

    private static Message msg(Kind kind, String meter, String name) {
        return Message.of(kind, "mm/" + meter + "/" + kind.name().toLowerCase(), ("{\"n\":\"" + name + "\"}").getBytes(UTF_8),
                1, kind == Kind.ENERGY);
    }

    private static String name(Message m) {
        String s = new String(m.payload(), UTF_8);
        return s.substring("{\"n\":\"".length(), s.length() - 2);
    }

    /** An outbox of the earlier layout: 2500 messages (more than one import batch), the first 1000 delivered. */
    private Path legacyOutbox(String meter) {
        Path dir = storage.resolve(meter).resolve("outbox");
        try (Outbox old = new Outbox(dir, 1 << 20)) {
            List<Message> batch = new ArrayList<>();
            for (int i = 1; i <= 2500; i++) {
                batch.add(msg(i % 10 == 0 ? Kind.ENERGY : Kind.PULSE, meter, meter + "-" + i));
            }
            old.append(batch);
            for (long s = 1; s <= 1000; s++) {
                old.acknowledge(s);
            }
        }
        return dir;
    }

    @Test
    void import_movesEveryUnacknowledgedMessageInOrder_thenRemovesTheOldDirectory() throws IOException {
        Path m1 = legacyOutbox("m1");
        Path m2 = legacyOutbox("m2");
        try (Outbox gateway = new Outbox(storage.resolve("outbox"), 4L << 20)) {
            gateway.append(List.of(msg(Kind.HEALTH, "m3", "already-here")));
            assertThat(gateway.importFrom(m1)).isEqualTo(1500);
            assertThat(gateway.importFrom(m2)).isEqualTo(1500);
            assertThat(gateway.importFrom(m1)).as("nothing left to import").isZero();

            List<Message> all = gateway.peek(Integer.MAX_VALUE);
            assertThat(all).hasSize(3001);
            assertThat(all.get(0)).extracting(OutboxImportTest::name).isEqualTo("already-here");
            List<String> expected = new ArrayList<>();
            for (String meter : List.of("m1", "m2")) {
                for (int i = 1001; i <= 2500; i++) {
                    expected.add(meter + "-" + i);
                }
            }
            assertThat(all.subList(1, all.size())).extracting(OutboxImportTest::name).containsExactlyElementsOf(expected);
            Message e = all.get(10);
            assertThat(e.kind()).isEqualTo(Kind.ENERGY);
            assertThat(e.topic()).isEqualTo("mm/m1/energy");
            assertThat(e.retain()).isTrue();
            assertThat(e.qos()).isEqualTo(1);
        }
        assertThat(m1).doesNotExist();
        assertThat(m2).doesNotExist();
        assertThat(storage.resolve("m1")).as("the meter's other files are not the outbox's to remove").exists();
        assertThat(storage.resolve("m1").resolve("outbox.imported")).doesNotExist();
        try (Outbox gateway = new Outbox(storage.resolve("outbox"), 4L << 20)) {
            assertThat(gateway.stats().depth()).as("durable").isEqualTo(3001);
            assertThat(gateway.integrity()).isEqualTo(new Outbox.Integrity(0, 0, 0, false));
        }
    }

    @Test
    void crashAfterTheImportBeforeTheOldDirectoryWentAway_importsAgainAtTheNextStart_noneLost() throws IOException {
        Path m1 = legacyOutbox("m1");
        Path keptAsACrashLeftIt = storage.resolve("m1-as-left");
        OutboxCrashTest.copyDirectory(m1, keptAsACrashLeftIt);
        Path gatewayDir = storage.resolve("outbox");
        try (Outbox gateway = new Outbox(gatewayDir, 4L << 20)) {
            assertThat(gateway.importFrom(m1)).isEqualTo(1500);
        }
        // the power went before the old directory was removed: it is back, whole
        Files.move(keptAsACrashLeftIt, m1);
        try (Outbox gateway = new Outbox(gatewayDir, 4L << 20)) {
            assertThat(gateway.importFrom(m1)).isEqualTo(1500);
            List<String> names = gateway.peek(Integer.MAX_VALUE).stream().map(OutboxImportTest::name).toList();
            for (int i = 1001; i <= 2500; i++) {
                assertThat(names).as("at least once").contains("m1-" + i);
            }
            assertThat(names).hasSize(3000);
        }
        assertThat(m1).doesNotExist();
    }

    @Test
    void crashAfterTheRenameAside_leavesNothingToImport_andTheLeftoverIsRemoved() throws IOException {
        Path m1 = legacyOutbox("m1");
        Path gatewayDir = storage.resolve("outbox");
        try (Outbox gateway = new Outbox(gatewayDir, 4L << 20)) {
            assertThat(gateway.importFrom(m1)).isEqualTo(1500);
        }
        // as if the deletion after the rename aside had not happened
        Path aside = storage.resolve("m1").resolve("outbox.imported");
        Files.createDirectories(aside);
        Files.writeString(aside.resolve("seg-0000000000000000001.log"), "leftover");
        try (Outbox gateway = new Outbox(gatewayDir, 4L << 20)) {
            assertThat(gateway.importFrom(m1)).isZero();
            assertThat(gateway.stats().depth()).isEqualTo(1500);
        }
        assertThat(aside).doesNotExist();
    }

    @Test
    void crashPartWayThroughTheImport_resumesWithoutLosingAny() throws IOException {
        Path m1 = legacyOutbox("m1");
        Path gatewayDir = storage.resolve("outbox");
        // a kill -9 after the first batch was synced here and acknowledged there
        Path partial = storage.resolve("partial");
        try (Outbox gateway = new Outbox(gatewayDir, 4L << 20); Outbox old = new Outbox(m1, 1 << 20)) {
            List<Message> batch = old.peek(1000);
            gateway.append(batch);
            for (int i = 0; i < 600; i++) {
                old.acknowledge(batch.get(i).seq());
            }
            OutboxCrashTest.copyDirectory(m1, partial);
        }
        OutboxCrashTest.deleteDirectory(m1);
        Files.move(partial, m1);
        try (Outbox gateway = new Outbox(gatewayDir, 4L << 20)) {
            assertThat(gateway.importFrom(m1)).as("what the old outbox still held").isEqualTo(900);
            List<String> names = gateway.peek(Integer.MAX_VALUE).stream().map(OutboxImportTest::name).toList();
            assertThat(names).hasSize(1900);
            for (int i = 1001; i <= 2500; i++) {
                assertThat(names).contains("m1-" + i);
            }
        }
    }

    @Test
    void import_ofADirectoryThatIsNotThere_movesNothing() {
        try (Outbox gateway = new Outbox(storage.resolve("outbox"), 4L << 20)) {
            assertThat(gateway.importFrom(storage.resolve("m9").resolve("outbox"))).isZero();
            assertThat(gateway.stats().depth()).isZero();
        }
    }
}
