package org.minimeter.gateway.persistence;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minimeter.gateway.persistence.Outbox.Kind;
import org.minimeter.gateway.persistence.Outbox.Message;

/** Many meters, one outbox: appends without an fsync each, made durable together by one sync. */
class OutboxGroupCommitTest {

    @TempDir
    Path root;

    private Outbox open() {
        // segments large enough that none fills up here: every fsync counted is a sync's
        return new Outbox(root.resolve("outbox"), 16L << 20, 4L << 20, 64 * 1024, Outbox.CrashPoint.NONE);
    }

    private static Message energy(int meter, long wh) {
        return Message.of(Kind.ENERGY, "mm/m" + meter + "/energy", ("{\"delivered_wh\":" + wh + "}").getBytes(UTF_8), 1, true);
    }

    @Test
    void appendLater_isVisibleAtOnce_andOneSyncMakesAThousandMetersDurableWithOneFsync() {
        try (Outbox o = open()) {
            long before = o.fsyncs();
            List<Message> appended = new ArrayList<>();
            for (int meter = 0; meter < 1000; meter++) {
                appended.addAll(o.appendLater(List.of(energy(meter, 1))));
            }
            assertThat(o.fsyncs()).as("appendLater does not fsync").isEqualTo(before);
            assertThat(o.peek(2000)).as("visible before it is synced").containsExactlyElementsOf(appended);

            o.sync();
            assertThat(o.fsyncs() - before).as("one segment to force").isEqualTo(1);
            o.sync();
            assertThat(o.fsyncs() - before).as("nothing pending: no fsync").isEqualTo(1);
        }
    }

    @Test
    void appendLater_survivesAKillWithoutASync() throws Exception {
        Path copy = root.resolve("killed");
        List<Message> appended;
        try (Outbox o = open()) {
            o.append(List.of(energy(1, 1)));
            appended = o.appendLater(List.of(energy(1, 2), energy(2, 1)));
            // a kill -9 keeps the page cache: what was written is there, synced or not
            OutboxCrashTest.copyDirectory(o.directory(), copy);
        }
        try (Outbox o = new Outbox(copy, 16L << 20)) {
            assertThat(o.peek(10)).extracting(Message::seq).containsExactly(1L, 2L, 3L);
            assertThat(o.peek(10).subList(1, 3)).containsExactlyElementsOf(appended);
            assertThat(o.integrity()).isEqualTo(new Outbox.Integrity(0, 0, 0, false));
        }
    }

    @Test
    void acknowledgements_costNoFsync_andTheNextSyncForcesThemAllWithOne() throws Exception {
        Path copy = root.resolve("killed");
        try (Outbox o = open()) {
            for (int meter = 0; meter < 10; meter++) {
                o.appendLater(List.of(energy(meter, 1)));
            }
            o.sync();
            long before = o.fsyncs();
            for (long s = 1; s <= 5; s++) {
                o.acknowledge(s);
            }
            assertThat(o.fsyncs()).as("acknowledge does not fsync").isEqualTo(before);
            OutboxCrashTest.copyDirectory(o.directory(), copy);
            o.sync();
            assertThat(o.fsyncs() - before).as("the journal, once").isEqualTo(1);
            o.sync();
            assertThat(o.fsyncs() - before).isEqualTo(1);
        }
        try (Outbox o = new Outbox(copy, 16L << 20)) {
            assertThat(o.peek(20)).as("a kill keeps unsynced acknowledgements").extracting(Message::seq)
                    .containsExactly(6L, 7L, 8L, 9L, 10L);
        }
    }

    @Test
    void manyThreadsAppendingAndSyncing_loseNothing_keepEachMetersOrder_andNeverNeedMoreThanOneFsyncPerSync()
            throws Exception {
        int threads = 8;
        int perThread = 300;
        AtomicLong syncs = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long before;
        try (Outbox o = open()) {
            before = o.fsyncs();
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int meter = t;
                Thread w = new Thread(() -> {
                    try {
                        for (int i = 1; i <= perThread; i++) {
                            o.appendLater(List.of(energy(meter, i)));
                            if (i % 3 == 0) {
                                o.sync();
                                syncs.incrementAndGet();
                            }
                        }
                    } catch (Throwable e) {
                        failure.set(e);
                    }
                }, "meter-" + t);
                workers.add(w);
                w.start();
            }
            for (Thread w : workers) {
                w.join();
            }
            assertThat(failure.get()).isNull();
            assertThat(o.fsyncs() - before).as("concurrent syncs share fsyncs; never more than one each")
                    .isLessThanOrEqualTo(syncs.get());

            List<Message> all = o.peek(Integer.MAX_VALUE);
            assertThat(all).hasSize(threads * perThread);
            Map<String, Long> lastWh = new HashMap<>();
            for (Message m : all) {
                String s = new String(m.payload(), UTF_8);
                long wh = Long.parseLong(s.substring(s.indexOf(':') + 1, s.length() - 1));
                Long previous = lastWh.put(m.topic(), wh);
                assertThat(wh).as("in order per meter: %s", m.topic()).isEqualTo(previous == null ? 1 : previous + 1);
            }
        }
        try (Outbox o = new Outbox(root.resolve("outbox"), 16L << 20)) {
            assertThat(o.stats().depth()).isEqualTo(threads * perThread);
        }
    }

    @Test
    void syncInterrupted_reportsTheFailure_ratherThanClaimingDurability() {
        Outbox o = open();
        o.appendLater(List.of(energy(1, 1)));
        Thread.currentThread().interrupt();
        try {
            // NIO closes a channel whose thread is interrupted in I/O: the force did not happen
            assertThatThrownBy(o::sync).isInstanceOf(StorageException.class).hasMessageContaining("interrupted");
        } finally {
            Thread.interrupted();
            try {
                o.close();
            } catch (StorageException expected) {
                // its segment channel is closed: the final checkpoint cannot force it
            }
        }
        try (Outbox again = new Outbox(root.resolve("outbox"), 16L << 20)) {
            assertThat(again.peek(10)).as("written, so kept across a restart").hasSize(1);
        }
    }

    @Test
    void syncOnAClosedOutbox_isRefused() {
        Outbox o = open();
        o.close();
        assertThatThrownBy(o::sync).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> o.appendLater(List.of(energy(1, 1)))).isInstanceOf(IllegalStateException.class);
    }
}
