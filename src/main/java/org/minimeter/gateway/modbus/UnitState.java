package org.minimeter.gateway.modbus;

/** What stands behind a unit id at the moment of a request. */
public sealed interface UnitState {

    /** No meter has this unit id: the gateway has no path to it (exception 0x0A). */
    UnitState UNKNOWN = new Unknown();

    record Unknown() implements UnitState {
    }

    /**
     * The meter exists but has nothing current to show (no measurement window yet, its source
     * failed, or it is being restarted): the target did not respond (exception 0x0B).
     */
    record Unavailable(String reason) implements UnitState {
    }

    record Ready(MeterRegisters registers) implements UnitState {
    }
}
