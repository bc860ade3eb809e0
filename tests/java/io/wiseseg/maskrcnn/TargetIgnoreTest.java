package io.wiseseg.maskrcnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.wiseseg.data.Box;
import io.wiseseg.data.Instance;
import io.wiseseg.data.Mask;
import io.wiseseg.util.TorchRuntime;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Ignored regions travel with a training target: built, mirrored and resized as its boxes are. */
class TargetIgnoreTest {
    @BeforeAll
    static void load() {
        TorchRuntime.ensureLoaded();
    }

    static Target target() {
        Mask m = new Mask(10, 20);
        m.set(3, 4, true);
        return Samples.target(List.of(Instance.of(0, m, 1f)), List.of(new Box(1, 2, 5, 6), new Box(0, 0, 20, 10)), 10, 20);
    }

    @Test
    void builtMirroredAndResizedLikeTheBoxes() {
        Target t = target();
        assertArrayEquals(new float[] {1, 2, 5, 6, 0, 0, 20, 10}, t.ignore(), 0f);
        assertArrayEquals(new float[] {4, 3, 5, 4}, t.boxes(), 0f);
        Target flipped = Samples.flipTarget(t, 20);
        assertArrayEquals(new float[] {15, 2, 19, 6, 0, 0, 20, 10}, flipped.ignore(), 0f);
        assertArrayEquals(new float[] {15, 3, 16, 4}, flipped.boxes(), 0f);
        // 10 × 20 to min side 20 (max 40): twice the size
        Tensor image = torch.zeros(new long[] {3, 10, 20});
        GeneralizedTransform.Batch b = new GeneralizedTransform(20, 40, 32).apply(List.of(image), List.of(t));
        assertArrayEquals(new float[] {2, 4, 10, 12, 0, 0, 40, 20}, b.targets().get(0).ignore(), 0f);
        assertArrayEquals(new float[] {8, 6, 10, 8}, b.targets().get(0).boxes(), 0f);
    }

    @Test
    void withoutIgnoredRegionsAndMalformed() {
        Mask m = new Mask(4, 4);
        m.set(1, 1, true);
        assertArrayEquals(new float[0], Samples.target(List.of(Instance.of(0, m, 1f)), 4, 4).ignore(), 0f);
        assertThrows(IllegalArgumentException.class, () -> new Target(new float[0], new long[0],
                torch.zeros(new long[] {0, 4, 4}), new float[] {1, 2, 3}));
    }
}
