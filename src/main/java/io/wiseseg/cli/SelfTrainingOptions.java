package io.wiseseg.cli;

import io.wiseseg.pipeline.SelfTraining;
import picocli.CommandLine.Option;

/** {@code run} and {@code demo}'s self-training flags ({@link SelfTraining}). */
final class SelfTrainingOptions {
    @Option(names = "--rounds", paramLabel = "N", defaultValue = "0", description = "Self-training rounds after WISE: "
            + "the last Mask R-CNN's confident predictions on the train images, of each image's labelled classes, "
            + "become the next Mask R-CNN's training masks (default: ${DEFAULT-VALUE}, WISE alone).")
    int rounds;

    @Option(names = "--round-score", paramLabel = "S|tuned", defaultValue = "" + SelfTraining.Settings.DEFAULT_SCORE,
            description = "With --rounds: keep predictions scored at least S, or '" + SelfTraining.SCORE_TUNED
                    + "': each round picks S of " + "0.3..0.9 on the run's tuning images (best F1 of precision and "
                    + "object recall; needs the settings search, else ${DEFAULT-VALUE}) (default: ${DEFAULT-VALUE}).")
    String roundScore;

    /** The settings, or a one-line error naming the flag. */
    SelfTraining.Settings settings() {
        if (rounds < 0) {
            throw new UserException("--rounds must be >= 0, got " + rounds);
        }
        if (roundScore.equals(SelfTraining.SCORE_TUNED)) {
            return SelfTraining.Settings.tuned(rounds);
        }
        double score;
        try {
            score = Double.parseDouble(roundScore);
        } catch (NumberFormatException e) {
            score = Double.NaN;
        }
        if (!(score >= 0 && score <= 1)) {
            throw new UserException("--round-score must be a number in [0, 1] or '" + SelfTraining.SCORE_TUNED
                    + "', got '" + roundScore + "'");
        }
        return new SelfTraining.Settings(rounds, score);
    }
}
