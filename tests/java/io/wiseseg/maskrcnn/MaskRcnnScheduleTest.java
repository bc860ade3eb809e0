package io.wiseseg.maskrcnn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.data.ProgressListener;
import io.wiseseg.data.VocDataset;
import io.wiseseg.kernels.Device;
import io.wiseseg.util.StepSchedule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training by iterations: the learning rate of every optimizer step against a hand-worked
 * schedule (warm-up, then drops), exactly N steps, a resume mid-schedule that goes on with the
 * same rates (and losses) as an uninterrupted run, a resume with another schedule refused by name,
 * and iterations that reproduce a run by epochs.
 */
class MaskRcnnScheduleTest {
    private static VocDataset dataset;
    private static final List<MaskRcnnTrainer.Example> EXAMPLES = new ArrayList<>();

    @BeforeAll
    static void data(@TempDir Path dir) {
        dataset = MaskRcnnTrainingTest.tinyDataset(dir);
        EXAMPLES.addAll(MaskRcnnTrainingTest.examples(dataset));
    }

    /**
     * lr 0.02, warm-up over 4 steps from × 0.1, × 0.1 at steps 3 and 7; 9 steps of batch 2 on 4
     * images: 5 epochs, the last one a single step.
     */
    private static MaskRcnnTrainer.Options nineSteps() {
        return new MaskRcnnTrainer.Options(1, 2, 0.02, 0.9, 1e-4, 4, 0.1, List.of(), 0.1, true, 3)
                .withSchedule(new StepSchedule(9, List.of(3, 7), 0.1));
    }

    /** By hand: warm-up factor 0.1 + 0.9 × step / 4 for steps 0..3, then 1; × 0.1 from step 3, × 0.01 from 7. */
    private static final double[] NINE_STEPS_LR = {
        0.02 * 0.1, 0.02 * 0.325, 0.02 * 0.55, 0.02 * 0.1 * 0.775, 0.002, 0.002, 0.002, 0.0002, 0.0002};

    private static MaskRcnnTrainer trainer(MaskRcnnTrainer.Options options, Path out, long seed) {
        torch.manual_seed(seed);
        return new MaskRcnnTrainer(new MaskRcnn(MaskRcnnTrainingTest.tiny(), Device.cpu()), dataset.classes(),
                options, out);
    }

    /** Throws after the first step of epoch {@code epoch} (1-based), as a crash after its checkpoint would. */
    private static ProgressListener crashIn(int epoch) {
        return (task, done, total) -> {
            if (task.startsWith("train epoch " + epoch + "/") && done == 1) {
                throw new IllegalStateException("crash");
            }
        };
    }

    private static void assertRates(double[] expected, List<Double> actual) {
        assertEquals(expected.length, actual.size(), "steps: " + actual);
        for (int i = 0; i < expected.length; i++) {
            // the trainer computes lr × factors in doubles: equal to a few ulps of the hand value
            assertEquals(expected[i], actual.get(i), 1e-15, "lr at step " + i + ": " + actual);
        }
    }

