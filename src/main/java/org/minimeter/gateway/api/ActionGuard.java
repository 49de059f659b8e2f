package org.minimeter.gateway.api;

import io.vertx.core.http.HttpServerRequest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Every request that changes something ({@code POST}, {@code PUT}, {@code DELETE} under
 * {@code /api}) needs the credential of {@link ApiConfig}: a bearer token compared by its
 * SHA-256 in constant time, or a client certificate the TLS listener verified. Without a
 * configured credential every action is refused. A client address that fails more than
 * {@code api.max-failures-per-minute} times is refused for the rest of the minute without
 * the token being looked at, and the failures are logged once per address and minute.
 */
@ApplicationScoped
public class ActionGuard {

    private static final Logger LOG = Logger.getLogger(ActionGuard.class);
    static final String PRINCIPAL = "minimeter.principal";

    private final ApiConfig config;
    private final byte[] tokenHash;
    private final Map<String, Window> failures = new ConcurrentHashMap<>();

    /** Failures of one address in the current minute. */
    private static final class Window {
        long minute;
        int count;
        boolean logged;
    }

    @Inject
    ActionGuard(ApiConfig config) {
        this.config = config;
        this.tokenHash = config.tokenSha256().map(ActionGuard::parseHash).orElse(null);
    }

    /** A malformed credential stops start-up, like any bad value. */
    void validate(@jakarta.enterprise.event.Observes io.quarkus.runtime.StartupEvent event) {
        if (config.maxFailuresPerMinute() < 1 || config.maxFailuresPerMinute() > 1000) {
            throw new org.minimeter.gateway.app.config.InvalidConfigException(java.util.List.of(
                    "api.max-failures-per-minute=" + config.maxFailuresPerMinute() + " is not allowed: allowed 1 to 1000"));
        }
        LOG.infof("API: actions %s", actionsEnabled() ? "enabled (" + (tokenHash != null ? "bearer token" : "")
                + (tokenHash != null && config.clientCertificates() ? ", " : "")
                + (config.clientCertificates() ? "client certificates" : "") + ")"
                : "disabled (no api.token-sha256): the API and dashboard are read-only");
    }

    private static byte[] parseHash(String hex) {
        String h = hex.trim().toLowerCase(Locale.ROOT);
        if (!h.matches("[0-9a-f]{64}")) {
            throw new org.minimeter.gateway.app.config.InvalidConfigException(java.util.List.of("api.token-sha256=" + (h.length() > 8 ? h.substring(0, 8) + "..." : h)
                    + " is not allowed: allowed 64 hex digits (printf %s \"$TOKEN\" | sha256sum)"));
        }
        return HexFormat.of().parseHex(h);
    }

    /** True when some credential is configured, so actions can be called at all. */
    boolean actionsEnabled() {
        return tokenHash != null || config.clientCertificates();
    }

    @ServerRequestFilter
    public Response check(ContainerRequestContext ctx, HttpServerRequest request,
            io.vertx.ext.web.RoutingContext routing) {
        String method = ctx.getMethod();
        String path = ctx.getUriInfo().getPath();
        if (!path.startsWith("/api") || method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS")) {
            return null;
        }
        String from = request.remoteAddress() == null ? "unknown" : request.remoteAddress().hostAddress();
        if (!actionsEnabled()) {
            return refuse(403, from, method, path, "actions are disabled: configure api.token-sha256 (or"
                    + " api.client-certificates with HTTPS client authentication)", false);
        }
        long minute = System.currentTimeMillis() / 60_000;
        Window w = failures.get(from);
        if (w != null) {
            synchronized (w) {
                if (w.minute == minute && w.count >= config.maxFailuresPerMinute()) {
                    return refuse(429, from, method, path, "too many failed authentications from " + from
                            + "; try again in a minute", true);
                }
            }
        }
        String principal = certificate(request);
        if (principal == null) {
            principal = token(ctx.getHeaderString("Authorization"));
        }
        if (principal == null) {
            return refuse(401, from, method, path, "missing or wrong credential: send Authorization: Bearer <token>",
                    true);
        }
        routing.put(PRINCIPAL, principal + " from " + from);
        return null;
    }

    private String token(String header) {
        if (tokenHash == null || header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        byte[] given = sha256(header.substring(7).trim());
        return MessageDigest.isEqual(given, tokenHash) ? "token" : null;
    }

    private String certificate(HttpServerRequest request) {
        if (!config.clientCertificates() || !request.isSSL()) {
            return null;
        }
        SSLSession session = request.sslSession();
        try {
            var certs = session == null ? null : session.getPeerCertificates();
            if (certs != null && certs.length > 0 && certs[0] instanceof java.security.cert.X509Certificate x) {
                return "certificate " + x.getSubjectX500Principal().getName();
            }
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
        return null;
    }

    private Response refuse(int status, String from, String method, String path, String reason, boolean failure) {
        if (failure) {
            long minute = System.currentTimeMillis() / 60_000;
            Window w = failures.computeIfAbsent(from, k -> new Window());
            boolean log;
            int count;
            synchronized (w) {
                if (w.minute != minute) {
                    w.minute = minute;
                    w.count = 0;
                    w.logged = false;
                }
                w.count++;
                count = w.count;
                log = !w.logged || count == config.maxFailuresPerMinute();
                w.logged = true;
            }
            if (log) {
                LOG.warnf("API: refused %s %s from %s (%d failed authentication(s) this minute): %s", method, path,
                        from, count, reason);
            }
            if (failures.size() > 10_000) {
                // a scan from many addresses must not grow this without bound
                failures.entrySet().removeIf(e -> e.getValue().minute != minute);
            }
        } else {
            LOG.debugf("API: refused %s %s from %s: %s", method, path, from, reason);
        }
        return ApiException.response(status, "Authorization", reason);
    }

    static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
