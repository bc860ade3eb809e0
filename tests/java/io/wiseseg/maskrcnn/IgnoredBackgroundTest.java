package io.wiseseg.maskrcnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.util.Tensors;
import io.wiseseg.util.TorchRuntime;
import java.util.Random;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Ignored regions in sampling against a plain loop over boxes, and a hand-worked case. */
class IgnoredBackgroundTest {
    @BeforeAll
    static void load() {
        TorchRuntime.ensureLoaded();
    }

    static double iou(float[] a, int i, float[] b, int j) {
        double iw = Math.max(0, Math.min(a[4 * i + 2], b[4 * j + 2]) - Math.max(a[4 * i], b[4 * j]));
        double ih = Math.max(0, Math.min(a[4 * i + 3], b[4 * j + 3]) - Math.max(a[4 * i + 1], b[4 * j + 1]));
        double inter = iw * ih;
        double areaA = (a[4 * i + 2] - a[4 * i]) * (a[4 * i + 3] - a[4 * i + 1]);
        double areaB = (b[4 * j + 2] - b[4 * j]) * (b[4 * j + 3] - b[4 * j + 1]);
        return inter / (areaA + areaB - inter);
    }

    static float[] boxes(Random r, int n) {
        float[] b = new float[4 * n];
        for (int i = 0; i < n; i++) {
            float x = r.nextInt(12), y = r.nextInt(12);
            b[4 * i] = x;
            b[4 * i + 1] = y;
            b[4 * i + 2] = x + 1 + r.nextInt(30);
            b[4 * i + 3] = y + 1 + r.nextInt(30);
        }
        return b;
    }

    @Test
    void backgroundNearAnIgnoredBoxIsIgnoredOnRandomBoxes() {
        Random r = new Random(11);
        int changed = 0;
        for (int trial = 0; trial < 30; trial++) {
            int p = 1 + r.nextInt(80), k = r.nextInt(5);
            float[] candidates = boxes(r, p), ignore = boxes(r, k);
            long[] labels = new long[p];
            for (int j = 0; j < p; j++) {
                labels[j] = r.nextInt(4) - 1; // -1, 0, 1, 2
            }
            float threshold = trial % 2 == 0 ? 0.3f : 0.5f;
            long[] want = labels.clone();
            for (int j = 0; j < p; j++) {
                for (int i = 0; i < k; i++) {
                    if (want[j] == 0 && iou(ignore, i, candidates, j) >= threshold) {
                        want[j] = -1;
                        changed++;
                    }
                }
            }
            Tensor got = IgnoredBackground.apply(Tensors.longs(labels, p), Tensors.floats(candidates, p, 4),
                    Tensors.floats(ignore, k, 4), threshold);
            assertArrayEquals(want, Tensors.toLongs(got), "trial " + trial);
        }
        assertTrue(changed > 20, "the random cases must exercise the rule (" + changed + " changed)");
    }

    @Test
    void handWorkedFloatLabels() {
        // candidates: on the ignored box (IoU 1), half over it (IoU 1/3), far away, and a positive on it
        float[] candidates = {0, 0, 10, 10, 5, 0, 15, 10, 50, 50, 60, 60, 0, 0, 10, 10};
        Tensor labels = Tensors.floats(new float[] {0, 0, 0, 1}, 4);
        Tensor ignore = Tensors.floats(new float[] {0, 0, 10, 10}, 1, 4);
        assertArrayEquals(new float[] {-1, -1, 0, 1}, Tensors.toFloats(IgnoredBackground.apply(labels,
                Tensors.floats(candidates, 4, 4), ignore, 0.3f)), 0f);
        assertArrayEquals(new float[] {-1, 0, 0, 1}, Tensors.toFloats(IgnoredBackground.apply(labels,
                Tensors.floats(candidates, 4, 4), ignore, 0.5f)), 0f);
        // no ignored box: the labels as they are
        assertArrayEquals(new float[] {0, 0, 0, 1}, Tensors.toFloats(IgnoredBackground.apply(labels,
                Tensors.floats(candidates, 4, 4), Tensors.floats(new float[0], 0, 4), 0.5f)), 0f);
    }
}