    @Test
    void runsExactlyItsIterationsOnTheHandWorkedRatesAndResumesMidSchedule(@TempDir Path tmp) throws Exception {
        Path whole = tmp.resolve("whole");
        MaskRcnnTrainer a = trainer(nineSteps(), whole, 4);
        List<Double> losses = a.train(EXAMPLES, false, ProgressListener.NONE);
        assertEquals(9, a.optimizerSteps);
        assertRates(NINE_STEPS_LR, a.stepLearningRates);
        assertEquals(5, losses.size(), "4 whole epochs and one of 1 step: " + losses);
        String state = Files.readString(whole.resolve(MaskRcnnTrainer.STATE_FILE));
        assertTrue(state.replaceAll("\\s", "").contains("\"iterations\":9"), state);

        // the same run, crashed in epoch 3 (after step 4's checkpoint at the end of epoch 2), then resumed
        Path crashed = tmp.resolve("crashed");
        MaskRcnnTrainer b = trainer(nineSteps(), crashed, 4);
        assertThrows(IllegalStateException.class, () -> b.train(EXAMPLES, false, crashIn(3)));
        MaskRcnnTrainer resumed = trainer(nineSteps(), crashed, 99); // initialisation overwritten by the checkpoint
        List<Double> more = resumed.train(EXAMPLES, true, ProgressListener.NONE);
        assertEquals(5, resumed.optimizerSteps, "steps 4..8");
        assertEquals(a.stepLearningRates.subList(4, 9), resumed.stepLearningRates);
        assertEquals(3, more.size(), more.toString());
        for (int i = 0; i < 3; i++) {
            // same weights, optimizer state, order and flips: the same losses, to float rounding
            assertEquals(losses.get(2 + i), more.get(i), 1e-4 * Math.abs(losses.get(2 + i)),
                    "epoch " + (3 + i) + ": uninterrupted " + losses + ", resumed " + more);
        }

        // a finished run resumed trains nothing more
        MaskRcnnTrainer again = trainer(nineSteps(), whole, 4);
        assertEquals(List.of(), again.train(EXAMPLES, true, ProgressListener.NONE));
        assertEquals(0, again.optimizerSteps);

        // another schedule is refused, naming what differs
        for (var c : List.of(
                new Object[] {new StepSchedule(12, List.of(3, 7), 0.1), "iterations: 9 → 12"},
                new Object[] {new StepSchedule(9, List.of(3, 6), 0.1), "lr steps: [3,7] → [3,6]"},
                new Object[] {new StepSchedule(9, List.of(3, 7), 0.5), "lr gamma: 0.1 → 0.5"},
                new Object[] {StepSchedule.EPOCHS, "iterations: 9 → 0"})) {
            MaskRcnnTrainer.Options other = new MaskRcnnTrainer.Options(1, 2, 0.02, 0.9, 1e-4, 4, 0.1, List.of(), 0.1,
                    true, 3).withSchedule((StepSchedule) c[0]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> trainer(other, whole, 4).train(EXAMPLES, true, ProgressListener.NONE));
            assertTrue(e.getMessage().startsWith("cannot resume: the schedule differs from the checkpoint's ")
                    && e.getMessage().contains((String) c[1]) && e.getMessage().lines().count() == 1, e.getMessage());
        }
        MaskRcnnTrainer.Options otherWarmup = new MaskRcnnTrainer.Options(1, 2, 0.02, 0.9, 1e-4, 2, 0.1, List.of(),
                0.1, true, 3).withSchedule(new StepSchedule(9, List.of(3, 7), 0.1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> trainer(otherWarmup, whole, 4).train(EXAMPLES, true, ProgressListener.NONE));
        assertTrue(e.getMessage().contains("warm-up: 4 → 2"), e.getMessage());
    }

    /**
     * One plain SGD step (no momentum, weight decay or warm-up) moves the parameters by lr × the
     * gradient, so with the gradient's norm limited to L they move by exactly lr × L; without a
     * limit (the same start and batch) by lr × the full norm, far more.
     */
    @Test
    void aGradientNormLimitScalesTheStepToIt(@TempDir Path tmp) {
        MaskRcnnTrainer.Options plain = new MaskRcnnTrainer.Options(1, 2, 0.02, 0, 0, 0, 1, List.of(), 0.1, false, 3)
                .withSchedule(new StepSchedule(1, List.of(), 0.1));
        double limited = stepNorm(plain.withMaxGradNorm(1e-3), tmp.resolve("limited"));
        double free = stepNorm(plain, tmp.resolve("free"));
        assertEquals(0.02 * 1e-3, limited, 0.02 * 1e-3 * 1e-3, "the step of a limited gradient");
        assertTrue(free > 100 * limited, "an unlimited step: " + free);
        assertThrows(IllegalArgumentException.class, () -> plain.withMaxGradNorm(-1));
        assertThrows(IllegalArgumentException.class, () -> plain.withMaxGradNorm(Double.NaN));
    }

    /** The L2 norm of what one step of {@code options} changes, over all parameters. */
    private static double stepNorm(MaskRcnnTrainer.Options options, Path out) {
        torch.manual_seed(11);
        MaskRcnn model = new MaskRcnn(MaskRcnnTrainingTest.tiny(), Device.cpu());
        TensorVector params = model.parameters(true);
        List<Tensor> before = new ArrayList<>();
        for (long i = 0; i < params.size(); i++) {
            before.add(params.get(i).detach().clone());
        }
        new MaskRcnnTrainer(model, dataset.classes(), options, out).train(EXAMPLES, false, ProgressListener.NONE);
        double sum = 0;
        for (int i = 0; i < before.size(); i++) {
            sum += params.get(i).detach().sub(before.get(i)).pow(new Scalar(2.0)).sum().item_double();
        }
        return Math.sqrt(sum);
    }

    @Test
    void iterationsAndLrStepsReproduceARunByEpochs(@TempDir Path tmp) {
        // 2 epochs of 2 steps, the decay after epoch 1 (WISE's default place for 2 epochs) ...
        MaskRcnnTrainer.Options byEpochs = MaskRcnnTrainer.Options.wise(2, 2, 0.02, 2, true, 7);
        assertEquals(List.of(1), byEpochs.decayEpochs());
        MaskRcnnTrainer a = trainer(byEpochs, tmp.resolve("epochs"), 5);
        List<Double> la = a.train(EXAMPLES, false, ProgressListener.NONE);
        // ... is 4 iterations, the decay at step 2
        MaskRcnnTrainer b = trainer(byEpochs.withSchedule(new StepSchedule(4, List.of(2), 0.1)), tmp.resolve("its"), 5);
        List<Double> lb = b.train(EXAMPLES, false, ProgressListener.NONE);
        assertEquals(4, a.optimizerSteps);
        assertEquals(4, b.optimizerSteps);
        assertEquals(a.stepLearningRates, b.stepLearningRates);
        assertEquals(0.002, a.stepLearningRates.get(2), 1e-15);
        assertEquals(la, lb, "the same steps on the same batches give the same losses");
    }

    @Test
    void aRunByEpochsKeepsItsDefaultDecayAndRefusesLrStepsPastItsEnd(@TempDir Path tmp) {
        MaskRcnnTrainer.Options wise = MaskRcnnTrainer.Options.wise(3, 2, 0.02, 0, false, 0);
        assertEquals(wise, wise.withSchedule(StepSchedule.EPOCHS), "no schedule flags: the options as before");
        MaskRcnnTrainer.Options byIterations = wise.withSchedule(new StepSchedule(30, List.of(), 0.1));
        assertEquals(List.of(), byIterations.decayEpochs());
        assertEquals(List.of(20), byIterations.decaySteps(), "the default drop after two thirds of the iterations");
        MaskRcnnTrainer.Options stepsPastTheEnd = wise.withSchedule(new StepSchedule(0, List.of(6), 0.1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> trainer(stepsPastTheEnd, tmp, 0).train(EXAMPLES, false, ProgressListener.NONE));
        assertEquals("lr steps must be below the run's 6 steps (3 epochs of 2), got 6", e.getMessage());
    }
}
