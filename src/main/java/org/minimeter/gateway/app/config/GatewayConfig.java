package org.minimeter.gateway.app.config;

import io.smallrye.config.ConfigMapping;
import java.util.Optional;

/** {@code gateway.*}: the gateway as one MQTT client (SPEC.md section 5). */
@ConfigMapping(prefix = "gateway")
public interface GatewayConfig {

    /**
     * {@code [a-z0-9_-]+}; the MQTT client id ({@code minimeter-<id>} unless {@code mqtt.client-id})
     * and the last-will topic {@code <prefix>/<id>/status}. Unset: the meter's id when there is one
     * meter, else {@code minimeter-gateway}.
     */
    Optional<String> id();
}
