package org.minimeter.gateway.app;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * One meter and its gateway at one instant: the single status record the MQTT health topic,
 * the health probes ({@code /q/health}) and the API are all built from, so they never disagree.
 *
 * @param sampling false while the source has failed or ended ({@link #sourceProblem} says why)
 * @param sourceEnded the source is a recording that has ended: not a fault of the gateway
 * @param registerProblem why the register cannot be saved, or empty
 * @param threadProblems why the gateway's shared threads are not working, or empty
 * @param outboxAccepting false while the outbox refuses this meter's pulse events (full disk)
 * @param activeAlarms alarm keys, per element as {@code over_voltage:L1}
 * @param latchedAlarms raised since the last acknowledgement, cleared or not
 */
public record MeterStatus(
        String meter,
        Instant ts,
        double uptimeSeconds,
        double sampleRateHz,
        long windows,
        long droppedSamples,
        long rejectedBlocks,
        long loopFailures,
        long frontEndFaults,
        boolean sampling,
        boolean sourceEnded,
        String sourceProblem,
        String registerProblem,
        List<String> threadProblems,
        Instant lastRegisterSave,
        long registerGeneration,
        long registerSaves,
        boolean mqttConnected,
        String mqttProtocol,
        long reconnects,
        long outboxDepth,
        long outboxDropped,
        boolean outboxAccepting,
        List<String> activeAlarms,
        List<String> latchedAlarms) {

    public MeterStatus {
        threadProblems = List.copyOf(threadProblems);
        activeAlarms = List.copyOf(activeAlarms);
        latchedAlarms = List.copyOf(latchedAlarms);
    }

    /** {@code ok}, or {@code alarm} while any alarm is active. */
    public String status() {
        return activeAlarms.isEmpty() ? "ok" : "alarm";
    }

    /**
     * Why the gateway is not alive for this meter: its sampling has stopped (not a recording
     * that simply ended) or a shared thread is dead. Empty when alive. A restart is the cure
     * for these, so liveness is where they belong.
     */
    public List<String> notAlive() {
        List<String> p = new ArrayList<>(threadProblems);
        if (!sampling && !sourceEnded) {
            p.add("sampling stopped: " + sourceProblem);
        }
        return p;
    }

    /**
     * Why this meter cannot be trusted with new energy: its register cannot be saved or the
     * outbox refuses its events. Empty when ready. These are waited out, not restarted.
     */
    public List<String> notReady() {
        List<String> p = new ArrayList<>();
        if (!registerProblem.isEmpty()) {
            p.add(registerProblem);
        }
        if (!outboxAccepting) {
            p.add("the MQTT outbox refuses this meter's messages (full or failing disk); register saves wait");
        }
        return p;
    }
}
