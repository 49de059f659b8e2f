package org.minimeter.gateway.api;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.Optional;

/**
 * {@code api.*}: who may call the API's actions. Reading needs no credential; every action
 * (seeding, calibration, acknowledging alarms, re-sending discovery) is refused until one of
 * these is configured.
 */
@ConfigMapping(prefix = "api")
public interface ApiConfig {

    /**
     * SHA-256 of the bearer token, 64 hex digits (the token itself is never stored):
     * {@code printf %s "$TOKEN" | sha256sum}. Callers send {@code Authorization: Bearer <token>}.
     */
    Optional<String> tokenSha256();

    /**
     * Accept a client certificate verified by the HTTPS listener instead of a token (set
     * {@code quarkus.http.ssl.client-auth=request} and the trust store with the clients' CA).
     */
    @WithDefault("false")
    boolean clientCertificates();

    /** Failed authentications per client address per minute before it is refused for a minute. */
    @WithDefault("5")
    int maxFailuresPerMinute();
}
