package org.minimeter.gateway.app;

import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.minimeter.gateway.hal.MonotonicClock;
import org.minimeter.gateway.metering.AlarmEvent;
import org.minimeter.gateway.metering.Condition;
import org.minimeter.gateway.metering.EnergySnapshot;
import org.minimeter.gateway.outputs.OutputBank;
import org.minimeter.gateway.outputs.PulseEvent;
import org.minimeter.gateway.outputs.PulseLedger;
import org.minimeter.gateway.persistence.RegisterState;
import org.minimeter.gateway.persistence.RegisterStore;
import org.minimeter.gateway.persistence.SavePolicy;

/**
 * Makes the live register durable and releases what depends on durability. A save is two
 * steps so that one saver can serve many meters with one outbox fsync: {@link #plan} decides
 * by the save policy whether to write and hands the pulse events the save will make durable
 * to the caller; the caller makes them durable (one group commit for every meter due), then
 * {@link #commit} writes the register. Only after a successful write do the new values become
 * the meter's durable energy (what publishers may show) and the counter gets its new steps,
 * so no register value a subscriber has seen can be taken back by a kill -9.
 *
 * <p>Pulse events go out before the save: a kill between the two repeats them after restart
 * (the register comes back below them and crosses the same boundaries again); releasing
 * them after the save could lose them. A save that fails and is retried does not hand the
 * same events over again: they are already on their way.
 */
final class RegisterKeeper {

    /** A meter whose saves fail is tried again no sooner than this. */
    static final long RETRY_FAILING_NANOS = 1_000_000_000L;

    /** What one save will write; from {@link #plan}, for {@link #commit}. */
    record Plan(RegisterState before, EnergySnapshot now, Map<String, Long> sequences, long newSteps,
            List<PulseEvent> events, long atNanos, Instant at) {
    }

    private final RegisterStore store;
    private final PulseLedger ledger;
    private final SavePolicy policy;
    /** Null for a meter without physical outputs: it owes no counter steps. */
    private final OutputBank outputs;
    private final Supplier<EnergySnapshot> live;
    private final Consumer<List<PulseEvent>> events;
    private final Consumer<AlarmEvent> alarms;
    private final MonotonicClock clock;
    private final Clock wall;
    private volatile RegisterState durable;
    /** The sequences up to which events were handed over: ahead of {@link #durable} while saves fail. */
    private Map<String, Long> released;
    private long lastSaveNanos;
    /** The last save tried, successful or not: a saver with a budget serves the longest untried first. */
    private long lastAttemptNanos;
    private boolean failing;
    /** The outbox refuses this meter's pulse events: its register waits, a storage fault too. */
    private boolean outboxRefusing;
    private boolean alarmed;
    private volatile long saves;
    private volatile long failures;

    RegisterKeeper(RegisterStore store, RegisterState start, PulseLedger ledger, SavePolicy policy,
            OutputBank outputs, Supplier<EnergySnapshot> live, Consumer<List<PulseEvent>> events,
            Consumer<AlarmEvent> alarms, MonotonicClock clock, Clock wall) {
        this.store = store;
        this.durable = start;
        this.released = new HashMap<>(start.sequences());
        this.ledger = ledger;
        this.policy = policy;
        this.outputs = outputs;
        this.live = live;
        this.events = events;
        this.alarms = alarms;
        this.clock = clock;
        this.wall = wall;
        this.lastSaveNanos = clock.nanoTime();
        this.lastAttemptNanos = lastSaveNanos;
    }

    RegisterState durable() {
        return durable;
    }

    long saves() {
        return saves;
    }

    long failures() {
        return failures;
    }

    synchronized boolean failing() {
        return failing;
    }

    /** The outbox refuses this meter's pulse events, so its register cannot be saved. */
    synchronized boolean refusedByOutbox() {
        return outboxRefusing;
    }

    RegisterStore store() {
        return store;
    }

    private long counterBacklog() {
        return outputs == null ? 0 : outputs.counterBacklog();
    }

