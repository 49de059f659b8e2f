package org.minimeter.gateway.sparkplug;

import java.util.Collection;
import java.util.Map;
import org.minimeter.gateway.metering.EnergySnapshot;
import org.minimeter.gateway.metering.Measurement;

/**
 * What the edge node reads of one meter, each scan: snapshots that the sampling threads
 * publish by volatile references, never anything that waits for them.
 */
public interface DeviceView {

    /** The meter's source is delivering samples; false while it has failed. */
    boolean available();

    /** 1 or 2. */
    int elements();

    /** The latest measurement window, or null before the first. */
    Measurement latest();

    /** The durable register (as last saved): it never goes down. */
    EnergySnapshot energy();

    /** Pulses completed per output ({@code pulse10}, {@code pulse100}, {@code pulse1000}, {@code counter}). */
    Map<String, Long> pulses();

    /** Active alarm keys, {@code over_voltage:L1} or {@code sample_gap}. */
    Collection<String> activeAlarms();

    /** {@code running}, {@code ended} (a recording played to its end) or {@code failed}. */
    String sourceState();
}
