package org.minimeter.gateway.mqtt;

/**
 * The topics of one meter (SPEC.md section 4): {@code <prefix>/<meter id>/<leaf>}. The gateway's
 * own status topic (its last will) is {@code new Topics(prefix, gatewayId, discoveryPrefix).status()};
 * with one meter the gateway id defaults to the meter id, so the two coincide.
 */
public record Topics(String prefix, String meterId, String discoveryPrefix) {

    public String status() {
        return base() + "status";
    }

    public String energy() {
        return base() + "energy";
    }

    public String power() {
        return base() + "power";
    }

    public String pulse() {
        return base() + "pulse";
    }

    public String health() {
        return base() + "health";
    }

    public String alarm() {
        return base() + "alarm";
    }

    /** Home Assistant announces {@code online} here after it starts: then discovery is sent again. */
    public String homeAssistantStatus() {
        return discoveryPrefix + "/status";
    }

    /** Home Assistant device-based discovery (HA 2024.11+): one config for all of this meter's entities. */
    public String deviceDiscovery() {
        return discoveryPrefix + "/device/" + meterId + "/config";
    }

    /**
     * The per-sensor discovery topic used before device-based discovery; still needed to migrate
     * and then clear what earlier versions left retained there.
     */
    public String legacyDiscovery(String objectId) {
        return discoveryPrefix + "/sensor/" + meterId + "/" + objectId + "/config";
    }

    private String base() {
        return prefix + "/" + meterId + "/";
    }
}
