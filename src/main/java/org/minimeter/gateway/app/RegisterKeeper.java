package org.minimeter.gateway.app;

import java.time.Clock;
import java.time.Instant;
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
 * Makes the live register durable and releases what depends on durability. On each tick it
 * decides by the save policy whether to write; after a successful write, and only then, the
 * new values become the meter's durable energy (what publishers may show) and the counter is
 * given its new steps, so no register value a subscriber has seen can be taken back by a
 * kill -9. Pulse events are handed over just before the write (at least once, never lost).
 */
final class RegisterKeeper {

    private final RegisterStore store;
    private final PulseLedger ledger;
    private final SavePolicy policy;
    private final OutputBank outputs;
    private final Supplier<EnergySnapshot> live;
    private final Consumer<List<PulseEvent>> events;
    private final Consumer<AlarmEvent> alarms;
    private final MonotonicClock clock;
    private final Clock wall;
    private volatile RegisterState durable;
    private long lastSaveNanos;
    private boolean failing;
    private volatile long saves;

    RegisterKeeper(RegisterStore store, RegisterState start, PulseLedger ledger, SavePolicy policy,
            OutputBank outputs, Supplier<EnergySnapshot> live, Consumer<List<PulseEvent>> events,
            Consumer<AlarmEvent> alarms, MonotonicClock clock, Clock wall) {
        this.store = store;
        this.durable = start;
        this.ledger = ledger;
        this.policy = policy;
        this.outputs = outputs;
        this.live = live;
        this.events = events;
        this.alarms = alarms;
        this.clock = clock;
        this.wall = wall;
        this.lastSaveNanos = clock.nanoTime();
    }

    RegisterState durable() {
        return durable;
    }

    long saves() {
        return saves;
    }

    /** Saves if the policy says so (or {@code force}); true if a save happened. */
    synchronized boolean tick(boolean force) {
        RegisterState before = durable;
        EnergySnapshot now = live.get();
        long accumulated = (now.deliveredMicroWh(0) - before.energy().deliveredMicroWh(0))
                + (now.receivedMicroWh(0) - before.energy().receivedMicroWh(0));
        Map<String, Long> sequences = ledger.sequencesAt(now.deliveredMicroWh(0));
        long newSteps = sequences.get(PulseLedger.COUNTER) - before.sequence(PulseLedger.COUNTER);
        boolean counterChanged = newSteps > 0 || outputs.counterBacklog() != before.counterBacklog();
        long t = clock.nanoTime();
        if (!force && !policy.due(t, lastSaveNanos, accumulated, counterChanged)) {
            return false;
        }
        if (force && accumulated == 0 && !counterChanged) {
            return false;
        }
        Instant at = wall.instant();
        // Pulse events go out before the save that makes them durable: a kill between the two
        // repeats them after restart (the register comes back below them and crosses the same
        // boundaries again), while releasing them after the save would lose them. Subscribers
        // see every seq at least once and de-duplicate by seq.
        List<PulseEvent> released = ledger.eventsBetween(before.sequences(), sequences, at);
        if (!released.isEmpty()) {
            events.accept(released);
        }
        RegisterState next;
        try {
            next = before.next(at, now, sequences, outputs.counterBacklog() + newSteps);
            store.save(next);
        } catch (RuntimeException e) {
            if (!failing) {
                failing = true;
                alarms.accept(new AlarmEvent(Condition.STORAGE_ERROR, 0, true, now.committedSamples(),
                        Double.NaN, Double.NaN));
            }
            throw e;
        }
        if (failing) {
            failing = false;
            alarms.accept(new AlarmEvent(Condition.STORAGE_ERROR, 0, false, now.committedSamples(),
                    Double.NaN, Double.NaN));
        }
        lastSaveNanos = t;
        saves++;
        outputs.addCounterSteps(newSteps);
        durable = next;
        return true;
    }
}
