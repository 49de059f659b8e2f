package org.minimeter.gateway.api;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * A request the API refuses, with the HTTP status, the field at fault (or empty) and the
 * reason, answered as {@code {"status":400,"field":"...","reason":"..."}}: never a stack trace.
 */
final class ApiException extends RuntimeException {

    private static final long serialVersionUID = 1L;
    final int status;
    final String field;

    ApiException(int status, String field, String reason) {
        super(reason);
        this.status = status;
        this.field = field;
    }

    static ApiException badRequest(String field, String reason) {
        return new ApiException(400, field, reason);
    }

    /** {@code field=value is not allowed: allowed ...}, the one wording for a value out of range. */
    static ApiException notAllowed(String field, Object value, String allowed) {
        return badRequest(field, field + "=" + value + " is not allowed: allowed " + allowed);
    }

    static ApiException notFound(String what) {
        return new ApiException(404, "", what);
    }

    record Body(int status, String field, String reason) {
    }

    static Response response(int status, String field, String reason) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(new Body(status, field, reason))
                .build();
    }
}
