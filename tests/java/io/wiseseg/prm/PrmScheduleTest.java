package io.wiseseg.prm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wiseseg.data.ProgressListener;
import io.wiseseg.data.SyntheticDataset;
import io.wiseseg.data.VocDataset;
import io.wiseseg.kernels.Device;
import io.wiseseg.kernels.PeakFinder;
import io.wiseseg.util.StepSchedule;
import io.wiseseg.util.TorchRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The classifier by iterations: the learning rate of every step against a hand-worked schedule,
 * exactly N optimizer steps, a resume mid-schedule that goes on as the uninterrupted run did, and
 * a resume with another schedule refused by name.
 */
class PrmScheduleTest {
    static {
        TorchRuntime.ensureLoaded();
        torch.set_num_threads(1); // a tiny model on a shared 2-core machine (see PrmTrainerTest)
    }

    @TempDir
    static Path tmp;
    static VocDataset dataset;

    @BeforeAll
    static void generate() {
        // 8 train images in batches of 3: 3 steps an epoch, the last of 2 images
        dataset = SyntheticDataset.generate(tmp.resolve("synth"), new SyntheticDataset.Options(8, 64, 64, 3, 2,
                SyntheticDataset.CLASSES.names(), 0.03, 0.0, false), ProgressListener.NONE);
    }

    /** 7 steps (2 epochs and one step of a third), lr 0.02 × 0.5 at steps 2 and 5; a checkpoint every 4 steps. */
    static PrmConfig sevenSteps() {
        return new PrmConfig("resnet18", 8, SyntheticDataset.CLASSES.names(), null, "synth", "train", 1, 3, 64, 1.2,
                0.5, 0.02, 0.5, true, 0.9, 1e-4, 1, 4, 32).withSchedule(new StepSchedule(7, List.of(2, 5), 0.5));
    }

    /** Seven steps' gradient norms, each recorded once (none lost or repeated by a resume), equal to float rounding. */
    static void assertSameNorms(List<Double> want, List<Double> got) {
        assertEquals(7, want.size(), want.toString());
        assertEquals(7, got.size(), got.toString());
        for (int i = 0; i < 7; i++) {
            assertTrue(want.get(i) > 0, "a norm at step " + i);
            assertEquals(want.get(i), got.get(i), 1e-4 * want.get(i), "gradient norm at step " + i);
        }
    }

    /** By hand: 0.02 for steps 0-1, 0.01 for 2-4, 0.005 for 5-6. */
    static final List<Double> SEVEN_STEPS_LR = List.of(0.02, 0.02, 0.01, 0.01, 0.01, 0.005, 0.005);

    private static PrmTrainer trainer(PrmConfig config) {
        return new PrmTrainer(config, new PeakFinder(Device.cpu()));
    }

    @Test
    void runsExactlyItsIterationsOnTheHandWorkedRatesAndResumesMidSchedule() throws Exception {
        torch.manual_seed(0);
        PrmTrainer a = trainer(sevenSteps());
        PrmTrainer.Trained whole = a.train(dataset, tmp.resolve("whole"), false, ProgressListener.NONE);
        assertEquals(7, a.optimizerSteps);
        assertEquals(7, whole.state().step());
        assertEquals(7, whole.state().losses().size());
        assertEquals(SEVEN_STEPS_LR, a.stepLearningRates); // halving is exact in binary

        // the same run crashed after step 5 (its checkpoint is step 4's), then resumed
        Path crashed = tmp.resolve("crashed");
        torch.manual_seed(0);
        ProgressListener crash = (task, done, total) -> {
            if (done == 5) {
                throw new IllegalStateException("crash");
            }
        };
        assertThrows(IllegalStateException.class, () -> trainer(sevenSteps()).train(dataset, crashed, false, crash));
        PrmTrainer resumed = trainer(sevenSteps());
        PrmTrainer.Trained rest = resumed.train(dataset, crashed, true, ProgressListener.NONE);
        assertEquals(3, resumed.optimizerSteps, "steps 4..6");
        assertEquals(SEVEN_STEPS_LR.subList(4, 7), resumed.stepLearningRates);
        assertEquals(7, rest.state().step());
        List<Double> want = whole.state().losses(), got = rest.state().losses();
        for (int i = 0; i < 7; i++) {
            // the same weights, optimizer state, batches and augmentation: the same losses to float rounding
            assertEquals(want.get(i), got.get(i), 1e-4 * Math.abs(want.get(i)), "step " + i + ": " + want + " vs " + got);
        }
        assertSameNorms(whole.state().gradNorms(), rest.state().gradNorms());

        // another schedule is refused, naming the setting
        for (var c : List.of(
                new Object[] {new StepSchedule(9, List.of(2, 5), 0.5), "iterations: 7 → 9"},
                new Object[] {new StepSchedule(7, List.of(2, 4), 0.5), "lrSteps: [2, 5] → [2, 4]"},
                new Object[] {new StepSchedule(7, List.of(2, 5), 0.1), "lrGamma: 0.5 → 0.1"},
                new Object[] {StepSchedule.EPOCHS, "iterations: 7 → 0, lrSteps: [2, 5] → [], lrGamma: 0.5 → 0.1"})) {
            PrmConfig other = sevenSteps().withSchedule((StepSchedule) c[0]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> trainer(other).train(dataset, tmp.resolve("whole"), true, ProgressListener.NONE));
            assertTrue(e.getMessage().startsWith("cannot resume: the settings differ from the checkpoint's ")
                    && e.getMessage().endsWith("(" + c[1] + ")"), e.getMessage());
        }
    }

