package io.wiseseg.util;

import java.util.List;

/**
 * A training schedule in optimizer steps, as detectron2 and maskrcnn-benchmark give one
 * ({@code MAX_ITER}, {@code STEPS}, {@code GAMMA}): train for exactly {@code iterations} steps,
 * cycling through shuffled epochs as needed, and multiply the learning rate by {@code lrGamma} at
 * each of {@code lrSteps}. {@code iterations} 0 means the stage's epochs set the length (as before
 * this existed); empty {@code lrSteps} means the stage's own default drops.
 *
 * @param iterations optimizer steps to train, or 0 for the stage's epochs
 * @param lrSteps    steps (from 0) at which the learning rate drops, strictly increasing, each
 *                   at least 1 and, with {@code iterations}, below it
 * @param lrGamma    the factor at each drop (0, a file written before it existed, reads as 0.1)
 */
public record StepSchedule(int iterations, List<Integer> lrSteps, double lrGamma) {
    /** The factor at each drop when none is given: ×0.1, detectron2's and torchvision's. */
    public static final double DEFAULT_GAMMA = 0.1;

    /** Length from the epochs, the stage's default drops. */
    public static final StepSchedule EPOCHS = new StepSchedule(0, List.of(), DEFAULT_GAMMA);

    public StepSchedule {
        lrSteps = lrSteps == null ? List.of() : List.copyOf(lrSteps);
        if (lrGamma == 0) {
            lrGamma = DEFAULT_GAMMA;
        }
        String problem = problem(iterations, lrSteps, lrGamma);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /** Whether {@link #iterations} sets the length (else the epochs do). */
    public boolean byIterations() {
        return iterations > 0;
    }

    /**
     * What is wrong with these settings, in words naming them as the flags do (iterations,
     * lr steps, lr gamma), or null when they make a schedule.
     */
    public static String problem(int iterations, List<Integer> lrSteps, double lrGamma) {
        if (iterations < 0) {
            return "iterations must be >= 1, got " + iterations;
        }
        if (!(lrGamma > 0) || Double.isInfinite(lrGamma)) {
            return "lr gamma must be > 0, got " + lrGamma;
        }
        for (int i = 0; i < lrSteps.size(); i++) {
            int s = lrSteps.get(i);
            if (s < 1) {
                return "lr steps must be >= 1, got " + s;
            }
            if (i > 0 && s <= lrSteps.get(i - 1)) {
                return "lr steps must increase, got " + lrSteps;
            }
            if (iterations > 0 && s >= iterations) {
                return "lr steps must be below iterations (" + iterations + "), got " + s;
            }
        }
        return null;
    }

    /**
     * {@code lr} at {@code step} (counted from 0): × {@code gamma} for each of {@code steps} it has
     * reached. With no step reached it is {@code lr} itself, bit for bit.
     */
    public static double decayed(double lr, long step, List<Integer> steps, double gamma) {
        for (int s : steps) {
            if (step >= s) {
                lr *= gamma;
            }
        }
        return lr;
    }
}
