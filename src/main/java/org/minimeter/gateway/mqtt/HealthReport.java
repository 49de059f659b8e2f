package org.minimeter.gateway.mqtt;

import java.time.Instant;
import java.util.List;

/**
 * What the health topic says about one meter and its gateway.
 *
 * @param activeAlarms alarm keys, per element as {@code over_voltage:L1}
 */
public record HealthReport(
        Instant ts,
        double uptimeSeconds,
        double sampleRateHz,
        long windows,
        long droppedSamples,
        long rejectedBlocks,
        long loopFailures,
        long reconnects,
        String mqttProtocol,
        long outboxDepth,
        long outboxDropped,
        Instant lastRegisterSave,
        long registerGeneration,
        List<String> activeAlarms) {

    public HealthReport {
        activeAlarms = List.copyOf(activeAlarms);
    }

    /** {@code ok}, or {@code alarm} while any alarm is active. */
    public String status() {
        return activeAlarms.isEmpty() ? "ok" : "alarm";
    }
}
