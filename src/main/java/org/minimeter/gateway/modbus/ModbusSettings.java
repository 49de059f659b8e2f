package org.minimeter.gateway.modbus;

import java.time.Duration;

/**
 * The server's checked settings.
 *
 * @param host the address to listen on ({@code 0.0.0.0}: every interface)
 * @param map the register map every unit answers with
 * @param maxConnections open connections at most; one more is closed as soon as it is accepted
 * @param idleTimeout a connection with no request for this long is closed
 * @param maxRequestsPerSecond per connection; past it the server stops reading that connection
 *     until it is back under the rate (TCP holds the client back), so no client can take more
 */
public record ModbusSettings(String host, int port, RegisterMap map, int maxConnections, Duration idleTimeout,
        int maxRequestsPerSecond) {
}
