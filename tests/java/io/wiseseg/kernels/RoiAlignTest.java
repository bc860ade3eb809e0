package io.wiseseg.kernels;

import io.wiseseg.testing.ArrayFixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class RoiAlignTest {
    static List<Device> devices() {
        return TestTensors.devices();
    }

    static Stream<Arguments> torchvisionCases() {
        return devices().stream().flatMap(d -> Stream.of("roi_align_7x7_legacy", "roi_align_14x14_legacy",
                "roi_align_adaptive_aligned", "roi_align_adaptive_legacy", "roi_align_sampling3_aligned")
                .map(name -> Arguments.of(d, name)));
    }

    @ParameterizedTest
    @MethodSource("torchvisionCases")
    void matchesTorchvisionForwardAndBackward(Device device, String name) throws IOException {
        ArrayFixture f = ArrayFixture.load("kernels", name);
        Tensor input = TestTensors.on(TestTensors.floats(f.floats("input"), f.shape("input")), device);
        Tensor rois = TestTensors.on(TestTensors.floats(f.floats("rois"), f.shape("rois")), device);
        RoiAlign.Params p = new RoiAlign.Params(f.meta.get("pooled").get(0).asInt(),
                f.meta.get("pooled").get(1).asInt(), (float) f.meta.get("spatial_scale").asDouble(),
                f.meta.get("sampling_ratio").asInt(), f.meta.get("aligned").asBoolean());
        RoiAlign op = new RoiAlign(device);
        Tensor out = op.forward(input, rois, p);
        assertClose(f.floats("output"), TestTensors.values(out), 1e-5, name + " forward");
        Tensor gradOut = TestTensors.on(TestTensors.floats(f.floats("grad_output"), f.shape("grad_output")), device);
        Tensor gradIn = op.backward(gradOut, rois, f.shape("input"), p);
        assertClose(f.floats("grad_input"), TestTensors.values(gradIn), 1e-5, name + " backward");
    }

    static Stream<Arguments> randomCases() {
        // n, c, h, w, r, pooledH, pooledW, scale, sampling, aligned
        Object[][] shapes = {
            {1, 1, 1, 1, 5, 2, 2, 1.0f, 2, false},
            {2, 3, 7, 5, 30, 7, 7, 0.25f, 2, false},
            {1, 8, 25, 34, 40, 14, 14, 0.125f, 2, false},
            {3, 2, 12, 9, 25, 3, 5, 0.5f, 0, true},
            {2, 4, 16, 16, 20, 4, 4, 1.0f, -1, false},
            {1, 65, 9, 70, 8, 2, 3, 0.5f, 1, true},
        };
        return devices().stream().flatMap(d -> Stream.of(shapes).map(s -> {
            Object[] a = new Object[s.length + 1];
            a[0] = d;
            System.arraycopy(s, 0, a, 1, s.length);
            return Arguments.of(a);
        }));
    }

    @ParameterizedTest
    @MethodSource("randomCases")
    void matchesNaiveReferenceOnRandomInputs(Device device, int n, int c, int h, int w, int r, int ph, int pw,
            float scale, int sampling, boolean aligned) {
        Random rnd = new Random(31L * n + 7L * c + h * 1000L + w + r);
        float[] input = randomFloats(rnd, n * c * h * w);
        float[] rois = randomRois(rnd, r, n, h / scale, w / scale);
        RoiAlign.Params p = new RoiAlign.Params(ph, pw, scale, sampling, aligned);
        RoiAlign op = new RoiAlign(device);
        Tensor in = TestTensors.on(TestTensors.floats(input, n, c, h, w), device);
        Tensor rt = TestTensors.on(TestTensors.floats(rois, r, 5), device);
        double[] expected = NaiveKernels.roiAlignForward(input, n, c, h, w, rois, r, ph, pw, scale, sampling, aligned);
        assertClose(expected, TestTensors.values(op.forward(in, rt, p)), 1e-5, "forward");

        float[] gradOut = randomFloats(rnd, r * c * ph * pw);
        double[] expectedGrad = NaiveKernels.roiAlignBackward(gradOut, n, c, h, w, rois, r, ph, pw, scale, sampling, aligned);
        Tensor g = op.backward(TestTensors.on(TestTensors.floats(gradOut, r, c, ph, pw), device), rt,
                new long[] {n, c, h, w}, p);
        assertClose(expectedGrad, TestTensors.values(g), 1e-4, "backward");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void backwardEqualsFiniteDifferencesOfTheForward(boolean aligned) {
        // d/dx of sum(out * G) by central differences of the (linear) float64 naive forward,
        // compared with the native backward.
        Random rnd = new Random(aligned ? 5 : 6);
        int n = 1, c = 2, h = 6, w = 7, r = 6, ph = 3, pw = 2;
        float scale = 0.5f;
        float[] input = randomFloats(rnd, n * c * h * w);
        float[] rois = randomRois(rnd, r, n, h / scale, w / scale);
        float[] gradOut = randomFloats(rnd, r * c * ph * pw);
        RoiAlign op = new RoiAlign(Device.cpu());
        RoiAlign.Params p = new RoiAlign.Params(ph, pw, scale, 0, aligned);
        float[] grad = TestTensors.values(op.backward(TestTensors.floats(gradOut, r, c, ph, pw),
                TestTensors.floats(rois, r, 5), new long[] {n, c, h, w}, p));
        double eps = 1e-3;
        for (int i = 0; i < input.length; i++) {
            float[] plus = input.clone(), minus = input.clone();
            plus[i] += (float) eps;
            minus[i] -= (float) eps;
            double dp = dot(NaiveKernels.roiAlignForward(plus, n, c, h, w, rois, r, ph, pw, scale, 0, aligned), gradOut);
            double dm = dot(NaiveKernels.roiAlignForward(minus, n, c, h, w, rois, r, ph, pw, scale, 0, aligned), gradOut);
            double fd = (dp - dm) / ((double) plus[i] - minus[i]);
            assertEquals(fd, grad[i], 1e-3, "d/dinput[" + i + "]");
        }
    }

    @ParameterizedTest
    @MethodSource("devices")
    void emptyRoisGiveEmptyOutputAndZeroGradient(Device device) {
        RoiAlign op = new RoiAlign(device);
        Tensor in = TestTensors.on(TestTensors.floats(new float[2 * 3 * 4], 1, 2, 3, 4), device);
        Tensor rois = TestTensors.on(TestTensors.floats(new float[0], 0, 5), device);
        RoiAlign.Params p = new RoiAlign.Params(7, 7, 1f, 2, false);
        Tensor out = op.forward(in, rois, p);
        assertArrayEquals(new long[] {0, 2, 7, 7}, new long[] {out.size(0), out.size(1), out.size(2), out.size(3)});
        Tensor g = op.backward(TestTensors.on(TestTensors.floats(new float[0], 0, 2, 7, 7), device), rois,
                new long[] {1, 2, 3, 4}, p);
        for (float v : TestTensors.values(g)) {
            assertEquals(0f, v);
        }
    }

    @ParameterizedTest
    @MethodSource("devices")
    void badArgumentsAreIllegalArgumentExceptionsNamingTheArgument(Device device) {
        RoiAlign op = new RoiAlign(device);
        Tensor in = TestTensors.on(TestTensors.floats(new float[24], 1, 2, 3, 4), device);
        RoiAlign.Params p = new RoiAlign.Params(2, 2, 1f, 2, false);
        var e1 = assertThrows(IllegalArgumentException.class,
                () -> op.forward(in, TestTensors.on(TestTensors.floats(new float[4], 1, 4), device), p));
        assertTrue(e1.getMessage().contains("rois"), e1.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> op.forward(in,
                TestTensors.on(TestTensors.floats(new float[] {3, 0, 0, 1, 1}, 1, 5), device), p));
        assertTrue(e2.getMessage().contains("batch index"), e2.getMessage());
        var e3 = assertThrows(IllegalArgumentException.class, () -> op.forward(
                TestTensors.on(TestTensors.floats(new float[6], 2, 3), device),
                TestTensors.on(TestTensors.floats(new float[] {0, 0, 0, 1, 1}, 1, 5), device), p));
        assertTrue(e3.getMessage().contains("input"), e3.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new RoiAlign.Params(0, 2, 1f, 2, false));
        assertThrows(IllegalArgumentException.class, () -> new RoiAlign.Params(2, 2, Float.NaN, 2, false));
    }

    static float[] randomFloats(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return v;
    }

    /** Boxes inside, partly outside and wholly outside the image, plus zero-size ones. */
    static float[] randomRois(Random rnd, int r, int n, float imgH, float imgW) {
        float[] rois = new float[5 * r];
        for (int i = 0; i < r; i++) {
            float x1 = rnd.nextFloat() * imgW * 1.4f - 0.2f * imgW;
            float y1 = rnd.nextFloat() * imgH * 1.4f - 0.2f * imgH;
            float bw = rnd.nextFloat() * imgW * 0.8f, bh = rnd.nextFloat() * imgH * 0.8f;
            switch (i % 7) {
                case 3 -> { bw = 0; bh = 0; }                 // zero-size
                case 5 -> { x1 = -3 * imgW; y1 = -2 * imgH; }  // wholly outside
                default -> { }
            }
            rois[5 * i] = rnd.nextInt(n);
            rois[5 * i + 1] = x1;
            rois[5 * i + 2] = y1;
            rois[5 * i + 3] = x1 + bw;
            rois[5 * i + 4] = y1 + bh;
        }
        return rois;
    }

    static double dot(double[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    static void assertClose(float[] expected, float[] actual, double tol, String what) {
        double[] e = new double[expected.length];
        for (int i = 0; i < e.length; i++) {
            e[i] = expected[i];
        }
        assertClose(e, actual, tol, what);
    }

    static void assertClose(double[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double bound = tol * Math.max(1.0, Math.abs(expected[i]));
            if (Math.abs(expected[i] - actual[i]) > bound) {
                throw new AssertionError(what + ": element " + i + " expected " + expected[i] + " got " + actual[i]);
            }
        }
    }
}
