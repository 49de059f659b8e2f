package org.minimeter.gateway.app.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/**
 * {@code modbus.*}: the Modbus TCP server (SPEC.md section 8), one unit id per meter
 * ({@code meters.<id>.modbus.unit-id}), read-only.
 */
@ConfigMapping(prefix = "modbus")
public interface ModbusConfig {

    @WithDefault("false")
    boolean enabled();

    /** Interface to listen on; every interface by default (inverters and chargers are on the LAN). */
    @WithDefault("0.0.0.0")
    String host();

    /**
     * 5020, not Modbus' 502: ports below 1024 need root or CAP_NET_BIND_SERVICE, which the
     * gateway should not run with (see the README for giving it that capability).
     */
    @WithDefault("5020")
    int port();

    /** {@code sunspec} or {@code sdm}, for every meter of the gateway. */
    @WithDefault("sunspec")
    String map();

    @WithDefault("16")
    int maxConnections();

    @WithDefault("60s")
    Duration idleTimeout();

    /** Per connection. */
    @WithDefault("50")
    int maxRequestsPerSecond();

    /** The single meter's unit id when there is no {@code meters.*}; default 1. */
    Optional<Integer> unitId();
}
