package io.wiseseg.maskrcnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.data.Box;
import io.wiseseg.data.Instance;
import io.wiseseg.data.Mask;
import io.wiseseg.data.ProgressListener;
import io.wiseseg.data.VocDataset;
import io.wiseseg.kernels.Device;
import io.wiseseg.util.StepSchedule;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Multi-scale training ({@link MaskRcnnTrainer.Options#withMinScale}): the transform at a scale
 * resizes images and targets to that fraction of its sizes; a trainer at scale 1 is the trainer
 * as it was (same losses, bit for bit), one with smaller scales trains on other sizes.
 */
class MultiScaleTrainingTest {
    private static VocDataset dataset;
    private static final List<MaskRcnnTrainer.Example> EXAMPLES = new ArrayList<>();

    @BeforeAll
    static void data(@TempDir Path dir) {
        dataset = MaskRcnnTrainingTest.tinyDataset(dir);
        EXAMPLES.addAll(MaskRcnnTrainingTest.examples(dataset));
    }

    @Test
    void aScaledTransformResizesImagesAndTargetsToThatFraction() {
        Mask m = new Mask(40, 80);
        m.set(10, 20, true);
        Target t = Samples.target(List.of(Instance.of(0, m, 1f)), List.of(new Box(0, 0, 40, 20)), 40, 80);
        Tensor image = torch.zeros(new long[] {3, 40, 80});
        GeneralizedTransform full = new GeneralizedTransform(80, 160, 32);
        GeneralizedTransform.Batch at1 = full.apply(List.of(image), List.of(t));
        GeneralizedTransform.Batch atHalf = full.scaled(0.5).apply(List.of(image), List.of(t));
        assertArrayEquals(new int[] {80, 160}, at1.sizes().get(0)); // twice the image
        assertArrayEquals(new int[] {40, 80}, atHalf.sizes().get(0)); // the image's own size
        assertArrayEquals(new float[] {40, 20, 42, 22}, at1.targets().get(0).boxes(), 0f);
        assertArrayEquals(new float[] {20, 10, 21, 11}, atHalf.targets().get(0).boxes(), 0f);
        assertArrayEquals(new float[] {0, 0, 40, 20}, atHalf.targets().get(0).ignore(), 0f);
        assertEquals(40, atHalf.targets().get(0).masks().size(1));
        assertEquals(96, atHalf.images().size(3)); // 80 padded to a multiple of 32
    }

    private static MaskRcnnTrainer.Options options() {
        return new MaskRcnnTrainer.Options(1, 2, 0.02, 0.9, 1e-4, 2, 0.1, List.of(), 0.1, true, 3)
                .withSchedule(new StepSchedule(4, List.of(), 0.1));
    }

    private static List<Double> train(MaskRcnnTrainer.Options options, Path out) {
        torch.manual_seed(7);
        return new MaskRcnnTrainer(new MaskRcnn(MaskRcnnTrainingTest.tiny(), Device.cpu()), dataset.classes(), options,
                out).train(EXAMPLES, false, ProgressListener.NONE);
    }

    @Test
    void scaleOneIsTheTrainerAsItWasAndSmallerScalesTrainOtherwise(@TempDir Path dir) {
        List<Double> before = train(options(), dir.resolve("a"));
        List<Double> one = train(options().withMinScale(1), dir.resolve("b"));
        List<Double> jittered = train(options().withMinScale(0.5), dir.resolve("c"));
        assertEquals(before, one);
        assertEquals(before.size(), jittered.size());
        assertTrue(jittered.stream().allMatch(Double::isFinite), jittered.toString());
        assertNotEquals(before, jittered);
    }

    @Test
    void refusesScalesOutsideZeroOne() {
        assertThrows(IllegalArgumentException.class, () -> options().withMinScale(0));
        assertThrows(IllegalArgumentException.class, () -> options().withMinScale(1.5));
        assertEquals(0.25, options().withMinScale(0.25).withMaxGradNorm(5).minScale());
    }
}
