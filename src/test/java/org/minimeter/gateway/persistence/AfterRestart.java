package org.minimeter.gateway.persistence;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.minimeter.gateway.persistence.Outbox.Kind;
import org.minimeter.gateway.persistence.Outbox.Message;

/**
 * What an outbox restarted from what a kill -9 or a power cut left on disk must hold, given
 * what the test had been told at that instant: every message in seq order and as appended,
 * the append in progress whole or not at all, none of {@code gone} back again, all of
 * {@code kept} there, no false alarm of damage or loss, and the seq going on past
 * {@code lastSeq}.
 *
 * @param known every message whose append returned, by seq
 * @param appending the batch whose append was under way, if any, taking seqs from {@code appendingFirst}
 * @param gone acknowledged for good: must not come back
 * @param goneWhen how they were acknowledged, for the failure message
 * @param kept must come back
 * @param keptWhen how they were kept, for the failure message
 * @param lastSeq a seq the restarted outbox must never hand out again
 */
record AfterRestart(Map<Long, Message> known, List<Message> appending, long appendingFirst, Set<Long> gone,
        String goneWhen, Collection<Long> kept, String keptWhen, long lastSeq) {

    void verify(Outbox o) {
        List<String> wrong = new ArrayList<>();
        Set<Long> present = new HashSet<>();
        long previous = 0;
        for (Message m : o.peek(Integer.MAX_VALUE)) {
            if (m.seq() <= previous) {
                wrong.add(m.seq() + " out of order");
            }
            previous = m.seq();
            present.add(m.seq());
            if (gone.contains(m.seq())) {
                wrong.add(m.seq() + " " + goneWhen + ", back again");
            }
            Message expected = known.get(m.seq());
            int i = (int) (m.seq() - appendingFirst);
            if (expected == null && i >= 0 && i < appending.size()) {
                expected = appending.get(i).withSeq(m.seq());
            }
            if (!m.equals(expected)) {
                wrong.add(m.seq() + " is " + m + ", expected " + expected);
            }
        }
        for (long seq : kept) {
            if (!present.contains(seq)) {
                wrong.add(seq + " " + keptWhen + ", lost");
            }
        }
        assertThat(wrong).isEmpty();
        assertThat(o.integrity()).as("no false alarm").extracting(Outbox.Integrity::lost,
                Outbox.Integrity::damagedBytes, Outbox.Integrity::ackJournalDamaged).containsExactly(0L, 0L, false);
        long next = o.append(List.of(Message.of(Kind.HEALTH, "mm/m1/health", "{}".getBytes(UTF_8), 1, true)))
                .get(0).seq();
        assertThat(next).as("seq continues past " + lastSeq).isGreaterThan(lastSeq);
    }
}
