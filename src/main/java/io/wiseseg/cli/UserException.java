package io.wiseseg.cli;

/** An error the user can fix (a bad flag, a missing file): printed as one line, no stack trace. */
public final class UserException extends RuntimeException {
    public UserException(String message) {
        super(message);
    }
}
