package io.wiseseg.maskrcnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.wiseseg.util.Tensors;
import io.wiseseg.util.TorchRuntime;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The matcher on tensors against a plain loop of torchvision's rules, on IoUs drawn from a few
 * values so that ties (between ground truths, at each ground truth's best) are common.
 */
class MatcherTest {
    @BeforeAll
    static void load() {
        TorchRuntime.ensureLoaded();
    }

    /** torchvision's Matcher as loops: first maximum over ground truths; low-quality ties all kept. */
    static int[] naive(float[] iou, int g, int p, float high, float low, boolean allowLowQuality) {
        int[] matches = new int[p], best = new int[p];
        for (int j = 0; j < p; j++) {
            int arg = 0;
            float v = iou[j];
            for (int i = 1; i < g; i++) {
                if (iou[i * p + j] > v) {
                    v = iou[i * p + j];
                    arg = i;
                }
            }
            best[j] = arg;
            matches[j] = v < low ? Matcher.BELOW : v < high ? Matcher.BETWEEN : arg;
        }
        if (allowLowQuality) {
            for (int i = 0; i < g; i++) {
                float top = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < p; j++) {
                    top = Math.max(top, iou[i * p + j]);
                }
                for (int j = 0; j < p; j++) {
                    if (iou[i * p + j] == top) {
                        matches[j] = best[j];
                    }
                }
            }
        }
        return matches;
    }

    @Test
    void matchesTheRulesWithTies() {
        Random r = new Random(4);
        float[] levels = {0f, 0.1f, 0.3f, 0.45f, 0.5f, 0.69f, 0.7f, 0.9f};
        for (int trial = 0; trial < 40; trial++) {
            int g = 1 + r.nextInt(5), p = 1 + r.nextInt(60);
            float[] iou = new float[g * p];
            for (int k = 0; k < iou.length; k++) {
                iou[k] = levels[r.nextInt(levels.length)];
            }
            for (boolean lowQuality : new boolean[] {false, true}) {
                int[] got = Tensors.toInts(new Matcher(0.7f, 0.3f, lowQuality).match(Tensors.floats(iou, g, p)));
                assertArrayEquals(naive(iou, g, p, 0.7f, 0.3f, lowQuality), got, "trial " + trial + ", low quality "
                        + lowQuality);
            }
        }
    }
}
