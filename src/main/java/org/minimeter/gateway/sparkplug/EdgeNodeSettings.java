package org.minimeter.gateway.sparkplug;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One edge node, checked.
 *
 * @param groupId the Sparkplug group id (a topic level)
 * @param edgeNodeId this gateway's edge node id (a topic level)
 * @param primaryHostId when present, births wait for this host's STATE {@code online}
 * @param scanInterval how often the meters' latest values are compared with what was reported
 * @param storeInterval while offline, how often changes are recorded as history
 * @param storeMaxBytes the bound of the history kept on disk while offline
 * @param deadbands one per analog quantity
 */
public record EdgeNodeSettings(String groupId, String edgeNodeId, Optional<String> primaryHostId,
        Duration scanInterval, Duration storeInterval, long storeMaxBytes, Map<Quantity, Deadband> deadbands) {

    public static final String NAMESPACE = "spBv1.0";

    public EdgeNodeSettings {
        Objects.requireNonNull(groupId, "groupId");
        Objects.requireNonNull(edgeNodeId, "edgeNodeId");
        Objects.requireNonNull(primaryHostId, "primaryHostId");
        deadbands = java.util.Collections.unmodifiableMap(new EnumMap<>(deadbands));
        for (Quantity q : Quantity.values()) {
            if (!deadbands.containsKey(q)) {
                throw new IllegalArgumentException("no deadband for " + q.key());
            }
        }
    }

    public Deadband deadband(Quantity q) {
        return deadbands.get(q);
    }

    String nodeTopic(String type) {
        return NAMESPACE + "/" + groupId + "/" + type + "/" + edgeNodeId;
    }

    String deviceTopic(String type, String deviceId) {
        return nodeTopic(type) + "/" + deviceId;
    }

    /** {@code spBv1.0/STATE/<host id>} (the Sparkplug 3.0 form), or empty. */
    Optional<String> stateTopic() {
        return primaryHostId.map(h -> NAMESPACE + "/STATE/" + h);
    }
}
