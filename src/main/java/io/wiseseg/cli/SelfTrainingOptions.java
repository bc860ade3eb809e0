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

    @Option(names = "--round-ignore", paramLabel = "S", description = "With --rounds: the last Mask R-CNN's other "
            + "predictions on a train image scored at least S (below the round's score, or of a class the image is "
            + "not labelled with) that overlap none of its training masks become ignored regions: the round's "
            + "Mask R-CNN samples no anchor or RoI on them as background, as an object nobody labelled may be there "
            + "(default: none).")
    Double roundIgnore;

    /** The settings, or a one-line error naming the flag. */
    SelfTraining.Settings settings() {
        if (rounds < 0) {
            throw new UserException("--rounds must be >= 0, got " + rounds);
        }
        if (roundIgnore != null && !(roundIgnore >= 0 && roundIgnore <= 1)) {
            throw new UserException("--round-ignore must be a number in [0, 1], got " + roundIgnore);
        }
        SelfTraining.Settings s = roundScore.equals(SelfTraining.SCORE_TUNED) ? SelfTraining.Settings.tuned(rounds)
                : new SelfTraining.Settings(rounds, fixedScore());
        return roundIgnore == null ? s : s.withIgnoreScore(roundIgnore);
    }

    private double fixedScore() {
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
        return score;
    }
}
