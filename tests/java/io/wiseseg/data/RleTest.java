package io.wiseseg.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RleTest {
    static Mask random(Random rnd, int h, int w, double p) {
        Mask m = new Mask(h, w);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if (rnd.nextDouble() < p) {
                    m.set(y, x, true);
                }
            }
        }
        return m;
    }

    /** Column-major reference encoding straight from the definition. */
    static int[] naiveCounts(Mask m) {
        java.util.ArrayList<Integer> c = new java.util.ArrayList<>();
        boolean v = false;
        int run = 0;
        for (int x = 0; x < m.width(); x++) {
            for (int y = 0; y < m.height(); y++) {
                if (m.get(y, x) != v) {
                    c.add(run);
                    run = 0;
                    v = !v;
                }
                run++;
            }
        }
        c.add(run);
        return c.stream().mapToInt(Integer::intValue).toArray();
    }

    @Test
    void roundTripsRandomMasksOfAwkwardSizes() {
        Random rnd = new Random(7);
        int[][] sizes = {{1, 1}, {1, 63}, {1, 64}, {1, 65}, {3, 63}, {5, 64}, {7, 65}, {64, 1},
                {65, 129}, {0, 0}, {0, 5}, {5, 0}, {375, 500}};
        for (int[] s : sizes) {
            for (double p : new double[] {0, 0.05, 0.5, 0.95, 1}) {
                Mask m = random(rnd, s[0], s[1], p);
                Rle r = Rle.encode(m);
                assertArrayEquals(naiveCounts(m), r.counts(), "counts " + s[0] + "x" + s[1]);
                assertEquals(m, r.decode(), "decode " + s[0] + "x" + s[1] + " p=" + p);
                assertEquals(m.area(), r.area());
                Rle back = Rle.fromCompressedString(r.toCompressedString(), s[0], s[1]);
                assertEquals(r, back, "string round trip " + s[0] + "x" + s[1]);
            }
        }
        for (int i = 0; i < 200; i++) {
            int h = 1 + rnd.nextInt(70), w = 1 + rnd.nextInt(140);
            Mask m = random(rnd, h, w, rnd.nextDouble());
            Rle r = Rle.encode(m);
            assertEquals(m, r.decode());
            assertEquals(r, Rle.fromCompressedString(r.toCompressedString(), h, w));
        }
    }

    @Test
    void emptyAndFullMasksHaveCocoForm() {
        assertArrayEquals(new int[] {12}, Rle.encode(new Mask(3, 4)).counts());
        Mask full = random(new Random(1), 3, 4, 1);
        assertArrayEquals(new int[] {0, 12}, Rle.encode(full).counts());
        assertArrayEquals(new double[] {0, 0, 0, 0}, Rle.encode(new Mask(3, 4)).toBbox());
        assertArrayEquals(new double[] {0, 0, 4, 3}, Rle.encode(full).toBbox());
    }

    @Test
    void iouAndMergeAgreeWithMaskArithmetic() {
        Random rnd = new Random(3);
        for (int i = 0; i < 50; i++) {
            int h = 1 + rnd.nextInt(40), w = 1 + rnd.nextInt(90);
            Mask a = random(rnd, h, w, 0.3), b = random(rnd, h, w, 0.3);
            Rle ra = Rle.encode(a), rb = Rle.encode(b);
            double[][] o = Rle.iou(List.of(ra), List.of(rb), null);
            long inter = a.intersection(b);
            double expected = inter == 0 ? 0 : (double) inter / a.union(b);
            assertEquals(expected, o[0][0], 0.0);
            double[][] crowd = Rle.iou(List.of(ra), List.of(rb), new boolean[] {true});
            assertEquals(inter == 0 ? 0 : (double) inter / a.area(), crowd[0][0], 0.0);
            assertEquals(a.or(b), Rle.merge(List.of(ra, rb), false).decode());
            assertEquals(a.and(b), Rle.merge(List.of(ra, rb), true).decode());
        }
    }

    @Test
    void rejectsBadInput() {
        assertThrows(IllegalArgumentException.class, () -> Rle.fromCompressedString("0 ", 2, 2));
        assertThrows(IllegalArgumentException.class, () -> new Rle(2, 2, new int[] {3, 5}).decode());
        Rle a = Rle.encode(random(new Random(2), 4, 4, 1));
        Rle b = Rle.encode(random(new Random(2), 4, 5, 1));
        assertThrows(IllegalArgumentException.class, () -> Rle.iou(List.of(a), List.of(b), null));
        assertThrows(IllegalArgumentException.class, () -> Rle.merge(List.of(a, b), false));
    }
}
