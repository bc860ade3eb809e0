package io.wiseseg.util;

/**
 * A training step's loss was not finite: the weights have blown up, so training cannot go on.
 * Not a bug and not bad input; the CLI prints its message in one line (exit code 1).
 */
public final class TrainingDivergedException extends IllegalStateException {
    public TrainingDivergedException(String message) {
        super(message);
    }
}
