package io.wiseseg.cli;

import io.wiseseg.util.StepSchedule;
import java.util.List;

/**
 * Schedule flags (iterations, lr steps, lr gamma) checked as the user wrote them and turned into a
 * {@link StepSchedule}; each problem is one line naming the flag.
 */
final class Schedules {
    private Schedules() {}

    /** How iterations relate to the other training flags, in the help texts. */
    static final String HOW_MANY = "Choose about epochs × training images / batch size.";

    /**
     * The schedule of one stage.
     *
     * @param flags       the stage's flag names: iterations, lr steps, lr gamma, epochs
     * @param epochsGiven whether the epochs flag was given (with iterations it would be ignored)
     */
    static StepSchedule of(Integer iterations, List<Integer> lrSteps, double lrGamma, boolean epochsGiven,
            String... flags) {
        String it = flags[0], steps = flags[1], gamma = flags[2], epochs = flags[3];
        if (iterations != null && epochsGiven) {
            throw new UserException("give one of " + epochs + " and " + it);
        }
        if (iterations != null && iterations < 1) {
            throw new UserException(it + " must be >= 1, got " + iterations);
        }
        if (!(lrGamma > 0) || Double.isInfinite(lrGamma)) {
            throw new UserException(gamma + " must be > 0, got " + lrGamma);
        }
        List<Integer> s = lrSteps == null ? List.of() : lrSteps;
        for (int i = 0; i < s.size(); i++) {
            if (s.get(i) < 1) {
                throw new UserException(steps + " must be >= 1, got " + s.get(i));
            }
            if (i > 0 && s.get(i) <= s.get(i - 1)) {
                throw new UserException(steps + " must increase, got " + join(s));
            }
            if (iterations != null && s.get(i) >= iterations) {
                throw new UserException(steps + " must be below " + it + " " + iterations + ", got " + s.get(i));
            }
        }
        return new StepSchedule(iterations == null ? 0 : iterations, s, lrGamma);
    }

    private static String join(List<Integer> xs) {
        return String.join(",", xs.stream().map(String::valueOf).toList());
    }
}
