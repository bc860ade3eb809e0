package io.wiseseg.cli;

import io.wiseseg.pipeline.SelfTraining;
import picocli.CommandLine.Option;

/** {@code run} and {@code demo}'s self-training flags ({@link SelfTraining}). */
final class SelfTrainingOptions {
    @Option(names = "--rounds", paramLabel = "N", defaultValue = "0", description = "Self-training rounds after WISE: "
            + "the last Mask R-CNN's confident predictions on the train images, of each image's labelled classes, "
            + "become the next Mask R-CNN's training masks (default: ${DEFAULT-VALUE}, WISE alone).")
    int rounds;

    @Option(names = "--round-score", paramLabel = "S", defaultValue = "" + SelfTraining.Settings.DEFAULT_SCORE,
            description = "With --rounds: keep predictions scored at least S (default: ${DEFAULT-VALUE}).")
    double roundScore;

    /** The settings, or a one-line error naming the flag. */
    SelfTraining.Settings settings() {
        if (rounds < 0) {
            throw new UserException("--rounds must be >= 0, got " + rounds);
        }
        if (!(roundScore >= 0 && roundScore <= 1)) {
            throw new UserException("--round-score must be in [0, 1], got " + roundScore);
        }
        return new SelfTraining.Settings(rounds, roundScore);
    }
}
