package io.wiseseg.serve;

/**
 * A request the server refuses: the HTTP status and a one-line reason, sent to the client as the
 * Open Inference Protocol's error object {@code {"error": "..."}}.
 */
final class RequestException extends RuntimeException {
    private final int status;

    RequestException(int status, String reason) {
        super(reason, null, false, false); // an answer to a client, not a bug: no stack trace
        this.status = status;
    }

    int status() {
        return status;
    }
}