    /**
     * When this meter last tried to save if a save is due by the policy now, or -1 if it is
     * not: looks, changes nothing. A saver with a budget serves the longest untried first, so
     * meters whose directory keeps failing cannot take every turn; a failing meter also waits
     * a save interval (at least 1 s) between tries.
     */
    synchronized long dueSince() {
        long t = clock.nanoTime();
        if (failing && t - lastAttemptNanos < Math.max(policy.minIntervalNanos(), RETRY_FAILING_NANOS)) {
            return -1;
        }
        RegisterState before = durable;
        EnergySnapshot now = live.get();
        long accumulated = (now.deliveredMicroWh(0) - before.energy().deliveredMicroWh(0))
                + (now.receivedMicroWh(0) - before.energy().receivedMicroWh(0));
        boolean counterChanged = outputs != null && (ledger.sequencesAt(now.deliveredMicroWh(0))
                .get(PulseLedger.COUNTER) > before.sequence(PulseLedger.COUNTER)
                || counterBacklog() != before.counterBacklog());
        return policy.due(t, lastSaveNanos, accumulated, counterChanged) ? lastAttemptNanos : -1;
    }

    /**
     * Whether a save is due (or {@code force}d with something to save); if so, the plan, with
     * the pulse events not handed over before. Null if nothing is due.
     */
    synchronized Plan plan(boolean force) {
        RegisterState before = durable;
        EnergySnapshot now = live.get();
        long accumulated = (now.deliveredMicroWh(0) - before.energy().deliveredMicroWh(0))
                + (now.receivedMicroWh(0) - before.energy().receivedMicroWh(0));
        Map<String, Long> sequences = ledger.sequencesAt(now.deliveredMicroWh(0));
        long newSteps = outputs == null ? 0 : sequences.get(PulseLedger.COUNTER) - before.sequence(PulseLedger.COUNTER);
        boolean counterChanged = newSteps > 0 || counterBacklog() != before.counterBacklog();
        long t = clock.nanoTime();
        if (!force && !policy.due(t, lastSaveNanos, accumulated, counterChanged)) {
            return null;
        }
        if (force && accumulated == 0 && !counterChanged) {
            return null;
        }
        Instant at = wall.instant();
        List<PulseEvent> fresh = ledger.eventsBetween(released, sequences, at);
        for (PulseEvent e : fresh) {
            released.merge(e.output(), e.seq(), Math::max);
        }
        return new Plan(before, now, sequences, newSteps, fresh, t, at);
    }

    /**
     * Writes the planned register. Its events must have been handed over (and made durable)
     * before. On failure raises {@code storage_error} once and rethrows; the next plan retries.
     */
    synchronized void commit(Plan plan) {
        lastAttemptNanos = plan.atNanos();
        RegisterState next;
        try {
            next = plan.before().next(plan.at(), plan.now(), plan.sequences(), counterBacklog() + plan.newSteps());
            store.save(next);
        } catch (RuntimeException e) {
            failures++;
            failing = true;
            updateStorageAlarm(plan.now().committedSamples());
            throw e;
        }
        failing = false;
        updateStorageAlarm(plan.now().committedSamples());
        lastSaveNanos = plan.atNanos();
        saves++;
        if (outputs != null) {
            outputs.addCounterSteps(plan.newSteps());
        }
        durable = next;
    }

    /**
     * Takes a plan's events back when they could not be handed over (the outbox refused them):
     * the next plan offers them again, so no seq is skipped.
     */
    synchronized void unrelease(Plan plan) {
        for (PulseEvent e : plan.events()) {
            released.merge(e.output(), e.seq() - 1, Math::min);
        }
    }

    /**
     * Whether the outbox refuses this meter's pulse events; true the first time it changes
     * (so the caller logs once per episode, not once per tick).
     */
    synchronized boolean outboxRefusing(boolean refusing) {
        if (refusing == outboxRefusing) {
            return false;
        }
        outboxRefusing = refusing;
        updateStorageAlarm(live.get().committedSamples());
        return true;
    }

    /** One storage_error per episode, whichever of the register or the outbox is failing. */
    private void updateStorageAlarm(long sample) {
        boolean now = failing || outboxRefusing;
        if (now != alarmed) {
            alarmed = now;
            alarms.accept(new AlarmEvent(Condition.STORAGE_ERROR, 0, now, sample, Double.NaN, Double.NaN));
        }
    }

    /** Plan, hand the events to this keeper's own consumer, commit: one meter on its own. */
    synchronized boolean tick(boolean force) {
        Plan plan = plan(force);
        if (plan == null) {
            return false;
        }
        if (!plan.events().isEmpty()) {
            events.accept(plan.events());
        }
        commit(plan);
        return true;
    }
}
