package io.wiseseg.kernels;

import io.wiseseg.testing.ArrayFixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PeakFinderTest {
    static List<Device> devices() {
        return TestTensors.devices();
    }

    static Stream<Arguments> prmCases() {
        return devices().stream().flatMap(d -> Stream.of("peaks_random_3", "peaks_random_5", "peaks_ties_3",
                "peaks_constant", "peaks_one_pixel", "peaks_prm_size").map(n -> Arguments.of(d, n)));
    }

    @ParameterizedTest
    @MethodSource("prmCases")
    void matchesPrmPeakStimulationExactly(Device device, String name) throws IOException {
        ArrayFixture f = ArrayFixture.load("kernels", name);
        Tensor maps = TestTensors.on(TestTensors.floats(f.floats("maps"), f.shape("maps")), device);
        Peaks peaks = new PeakFinder(device).find(maps, f.meta.get("window").asInt());
        int[] expected = f.ints("peaks");
        assertEquals(expected.length / 4, peaks.size(), name + ": peak count");
        for (int i = 0; i < peaks.size(); i++) {
            int[] got = {peaks.batch()[i], peaks.classes()[i], peaks.ys()[i], peaks.xs()[i]};
            assertArrayEquals(new int[] {expected[4 * i], expected[4 * i + 1], expected[4 * i + 2], expected[4 * i + 3]},
                    got, name + ": peak " + i);
        }
        assertArrayEquals(f.floats("values"), peaks.values(), name + ": values");
        assertArrayEquals(f.floats("median"), peaks.thresholds(), name + ": medians");
        float[] agg = f.floats("aggregation");
        for (int i = 0; i < agg.length; i++) {
            assertEquals(agg[i], peaks.aggregation()[i], 1e-6 * Math.max(1, Math.abs(agg[i])), name + ": aggregation " + i);
        }
    }

    @ParameterizedTest
    @MethodSource("devices")
    void aConstantMapHasOnePeakAtTheOrigin(Device device) {
        Tensor maps = TestTensors.on(TestTensors.floats(filled(4 * 5, 2f), 1, 1, 4, 5), device);
        Peaks p = new PeakFinder(device).find(maps, 3);
        assertEquals(1, p.size());
        assertEquals(0, p.ys()[0]);
        assertEquals(0, p.xs()[0]);
        assertEquals(2f, p.aggregation(0, 0));
    }

    static Stream<Arguments> randomCases() {
        Object[][] shapes = {{1, 1, 1, 1, 3}, {2, 3, 7, 9, 3}, {1, 2, 33, 70, 3}, {3, 4, 12, 13, 5},
            {1, 1, 64, 65, 1}, {2, 2, 10, 10, 7}};
        return devices().stream().flatMap(d -> Stream.of(shapes).map(s -> Arguments.of(d, s[0], s[1], s[2], s[3], s[4])));
    }

    @ParameterizedTest
    @MethodSource("randomCases")
    void matchesNaiveReferenceOnRandomAndTiedMaps(Device device, int n, int c, int h, int w, int win) {
        Random rnd = new Random(n * 1000L + c * 100L + h * 10L + w + win);
        for (boolean ties : new boolean[] {false, true}) {
            float[] maps = new float[n * c * h * w];
            for (int i = 0; i < maps.length; i++) {
                maps[i] = ties ? rnd.nextInt(3) : (float) rnd.nextGaussian();
            }
            for (boolean median : new boolean[] {true, false}) {
                float[] thr = new float[n * c];
                for (int m = 0; m < n * c; m++) {
                    thr[m] = median ? NaiveKernels.median(maps, m * h * w, h * w) : (float) rnd.nextGaussian();
                }
                Tensor t = TestTensors.on(TestTensors.floats(maps, n, c, h, w), device);
                Peaks got = new PeakFinder(device).find(t, win, median ? null : thr);
                List<int[]> expected = new ArrayList<>();
                float[] agg = new float[n * c];
                int[] counts = new int[n * c];
                for (int b = 0; b < n; b++) {
                    for (int ch = 0; ch < c; ch++) {
                        int m = b * c + ch;
                        double sum = 0;
                        for (int y = 0; y < h; y++) {
                            for (int x = 0; x < w; x++) {
                                if (NaiveKernels.isPeak(maps, m * h * w, h, w, y, x, win, thr[m])) {
                                    expected.add(new int[] {b, ch, y, x});
                                    sum += maps[m * h * w + y * w + x];
                                    counts[m]++;
                                }
                            }
                        }
                        agg[m] = counts[m] == 0 ? 0f : (float) (sum / counts[m]);
                    }
                }
                String what = "ties=" + ties + " median=" + median;
                assertEquals(expected.size(), got.size(), what + ": count");
                for (int i = 0; i < expected.size(); i++) {
                    int[] e = expected.get(i);
                    assertArrayEquals(e, new int[] {got.batch()[i], got.classes()[i], got.ys()[i], got.xs()[i]}, what + " peak " + i);
                    assertEquals(maps[((e[0] * c + e[1]) * h + e[2]) * w + e[3]], got.values()[i]);
                }
                assertArrayEquals(counts, got.counts(), what);
                assertArrayEquals(thr, got.thresholds(), what);
                for (int m = 0; m < n * c; m++) {
                    assertEquals(agg[m], got.aggregation()[m], 1e-5 * Math.max(1, Math.abs(agg[m])), what + " agg " + m);
                }
            }
        }
    }

    /**
     * One finder reused across shapes, large to small and back (its output buffers are kept and
     * grown per thread), gives what a fresh finder gives, which the test above checks.
     */
    @ParameterizedTest
    @MethodSource("devices")
    void aReusedFinderMatchesAFreshOne(Device device) {
        PeakFinder reused = new PeakFinder(device);
        int[][] shapes = {{2, 3, 40, 50}, {1, 1, 3, 4}, {1, 2, 9, 7}, {3, 4, 60, 61}, {1, 1, 1, 1}, {2, 3, 40, 50}};
        Random rnd = new Random(5);
        for (int[] sh : shapes) {
            float[] maps = new float[sh[0] * sh[1] * sh[2] * sh[3]];
            for (int i = 0; i < maps.length; i++) {
                maps[i] = (float) rnd.nextGaussian();
            }
            Tensor t = TestTensors.on(TestTensors.floats(maps, sh[0], sh[1], sh[2], sh[3]), device);
            Peaks a = reused.find(t, 3), b = new PeakFinder(device).find(t, 3);
            String what = java.util.Arrays.toString(sh);
            assertEquals(b.size(), a.size(), what);
            assertArrayEquals(b.batch(), a.batch(), what);
            assertArrayEquals(b.classes(), a.classes(), what);
            assertArrayEquals(b.ys(), a.ys(), what);
            assertArrayEquals(b.xs(), a.xs(), what);
            assertArrayEquals(b.values(), a.values(), what);
            assertArrayEquals(b.aggregation(), a.aggregation(), what);
            assertArrayEquals(b.counts(), a.counts(), what);
            assertArrayEquals(b.thresholds(), a.thresholds(), what);
        }
    }

    @ParameterizedTest
    @MethodSource("devices")
    void manyPeaksGrowTheOutputBuffer(Device device) {
        // peaks on every other pixel of every other row: 2049² > 2^22 peaks, more than the
        // finder allocates up front, so it must retry with the exact count
        int h = 4098, w = 4098;
        float[] maps = new float[h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                maps[y * w + x] = (y % 2 == 0 && x % 2 == 0) ? 1f + (y * w + x) * 1e-6f : 0f;
            }
        }
        Peaks p = new PeakFinder(device).find(TestTensors.on(TestTensors.floats(maps, 1, 1, h, w), device), 3,
                new float[] {0.5f});
        assertEquals(2049 * 2049, p.size());
        assertEquals(4096, p.ys()[p.size() - 1]);
    }

    @ParameterizedTest
    @MethodSource("devices")
    void emptyInputsAndBadArguments(Device device) {
        PeakFinder finder = new PeakFinder(device);
        Peaks none = finder.find(TestTensors.on(TestTensors.floats(new float[0], 0, 3, 4, 4), device), 3);
        assertEquals(0, none.size());
        Tensor ok = TestTensors.on(TestTensors.floats(new float[16], 1, 1, 4, 4), device);
        var e = assertThrows(IllegalArgumentException.class, () -> finder.find(ok, 2));
        assertTrue(e.getMessage().contains("window"));
        e = assertThrows(IllegalArgumentException.class, () -> finder.find(ok, 3, new float[2]));
        assertTrue(e.getMessage().contains("thresholds"));
        e = assertThrows(IllegalArgumentException.class,
                () -> finder.find(TestTensors.on(TestTensors.floats(new float[16], 4, 4), device), 3));
        assertTrue(e.getMessage().contains("maps"));
        float[] nan = new float[16];
        nan[5] = Float.NaN;
        e = assertThrows(IllegalArgumentException.class,
                () -> finder.find(TestTensors.on(TestTensors.floats(nan, 1, 1, 4, 4), device), 3));
        assertTrue(e.getMessage().contains("NaN"));
    }

    static float[] filled(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }
}
