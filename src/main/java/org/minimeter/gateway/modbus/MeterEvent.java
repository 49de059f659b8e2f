package org.minimeter.gateway.modbus;

/**
 * The meter conditions a register map can show, with their bit in SunSpec's {@code Evt}
 * bitfield (models 201-204, {@code M_EVENT_*}).
 */
public enum MeterEvent {
    /** No voltage zero crossings: the supply is gone. */
    POWER_FAILURE(2),
    UNDER_VOLTAGE(3),
    OVER_CURRENT(5),
    OVER_VOLTAGE(6);

    private final int sunSpecBit;

    MeterEvent(int sunSpecBit) {
        this.sunSpecBit = sunSpecBit;
    }

    int sunSpecBit() {
        return sunSpecBit;
    }
}
