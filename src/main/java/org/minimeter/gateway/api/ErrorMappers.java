package org.minimeter.gateway.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.util.UUID;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Every failure of a request is answered as {@code {"status","field","reason"}}: a malformed
 * body names the field and what was wrong with it, and an unexpected failure gives an id to
 * find in the log, never a stack trace.
 */
public class ErrorMappers {

    private static final Logger LOG = Logger.getLogger(ErrorMappers.class);

    /** Ahead of Quarkus' own mapper, which answers a mismatched value with an empty 400. */
    @ServerExceptionMapper(priority = 1)
    public Response mismatched(com.fasterxml.jackson.databind.exc.MismatchedInputException e) {
        return malformed(e);
    }

    @ServerExceptionMapper(priority = 1)
    public Response malformed(JsonProcessingException e) {
        String field = "";
        if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
            field = m.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName()
                    : "[" + r.getIndex() + "]").collect(Collectors.joining("."));
        }
        String reason = e.getOriginalMessage();
        int cut = reason == null ? -1 : reason.indexOf(" at [Source");
        return ApiException.response(400, field, "malformed JSON body: " + (cut > 0 ? reason.substring(0, cut)
                : reason));
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        if (e.getCause() instanceof JsonProcessingException j) {
            return malformed(j);
        }
        int status = e.getResponse().getStatus();
        return ApiException.response(status, "", e.getMessage() == null ? Response.Status.fromStatusCode(status)
                .getReasonPhrase() : e.getMessage());
    }

    @ServerExceptionMapper
    public Response unexpected(RuntimeException e) {
        if (e instanceof ApiException a) {
            return ApiException.response(a.status, a.field, a.getMessage());
        }
        String id = UUID.randomUUID().toString();
        LOG.errorf(e, "API request failed, error id %s", id);
        return ApiException.response(500, "", "the request failed; error id " + id + " is in the gateway's log");
    }
}
