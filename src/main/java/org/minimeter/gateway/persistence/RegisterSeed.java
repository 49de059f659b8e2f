package org.minimeter.gateway.persistence;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import org.minimeter.gateway.metering.EnergySnapshot;

/**
 * Setting the register to match another meter (a utility meter, the meter this one
 * replaces). It is an explicit, audited operation with an id: applied once, recorded in
 * {@code audit.log} with the old and new values, and refused if it would move the register
 * backwards unless {@code allowDecrease} is given.
 *
 * <p>Only the meter totals (slot 0) are set; per-element registers keep what they measured.
 * Pulse sequence numbers are kept: the jump produces no pulses.
 *
 * @param deliveredMicroWh new total delivered, if given
 * @param receivedMicroWh new total received, if given
 */
public record RegisterSeed(String id, OptionalLong deliveredMicroWh, OptionalLong receivedMicroWh,
        boolean allowDecrease) {

    public RegisterSeed {
        if (!id.matches("[A-Za-z0-9._:-]{1,64}")) {
            throw new IllegalArgumentException("seed id must be 1-64 of [A-Za-z0-9._:-], was '" + id + "'");
        }
    }

    private String auditKey() {
        return " seed id=" + id + " ";
    }

    /**
     * Applies the seed if it has not been applied before. Returns the new state (already
     * saved) or empty when the audit log shows this id was applied.
     *
     * @throws StorageException if it would decrease the register without {@code allowDecrease}
     */
    public Optional<RegisterState> applyTo(RegisterStore store, RegisterState current, Instant now) {
        if (store.auditLines().stream().anyMatch(l -> l.contains(auditKey()))) {
            return Optional.empty();
        }
        EnergySnapshot e = current.energy();
        long[] delivered = e.deliveredMicroWh();
        long[] received = e.receivedMicroWh();
        long newDelivered = deliveredMicroWh.orElse(delivered[0]);
        long newReceived = receivedMicroWh.orElse(received[0]);
        if (newDelivered < 0 || newReceived < 0) {
            throw new StorageException("storage.seed: a register cannot be negative");
        }
        if (!allowDecrease && (newDelivered < delivered[0] || newReceived < received[0])) {
            throw new StorageException(String.format(
                    "storage.seed.id=%s would move the register backwards (delivered %s -> %s kWh, received %s -> %s kWh):"
                            + " a register only moves forward; set storage.seed.allow-decrease=true to reset it",
                    id, kwh(delivered[0]), kwh(newDelivered), kwh(received[0]), kwh(newReceived)));
        }
        long oldDelivered = delivered[0];
        long oldReceived = received[0];
        delivered[0] = newDelivered;
        received[0] = newReceived;
        RegisterState next = current.next(now, new EnergySnapshot(delivered, received, e.committedSamples()),
                current.sequences(), current.counterBacklog());
        store.save(next);
        store.audit(now + auditKey() + "delivered-uwh " + oldDelivered + " -> " + newDelivered
                + " received-uwh " + oldReceived + " -> " + newReceived
                + " allow-decrease=" + allowDecrease + " generation=" + next.generation());
        return Optional.of(next);
    }

    static String kwh(long microWh) {
        return java.math.BigDecimal.valueOf(microWh, 9).stripTrailingZeros().toPlainString();
    }
}
