package io.wiseseg.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Schedules in optimizer steps: what makes one, and the rate at each step. */
class StepScheduleTest {
    @Test
    void decaysAtEachStepReached() {
        List<Integer> steps = List.of(3, 5);
        double[] want = {0.4, 0.4, 0.4, 0.2, 0.2, 0.1, 0.1};
        for (int step = 0; step < want.length; step++) {
            assertEquals(want[step], StepSchedule.decayed(0.4, step, steps, 0.5), "step " + step);
        }
        assertEquals(0.1 * 3, StepSchedule.decayed(0.1 * 3, 1000, List.of(), 0.5), "no steps: the rate itself");
    }

    @Test
    void refusesWhatMakesNoSchedule() {
        assertNull(StepSchedule.problem(10, List.of(1, 9), 0.1));
        assertNull(StepSchedule.problem(0, List.of(100), 0.1), "by epochs the run's length is checked by the trainer");
        assertEquals("iterations must be >= 1, got -1", StepSchedule.problem(-1, List.of(), 0.1));
        assertEquals("lr steps must increase, got [5, 5]", StepSchedule.problem(10, List.of(5, 5), 0.1));
        assertEquals("lr steps must be below iterations (10), got 10", StepSchedule.problem(10, List.of(10), 0.1));
        assertEquals("lr steps must be >= 1, got 0", StepSchedule.problem(10, List.of(0), 0.1));
        assertEquals("lr gamma must be > 0, got -0.1", StepSchedule.problem(10, List.of(), -0.1));
        assertThrows(IllegalArgumentException.class, () -> new StepSchedule(10, List.of(7, 3), 0.1));
        assertEquals(StepSchedule.EPOCHS, new StepSchedule(0, null, 0), "absent fields of an older file");
    }
}
