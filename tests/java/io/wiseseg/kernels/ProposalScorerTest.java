package io.wiseseg.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ProposalScorerTest {
    static List<Device> devices() {
        return TestTensors.devices();
    }

    static Stream<Arguments> randomCases() {
        // k, p, h, w, boundary radius
        Object[][] shapes = {{1, 1, 1, 1, 2}, {3, 5, 7, 63, 2}, {4, 9, 11, 64, 1}, {2, 7, 13, 65, 2},
            {5, 12, 20, 130, 3}, {6, 30, 37, 50, 0}, {0, 4, 8, 8, 2}, {3, 0, 8, 8, 2}};
        return devices().stream().flatMap(d -> Stream.of(shapes).map(s -> Arguments.of(d, s[0], s[1], s[2], s[3], s[4])));
    }

    @ParameterizedTest
    @MethodSource("randomCases")
    void matchesPerProposalLoop(Device device, int k, int p, int h, int w, int radius) {
        Random rnd = new Random(k * 7919L + p * 31L + h * 17L + w + radius);
        byte[][] masks = new byte[p][];
        PackedMasks packed = new PackedMasks(p, h, w);
        for (int i = 0; i < p; i++) {
            masks[i] = randomMask(rnd, h, w, i);
            packed.setBytes(i, masks[i]);
        }
        float[] maps = new float[k * h * w];
        for (int i = 0; i < maps.length; i++) {
            maps[i] = rnd.nextFloat() < 0.3f ? 0f : rnd.nextFloat();
        }
        float[] thr = new float[k];
        int[] points = new int[2 * k];
        for (int j = 0; j < k; j++) {
            thr[j] = rnd.nextFloat();
            // some points outside the grid: contained by no proposal
            points[2 * j] = j % 4 == 3 ? h + 2 : rnd.nextInt(h);
            points[2 * j + 1] = j % 4 == 2 ? -1 : rnd.nextInt(w);
        }
        Tensor mapsT = TestTensors.on(TestTensors.floats(maps, k, h, w), device);
        ProposalScores s = new ProposalScorer(device).score(packed, mapsT, thr, points, radius);
        for (int i = 0; i < p; i++) {
            long area = 0;
            for (byte b : masks[i]) {
                area += b;
            }
            assertEquals(area, s.area(i), "area " + i);
        }
        for (int j = 0; j < k; j++) {
            for (int i = 0; i < p; i++) {
                double inside = 0, boundary = 0;
                long inter = 0, union = 0;
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        float r = maps[j * h * w + y * w + x];
                        boolean in = masks[i][y * w + x] != 0, t = r >= thr[j];
                        if (in) {
                            inside += r;
                        }
                        inter += in && t ? 1 : 0;
                        union += in || t ? 1 : 0;
                        if (NaiveKernels.inBoundary(masks[i], h, w, y, x, radius)) {
                            boundary += r;
                        }
                    }
                }
                int py = points[2 * j], px = points[2 * j + 1];
                boolean contains = py >= 0 && py < h && px >= 0 && px < w && masks[i][py * w + px] != 0;
                String at = "(k=" + j + ", p=" + i + ")";
                assertEquals(inside, s.sumInside(j, i), 1e-4 * Math.max(1, inside), "sum inside " + at);
                assertEquals(boundary, s.sumBoundary(j, i), 1e-4 * Math.max(1, boundary), "boundary " + at);
                assertEquals(inter, s.intersection(j, i), "intersection " + at);
                assertEquals(union, s.union(j, i), "union " + at);
                assertEquals(contains, s.contains(j, i), "contains " + at);
            }
        }
    }

    @Test
    void handWorkedExample() {
        // 3×4 image; proposal = the left 2×2 block; map = 1..12 row-major; threshold 6
        PackedMasks packed = new PackedMasks(1, 3, 4);
        packed.setBytes(0, new byte[] {1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0});
        float[] map = new float[12];
        for (int i = 0; i < 12; i++) {
            map[i] = i + 1;
        }
        ProposalScores s = new ProposalScorer(Device.cpu()).score(packed, TestTensors.floats(map, 1, 3, 4),
                new float[] {6f}, new int[] {1, 0}, 1);
        assertEquals(1 + 2 + 5 + 6, s.sumInside(0, 0));
        assertEquals(4, s.area(0));
        assertEquals(1, s.intersection(0, 0)); // pixel 6
        assertEquals(4 + 7 - 1, s.union(0, 0)); // 7 pixels >= 6
        assertTrue(s.contains(0, 0));
        // radius 1 (3×3 window clipped to the image): every pixel sees both inside and outside
        // pixels except (0,0), whose clipped window is all inside, and (0,3), (1,3), (2,3), whose
        // windows are all outside
        assertEquals(78 - 1 - 4 - 8 - 12, s.sumBoundary(0, 0));
    }

    @Test
    void badArgumentsNameTheArgument() {
        PackedMasks packed = new PackedMasks(2, 4, 5);
        ProposalScorer scorer = new ProposalScorer(Device.cpu());
        var e = assertThrows(IllegalArgumentException.class,
                () -> scorer.score(packed, TestTensors.floats(new float[24], 1, 4, 6), new float[1], null, 2));
        assertTrue(e.getMessage().contains("maps"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> scorer.score(packed, TestTensors.floats(new float[20], 1, 4, 5), new float[2], null, 2));
        assertTrue(e.getMessage().contains("thresholds"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> packed.setBytes(0, new byte[3]));
        assertTrue(e.getMessage().contains("mask 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> packed.setWords(1, new long[] {1L << 7, 0, 0, 0}));
        assertTrue(e.getMessage().contains("past column"), e.getMessage());
    }

    /** Blobs, full masks, empty masks and masks touching the border. */
    static byte[] randomMask(Random rnd, int h, int w, int i) {
        byte[] m = new byte[h * w];
        switch (i % 5) {
            case 0 -> java.util.Arrays.fill(m, (byte) 1);
            case 1 -> { }
            default -> {
                int y0 = rnd.nextInt(h), x0 = rnd.nextInt(w);
                int y1 = i % 5 == 2 ? h : Math.min(h, y0 + 1 + rnd.nextInt(h));
                int x1 = i % 5 == 2 ? w : Math.min(w, x0 + 1 + rnd.nextInt(w));
                for (int y = y0; y < y1; y++) {
                    for (int x = x0; x < x1; x++) {
                        m[y * w + x] = (byte) (rnd.nextFloat() < 0.9f ? 1 : 0);
                    }
                }
            }
        }
        return m;
    }
}