    @Test
    void thePretrainingRecipeResumesWithItsAdamStateAndRefusesAnotherRecipe() throws Exception {
        PrmConfig adam = sevenSteps().withRecipe(TrainingRecipe.PRETRAINING);
        torch.manual_seed(0);
        PrmTrainer.Trained whole = trainer(adam).train(dataset, tmp.resolve("adam-whole"), false, ProgressListener.NONE);
        assertEquals(adam, PrmCheckpoint.config(tmp.resolve("adam-whole")));

        Path crashed = tmp.resolve("adam-crashed");
        torch.manual_seed(0);
        ProgressListener crash = (task, done, total) -> {
            if (done == 6) {
                throw new IllegalStateException("crash");
            }
        };
        assertThrows(IllegalStateException.class, () -> trainer(adam).train(dataset, crashed, false, crash));
        PrmTrainer resumed = trainer(adam);
        PrmTrainer.Trained rest = resumed.train(dataset, crashed, true, ProgressListener.NONE);
        assertEquals(3, resumed.optimizerSteps, "steps 4..6");
        List<Double> want = whole.state().losses(), got = rest.state().losses();
        for (int i = 0; i < 7; i++) {
            // steps 5 and 6 follow the restored Adam moments: fresh ones would take another step
            assertEquals(want.get(i), got.get(i), 1e-4 * Math.abs(want.get(i)), "step " + i + ": " + want + " vs " + got);
        }
        assertSameNorms(whole.state().gradNorms(), rest.state().gradNorms());

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> trainer(sevenSteps()).train(dataset, crashed, true, ProgressListener.NONE));
        assertTrue(e.getMessage().endsWith("(recipe: max pooling, softmax loss, adam → peaks pooling, soft-margin loss, sgd)"),
                e.getMessage());
    }

    @Test
    void byEpochsTheRateIsConstantAsBefore() throws Exception {
        PrmConfig twoEpochs = new PrmConfig("resnet18", 8, SyntheticDataset.CLASSES.names(), null, "synth", "train", 2,
                4, 64, 1.0, 0.5, 0.02, 1.0, true, 0.9, 1e-4, 1, 100, 32);
        PrmTrainer t = trainer(twoEpochs);
        t.train(dataset, tmp.resolve("epochs"), false, ProgressListener.NONE);
        assertEquals(4, t.optimizerSteps);
        assertEquals(List.of(0.02, 0.02, 0.02, 0.02), t.stepLearningRates);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> trainer(
                twoEpochs.withSchedule(new StepSchedule(0, List.of(4), 0.1))).train(dataset, tmp.resolve("late"), false,
                ProgressListener.NONE));
        assertEquals("lr steps must be below the run's 4 steps (2 epochs of 2), got 4", e.getMessage());
    }

    @Test
    void aConfigWrittenBeforeSchedulesReadsAsOneByEpochs() throws Exception {
        PrmConfig byEpochs = PrmConfig.defaults(List.of("a", "b"), "data");
        ObjectMapper json = new ObjectMapper();
        ObjectNode old = json.valueToTree(byEpochs);
        old.remove(List.of("iterations", "lrSteps", "lrGamma", "recipe"));
        Path file = tmp.resolve("old-config.json");
        Files.writeString(file, old.toString());
        assertEquals(byEpochs, PrmConfig.read(file));
        assertEquals(TrainingRecipe.PRM, PrmConfig.read(file).recipe());
        PrmConfig scheduled = byEpochs.withSchedule(new StepSchedule(100, List.of(50, 80), 0.2))
                .withRecipe(new TrainingRecipe(TrainingRecipe.Pooling.MAX, TrainingRecipe.Loss.SOFT_MARGIN,
                        TrainingRecipe.OptimizerKind.ADAM));
        scheduled.write(file);
        assertEquals(scheduled, PrmConfig.read(file));
        // a recipe written before the gradient limit existed reads as one without a limit
        ObjectNode noLimit = json.valueToTree(scheduled);
        ((ObjectNode) noLimit.get("recipe")).remove("maxGradNorm");
        Files.writeString(file, noLimit.toString());
        assertEquals(scheduled, PrmConfig.read(file));
        PrmConfig limited = scheduled.withRecipe(scheduled.recipe().withMaxGradNorm(2.5));
        limited.write(file);
        assertEquals(limited, PrmConfig.read(file));
        assertEquals("max pooling, soft-margin loss, adam, gradient norm <= 2.5", limited.recipe().toString());
    }

    /**
     * The gradient limit, against what one plain SGD step (momentum 0, weight decay 0, rate 1)
     * must do: it moves the weights by exactly the gradient g, so the unlimited step measures g,
     * and from the same start a step limited to |g|/4 must move them by g/4 and one limited to
     * 4|g| by g itself.
     */
    @Test
    void aGradientLimitScalesTheWholeStepDownToIt() throws Exception {
        PrmConfig oneStep = new PrmConfig("resnet18", 8, SyntheticDataset.CLASSES.names(), null, "synth", "train", 1,
                3, 64, 1.2, 0.5, 1.0, 1.0, true, 0.0, 0.0, 1, 4, 32).withSchedule(new StepSchedule(1, List.of(), 0.1));
        torch.manual_seed(0);
        float[] start = weights(oneStep.newNetwork());
        PrmTrainer.Trained freeRun = stepFrom(oneStep, "free");
        float[] free = weights(freeRun.network());
        double[] g = new double[start.length];
        double norm = 0;
        for (int i = 0; i < g.length; i++) {
            g[i] = (double) free[i] - start[i];
            norm += g[i] * g[i];
        }
        norm = Math.sqrt(norm);
        assertTrue(norm > 1e-3, "a step that moves the weights: " + norm);
        assertEquals(List.of(1), List.of(freeRun.state().gradNorms().size()));
        assertEquals(norm, freeRun.state().gradNorms().get(0), 1e-4 * norm, "the recorded norm is the step's");
        for (double factor : new double[] {0.25, 4}) {
            PrmTrainer.Trained limitedRun = stepFrom(oneStep.withRecipe(TrainingRecipe.PRM.withMaxGradNorm(norm * factor)),
                    "limited" + factor);
            float[] limited = weights(limitedRun.network());
            assertEquals(norm, limitedRun.state().gradNorms().get(0), 1e-4 * norm, "the norm recorded is the one before the limit");
            double scale = Math.min(1, factor), error = 0;
            for (int i = 0; i < g.length; i++) {
                double d = (double) limited[i] - start[i] - scale * g[i];
                error += d * d;
            }
            assertTrue(Math.sqrt(error) < 1e-4 * norm, "limit " + factor + "·|g|: off by " + Math.sqrt(error)
                    + " of |g| = " + norm);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainingRecipe.PRM.withMaxGradNorm(Double.NaN));
        assertEquals("the gradient norm limit must be a number >= 0 (0: no limit), got NaN", e.getMessage());
    }

    private static PrmTrainer.Trained stepFrom(PrmConfig config, String out) throws Exception {
        torch.manual_seed(0); // the start of the weights() above
        return trainer(config).train(dataset, tmp.resolve(out), false, ProgressListener.NONE);
    }

    /** Every weight of the network (BatchNorm's too: trained with --train-batchnorm), backbone then head, flattened. */
    private static float[] weights(PrmNetwork net) {
        List<Float> all = new java.util.ArrayList<>();
        for (var group : List.of(net.backbone().parameters(true), net.classifierParameters())) {
            for (long i = 0; i < group.size(); i++) {
                for (float v : io.wiseseg.util.Tensors.toFloats(group.get(i))) {
                    all.add(v);
                }
            }
        }
        float[] out = new float[all.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = all.get(i);
        }
        return out;
    }
}
