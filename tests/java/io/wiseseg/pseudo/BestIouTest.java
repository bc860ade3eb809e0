package io.wiseseg.pseudo;

import static io.wiseseg.pseudo.Inputs.rect;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.wiseseg.data.Mask;
import io.wiseseg.proposals.Proposal;
import java.util.List;
import org.junit.jupiter.api.Test;

class BestIouTest {
    static final int H = 12, W = 12;

    @Test
    void picksTheBestOverlapAndNoneWithoutOverlap() {
        Mask obj = rect(H, W, 2, 2, 6, 6);
        List<Proposal> props = Inputs.proposals(rect(H, W, 0, 0, H, W), 0.9, rect(H, W, 2, 2, 6, 7), 0.5,
                obj.copy(), 0.1, rect(H, W, 8, 8, 12, 12), 0.7);
        // map 0: the object; map 1: a single pixel at (8, 0), which only the whole image holds
        Mask dot = rect(H, W, 8, 0, 9, 1);
        float[] maps = Inputs.rectMaps(H, W, 0f, obj, dot);
        List<Seed> seeds = List.of(new Seed(0, 3, 3, 1f), new Seed(0, 8, 0, 1f));
        ImageEvidence e = Inputs.evidence(H, W, seeds, Inputs.maps(maps, 2, H, W), null, props);
        Selection s = new BestIou(1.0, 0).select(e, Inputs.scorer());
        assertEquals(2, s.proposal()[0]);
        assertEquals(1.0, s.score()[0], 1e-12);
        // the dot's best overlap is the whole image (1 / 144)
        assertEquals(0, s.proposal()[1]);
        Selection top1 = new BestIou(1.0, 1).select(e, Inputs.scorer());
        assertArrayEquals(new int[] {0, 0}, top1.proposal());
        List<Proposal> far = Inputs.proposals(rect(H, W, 8, 8, 12, 12), 0.7);
        Selection none = new BestIou(1.0, 0).select(Inputs.evidence(H, W, seeds.subList(0, 1),
                Inputs.maps(Inputs.rectMaps(H, W, 0f, obj), 1, H, W), null, far), Inputs.scorer());
        assertArrayEquals(new int[] {-1}, none.proposal());
    }

    /** The smoothed rule against a plain double-precision blur, threshold and IoU, on random maps. */
    @Test
    void smoothedMatchesAPlainBlurThresholdAndIou() {
        java.util.Random random = new java.util.Random(11);
        int h = 40, w = 48, k = 3;
        double sigma = 0.05; // × 48 = 2.4 px
        for (int trial = 0; trial < 5; trial++) {
            List<Proposal> props = new java.util.ArrayList<>();
            for (int i = 0; i < 30; i++) {
                int y0 = random.nextInt(h - 2), x0 = random.nextInt(w - 2);
                props.add(new Proposal(rect(h, w, y0, x0, y0 + 2 + random.nextInt(h - y0 - 1),
                        x0 + 2 + random.nextInt(w - x0 - 1)), 0.5f));
            }
            float[] maps = new float[k * h * w];
            List<Seed> seeds = new java.util.ArrayList<>();
            for (int j = 0; j < k; j++) { // a sparse speckle inside a random box, as a peak response map
                int y0 = random.nextInt(h / 2), x0 = random.nextInt(w / 2);
                for (int y = y0; y < y0 + h / 3; y++) {
                    for (int x = x0; x < x0 + w / 3; x++) {
                        if (random.nextDouble() < 0.3) {
                            maps[(j * h + y) * w + x] = random.nextFloat();
                        }
                    }
                }
                seeds.add(new Seed(0, y0 + 1, x0 + 1, 1f));
            }
            ImageEvidence e = Inputs.evidence(h, w, seeds, Inputs.maps(maps, k, h, w), null, props);
            Selection s = BestIou.smoothed(sigma, 0.5, 0).select(e, Inputs.scorer());
            for (int j = 0; j < k; j++) {
                boolean[] region = plainRegion(maps, j, h, w, sigma * w, 0.5);
                double[] ious = new double[props.size()];
                int best = -1;
                for (int i = 0; i < props.size(); i++) {
                    ious[i] = iou(region, props.get(i).mask(), h, w);
                    if (ious[i] > 0 && (best < 0 || ious[i] > ious[best])) {
                        best = i;
                    }
                }
                assertEquals(best < 0 ? 0 : ious[best], s.score()[j], 0.02, "trial " + trial + " seed " + j);
                if (best >= 0) {
                    assertEquals(ious[best], ious[s.proposal()[j]], 0.02);
                }
            }
        }
    }

    private static boolean[] plainRegion(float[] maps, int j, int h, int w, double sigma, double fraction) {
        int r = Math.max(1, (int) Math.ceil(3 * sigma));
        double[] g = new double[2 * r + 1];
        double sum = 0;
        for (int i = -r; i <= r; i++) {
            g[i + r] = Math.exp(-0.5 * i * i / (sigma * sigma));
            sum += g[i + r];
        }
        double[] blurred = new double[h * w];
        double max = Double.NEGATIVE_INFINITY;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double v = 0;
                for (int dy = -r; dy <= r; dy++) {
                    for (int dx = -r; dx <= r; dx++) {
                        int yy = y + dy, xx = x + dx;
                        if (yy >= 0 && yy < h && xx >= 0 && xx < w) {
                            v += g[dy + r] * g[dx + r] / (sum * sum) * maps[(j * h + yy) * w + xx];
                        }
                    }
                }
                blurred[y * w + x] = v;
                max = Math.max(max, v);
            }
        }
        boolean[] region = new boolean[h * w];
        for (int i = 0; i < h * w; i++) {
            region[i] = blurred[i] >= fraction * max;
        }
        return region;
    }

    private static double iou(boolean[] region, Mask m, int h, int w) {
        int inter = 0, union = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                boolean a = region[y * w + x], b = m.get(y, x);
                inter += a && b ? 1 : 0;
                union += a || b ? 1 : 0;
            }
        }
        return union == 0 ? 0 : (double) inter / union;
    }
}
