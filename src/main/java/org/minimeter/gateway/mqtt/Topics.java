package org.minimeter.gateway.mqtt;

/** The topics of one meter (SPEC.md section 4): {@code <prefix>/<meter id>/<leaf>}. */
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

    public String discovery(String component, String objectId) {
        return discoveryPrefix + "/" + component + "/" + meterId + "/" + objectId + "/config";
    }

    private String base() {
        return prefix + "/" + meterId + "/";
    }
}
