package org.minimeter.gateway.persistence;

import java.util.Map;
import java.util.TreeMap;

/**
 * What the ack journal says is gone (acknowledged or dropped), as read at start-up. Used
 * only while recovering: it decides which records on disk are still owed to the broker, and
 * which missing seqs are a loss rather than a message already delivered.
 */
final class OutboxGone {

    /** Disjoint inclusive ranges, from -> to. */
    private final TreeMap<Long, Long> ranges = new TreeMap<>();
    private long nextSeq = 1;
    private long checkpointNext = 1;
    private long maxSeq;
    private boolean checkpointed;
    private boolean damaged;

    void checkpoint(long next, long lowWater) {
        checkpointed = true;
        checkpointNext = next;
        nextSeq = Math.max(nextSeq, next);
        if (lowWater > 1) {
            add(1, lowWater - 1);
        }
    }

    void add(long from, long to) {
        if (from > to) {
            return;
        }
        maxSeq = Math.max(maxSeq, to);
        if (from == to && contains(from)) {
            return;
        }
        ranges.put(from, to);
    }

    void damaged() {
        damaged = true;
    }

    /**
     * Whether missing seqs can be judged: only with an intact checkpoint do we know that a
     * seq absent from disk was delivered rather than lost. Unreadable bytes after it are
     * acknowledgements that were not yet synced: they cost a re-send, not the judgement.
     */
    boolean trusted() {
        return checkpointed && !damaged;
    }

    /** The journal exists but its checkpoint is not whole: acknowledged messages may be sent again. */
    boolean wasDamaged() {
        return damaged || !checkpointed;
    }

    /** Next seq at the last checkpoint, at least one past every seq the journal names. */
    long nextSeq() {
        return Math.max(nextSeq, maxSeq + 1);
    }

    /**
     * Next seq as the checkpoint stated it. The segments were forced before it was written,
     * so every seq below it had been durable; a seq above it may be an append a power cut
     * took before it was synced.
     */
    long checkpointNext() {
        return checkpointNext;
    }

    boolean contains(long seq) {
        Map.Entry<Long, Long> f = ranges.floorEntry(seq);
        return f != null && f.getValue() >= seq;
    }

    /** How many seqs in [from, to] are not gone. */
    long notGone(long from, long to) {
        if (from > to) {
            return 0;
        }
        long gone = 0;
        Long start = ranges.floorKey(from);
        for (Map.Entry<Long, Long> r : ranges.tailMap(start == null ? from : start, true).entrySet()) {
            if (r.getKey() > to) {
                break;
            }
            long lo = Math.max(r.getKey(), from);
            long hi = Math.min(r.getValue(), to);
            if (hi >= lo) {
                gone += hi - lo + 1;
            }
        }
        return to - from + 1 - gone;
    }
}
