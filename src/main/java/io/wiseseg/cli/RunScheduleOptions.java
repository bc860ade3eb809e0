package io.wiseseg.cli;

import io.wiseseg.util.StepSchedule;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The schedule flags of {@code run} and {@code demo} (a picocli mixin): each stage trains by its
 * epochs, or by a number of optimizer steps with learning-rate drops at given steps.
 */
final class RunScheduleOptions {
    @Option(names = "--classifier-iterations", paramLabel = "N", description = "Train the classifier exactly N "
            + "optimizer steps (batches of 16) instead of --epochs. " + Schedules.HOW_MANY)
    Integer classifierIterations;

    @Option(names = "--classifier-lr-steps", paramLabel = "STEP", split = ",", description = "Classifier steps at "
            + "which its learning rate drops × --classifier-lr-gamma (default: none, a constant rate).")
    List<Integer> classifierLrSteps;

    @Option(names = "--classifier-lr-gamma", paramLabel = "G", defaultValue = "0.1",
            description = "Classifier learning-rate factor at each drop (default: ${DEFAULT-VALUE}).")
    double classifierLrGamma;

    @Option(names = "--maskrcnn-iterations", paramLabel = "N", description = "Train each Mask R-CNN exactly N "
            + "optimizer steps (batches of 4) instead of --maskrcnn-epochs. " + Schedules.HOW_MANY)
    Integer maskRcnnIterations;

    @Option(names = "--maskrcnn-lr-steps", paramLabel = "STEP", split = ",", description = "Mask R-CNN steps at "
            + "which its learning rate drops × --maskrcnn-lr-gamma (default: one drop after two thirds of the "
            + "epochs, or of --maskrcnn-iterations).")
    List<Integer> maskRcnnLrSteps;

    @Option(names = "--maskrcnn-lr-gamma", paramLabel = "G", defaultValue = "0.1",
            description = "Mask R-CNN learning-rate factor at each drop (default: ${DEFAULT-VALUE}; 1: no drop).")
    double maskRcnnLrGamma;

    /** The classifier's schedule; {@code epochsGiven}: whether --epochs was given. */
    StepSchedule classifier(boolean epochsGiven) {
        return Schedules.of(classifierIterations, classifierLrSteps, classifierLrGamma, epochsGiven,
                "--classifier-iterations", "--classifier-lr-steps", "--classifier-lr-gamma", "--epochs");
    }

    /** The Mask R-CNNs' schedule; {@code epochsGiven}: whether --maskrcnn-epochs was given. */
    StepSchedule maskRcnn(boolean epochsGiven) {
        return Schedules.of(maskRcnnIterations, maskRcnnLrSteps, maskRcnnLrGamma, epochsGiven,
                "--maskrcnn-iterations", "--maskrcnn-lr-steps", "--maskrcnn-lr-gamma", "--maskrcnn-epochs");
    }
}
