package io.wiseseg.cli;

import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;

/**
 * Turns user errors (bad input files, bad arguments) into one line on stderr and exit code 2, and
 * a diverged training into one line and exit code 1; anything else is a bug and keeps its stack
 * trace.
 */
final class UserErrorHandler implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult parsed)
            throws Exception {
        Throwable t = ex instanceof UncheckedIOException u ? u.getCause() : ex;
        if (t instanceof IllegalArgumentException || t instanceof NoSuchFileException
                || t instanceof java.io.IOException || t instanceof UserException) {
            String msg = t instanceof NoSuchFileException nf ? "no such file: " + nf.getFile() : t.getMessage();
            cl.getErr().println("wiseseg: " + msg);
            return 2;
        }
        if (t instanceof io.wiseseg.util.TrainingDivergedException) { // an outcome, not a bug: no stack trace
            cl.getErr().println("wiseseg: " + t.getMessage());
            return 1;
        }
        throw ex;
    }
}
