package io.wiseseg.pseudo;

import static io.wiseseg.pseudo.Inputs.rect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.data.Mask;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/**
 * One class per object: hand-worked cases, then random instances against a slow version written
 * on boolean grids (its own IoU and means, an O(n²) scan for "kept, other class, overlapping").
 */
class ClassConflictsTest {
    static final int H = 10, W = 10;

    static PseudoInstance inst(int seed, int classId, Mask m) {
        return new PseudoInstance(seed, classId, seed, m, 0.5, List.of());
    }

    /** C maps, map c = values[c] everywhere except where {@code hot[c]} (if any) is set: there hotValue. */
    static Tensor maps(float[] values, Mask[] hot, float hotValue) {
        float[] v = new float[values.length * H * W];
        for (int c = 0; c < values.length; c++) {
            for (int i = 0; i < H * W; i++) {
                v[c * H * W + i] = hot[c] != null && hot[c].get(i / W, i % W) ? hotValue : values[c];
            }
        }
        return Inputs.maps(v, values.length, H, W);
    }

    @Test
    void theClassThatRespondsMostInsideItsMaskKeepsTheObject() {
        Mask left = rect(H, W, 0, 0, 10, 5); // 50 px
        Mask leftish = rect(H, W, 0, 0, 10, 4); // IoU with left 40/50 = 0.8
        Mask right = rect(H, W, 0, 6, 10, 10); // disjoint
        // class 0's map is 1 everywhere; class 1's is 3 on the first four columns and 0 elsewhere:
        // class 1 averages 3 over leftish, class 0 averages 1 over left → class 1 keeps the object
        Tensor m = maps(new float[] {1f, 0f}, new Mask[] {null, leftish}, 3f);
        List<PseudoInstance> kept = new ClassConflicts(0.5).apply(List.of(inst(0, 0, left), inst(1, 1, leftish),
                inst(2, 0, right)), m);
        assertEquals(List.of(1, 2), kept.stream().map(PseudoInstance::seed).toList()); // by response: 3, then 1
        // below the threshold both stay: IoU 0.8 < 0.9
        assertEquals(3, new ClassConflicts(0.9).apply(List.of(inst(0, 0, left), inst(1, 1, leftish),
                inst(2, 0, right)), m).size());
        // exactly at the threshold counts as a conflict (intersection >= t × union)
        assertEquals(1, new ClassConflicts(0.8).apply(List.of(inst(0, 0, left), inst(1, 1, leftish)), m).size());
        // same-class overlaps are not this step's: both kept
        assertEquals(2, new ClassConflicts(0.5).apply(List.of(inst(0, 0, left), inst(1, 0, leftish)), m).size());
    }

    @Test
    void tiesKeepTheEarlierInstanceAndBadInputIsRefused() {
        Mask a = rect(H, W, 0, 0, 10, 5);
        Tensor flat = maps(new float[] {2f, 2f}, new Mask[2], 0f);
        assertEquals(List.of(0), new ClassConflicts(0.5).apply(List.of(inst(0, 0, a), inst(1, 1, a)), flat).stream()
                .map(PseudoInstance::seed).toList());
        assertEquals(List.of(1), new ClassConflicts(0.5).apply(List.of(inst(1, 1, a), inst(0, 0, a)), flat).stream()
                .map(PseudoInstance::seed).toList());
        for (double bad : new double[] {0, -0.1, 1.5, Double.NaN}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ClassConflicts(bad));
            assertTrue(e.getMessage().contains("class-conflict IoU must be in (0, 1]"), e.getMessage());
        }
        Mask other = new Mask(5, 5);
        other.set(0, 0, true);
        assertThrows(IllegalArgumentException.class,
                () -> new ClassConflicts(0.5).apply(List.of(inst(0, 0, a), inst(1, 1, other)), flat));
    }

    @Test
    void randomInstancesMatchASlowScan() {
        Random r = new Random(16);
        for (int trial = 0; trial < 200; trial++) {
            int classes = 1 + r.nextInt(3), n = r.nextInt(7);
            float[] v = new float[classes * H * W];
            for (int i = 0; i < v.length; i++) {
                v[i] = r.nextInt(5); // few values: ties between means happen
            }
            List<PseudoInstance> in = new ArrayList<>();
            List<boolean[][]> grids = new ArrayList<>();
            for (int k = 0; k < n; k++) {
                int y0 = r.nextInt(6), x0 = r.nextInt(6);
                Mask m = rect(H, W, y0, x0, y0 + 2 + r.nextInt(4), x0 + 2 + r.nextInt(4));
                in.add(inst(k, r.nextInt(classes), m));
                boolean[][] g = new boolean[H][W];
                for (int y = 0; y < H; y++) {
                    for (int x = 0; x < W; x++) {
                        g[y][x] = m.get(y, x);
                    }
                }
                grids.add(g);
            }
            double t = new double[] {0.3, 0.5, 1.0}[r.nextInt(3)];
            List<Integer> got = new ClassConflicts(t).apply(in, Inputs.maps(v, classes, H, W)).stream()
                    .map(PseudoInstance::seed).toList();
            assertEquals(slow(in, grids, v, t), got, "trial " + trial);
        }
    }

    /** Rank by mean response (stable), then keep each one no kept instance of another class claims. */
    private static List<Integer> slow(List<PseudoInstance> in, List<boolean[][]> grids, float[] v, double t) {
        int n = in.size();
        double[] mean = new double[n];
        for (int k = 0; k < n; k++) {
            double s = 0;
            int c = 0;
            for (int y = 0; y < H; y++) {
                for (int x = 0; x < W; x++) {
                    if (grids.get(k)[y][x]) {
                        s += v[in.get(k).classId() * H * W + y * W + x];
                        c++;
                    }
                }
            }
            mean[k] = s / c;
        }
        List<Integer> order = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            int at = 0;
            while (at < order.size() && mean[order.get(at)] >= mean[k]) {
                at++;
            }
            order.add(at, k);
        }
        List<Integer> kept = new ArrayList<>();
        for (int k : order) {
            boolean claimed = false;
            for (int j : kept) {
                int inter = 0, union = 0;
                for (int y = 0; y < H; y++) {
                    for (int x = 0; x < W; x++) {
                        boolean a = grids.get(j)[y][x], b = grids.get(k)[y][x];
                        inter += a && b ? 1 : 0;
                        union += a || b ? 1 : 0;
                    }
                }
                claimed |= in.get(j).classId() != in.get(k).classId() && inter >= t * union;
            }
            if (!claimed) {
                kept.add(k);
            }
        }
        return kept;
    }
}
