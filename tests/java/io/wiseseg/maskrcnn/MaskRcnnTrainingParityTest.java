package io.wiseseg.maskrcnn;

import io.wiseseg.testing.ArrayFixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.wiseseg.kernels.Device;
import io.wiseseg.util.Tensors;
import io.wiseseg.util.TorchRuntime;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/**
 * One training step against torchvision 0.14 (make_maskrcnn_fixture.py, training_case): with every
 * anchor and every RoI sampled the step is deterministic, so the five losses and the parameters'
 * gradients (through our RoIAlign backward and the two-graph bridge) must agree with torchvision's,
 * within bounds set by how far torchvision moves from itself when only the float32 summation order
 * changes: the fixture holds its gradients from several runs (1, 2 and 3 threads; the CPU's best and
 * its oldest code path; other CPUs' runs carried over), and their spread is the envelope. ReLUs at
 * rounding distance from 0 flip, so gradients upstream of the box head are not reproducible bit for
 * bit even within torchvision.
 */
class MaskRcnnTrainingParityTest {
    @Test
    void lossesAndGradientsMatchTorchvision() throws Exception {
        TorchRuntime.ensureLoaded();
        torch.set_num_threads(2);
        ArrayFixture fx = ArrayFixture.load("maskrcnn", "parity");
        int h = fx.meta.get("image_size").get(0).asInt(), w = fx.meta.get("image_size").get(1).asInt();
        MaskRcnnConfig config = MaskRcnnConfig.torchvision(fx.meta.get("num_classes").asInt())
                .withSizes(fx.meta.get("train_min_size").asInt(), fx.meta.get("max_size").asInt())
                .withSampling(100000, 1f, 100000, 1f);
        MaskRcnn model = new MaskRcnn(config, Device.cpu());
        MaskRcnnWeights.load(model, FormulaWeights.stateDict(model), "formula weights");

        MaskRcnn.Losses losses = model.losses(List.of(FormulaWeights.noisyImage(h, w)), List.of(target(h, w)), new Random(0));
        JsonNode runs = fx.meta.get("grad_runs");
        int reference = 1; // this machine's 2-thread run on its best code path
        System.out.println("parity (training): reference run: " + runs.get(reference).asText() + "; envelope over "
                + runs.size() + " runs");
        float[] expected = fx.floats("train_losses_r" + reference);
        float[] ours = {losses.objectness.item_float(), losses.rpnBox.item_float(), losses.classifier.item_float(),
                losses.box.item_float(), losses.mask.item_float()};
        String[] names = {"objectness", "rpn box", "classifier", "box", "mask"};
        System.out.println("parity (training): losses torchvision " + Arrays.toString(expected) + ", ours "
                + Arrays.toString(ours));
        for (int i = 0; i < 5; i++) {
            // a loss is one float32 reduction over the sampled anchors/RoIs: 1e-5 relative, well over
            // the runs' own spread (≤ 1e-6 relative) and far under any wrong term
            assertEquals(expected[i], ours[i], 1e-5 * Math.abs(expected[i]), names[i] + " loss");
        }

        losses.backward();
        Map<String, Tensor> params = new HashMap<>();
        StringTensorDict dict = model.named_parameters(true);
        for (long i = 0; i < dict.size(); i++) {
            params.put(dict.get(i).key().getString(), dict.get(i).value());
        }
        JsonNode keys = fx.meta.get("grad_keys");
        int samples = fx.meta.get("grad_samples").asInt();
        for (int i = 0; i < keys.size(); i++) {
            String key = keys.get(i).asText();
            Tensor g = params.get(key).grad();
            assertTrue(g.defined(), key + " has no gradient");
            float[] all = Tensors.toFloats(g.flatten());
            int step = Math.max(1, all.length / samples);
            float[] sample = new float[Math.min(samples, (all.length + step - 1) / step)];
            for (int k = 0; k < sample.length; k++) {
                sample[k] = all[k * step];
            }
            String problem = gradientProblem(fx, i, sample, reference);
            assertTrue(problem == null, problem);
        }
    }

    /**
     * null when our sampled gradient of parameter {@code i} lies within the envelope of
     * torchvision's runs around the reference run, else why not. Differences are in units of the
     * mean |gradient|: median and 90th percentile.
     */
    static String gradientProblem(ArrayFixture fx, int i, float[] sample, int reference) throws java.io.IOException {
        String key = fx.meta.get("grad_keys").get(i).asText();
        float[] ref = fx.floats("grad" + i + "_r" + reference);
        double unit = meanAbs(ref);
        double[] ours = quantiles(sample, ref, unit), envelope = {0, 0};
        double slopeSpread = 0; // |α − 1| of the runs, α the least-squares scale from the reference to a run
        for (int r = 0; r < fx.meta.get("grad_runs").size(); r++) {
            float[] run = fx.floats("grad" + i + "_r" + r);
            double[] q = quantiles(run, ref, unit);
            envelope[0] = Math.max(envelope[0], q[0]);
            envelope[1] = Math.max(envelope[1], q[1]);
            slopeSpread = Math.max(slopeSpread, Math.abs(slope(run, ref) - 1));
        }
        // Rounding noise averages out over the 4,096 samples of the least-squares scale, a systematic
        // error (a lost factor, a missing term) does not: ours must stay within 3× the runs' spread
        // of it (LibTorch 2.10's kernels are one more summation order: seen up to 2.1× here), or 1e-3
        // (the quantiles above let a scaled gradient through where most entries are 0).
        double slope = slope(sample, ref), slopeBound = Math.max(3 * slopeSpread, 1e-3);
        // Where torchvision is reproducible (the heads: envelope ~1e-6) ours must be too, to 1e-4 / 1e-3
        // of the mean |g|. Upstream of the box head's ReLUs torchvision itself moves by up to ~20% of the
        // mean |g| at the 90th percentile between code paths and CPUs (cancellation amplifies rounding);
        // LibTorch 2.10's kernels are one more summation order, so ours may reach twice the envelope.
        // A wrong gradient path differs by O(1) everywhere (ParityTestsCatchErrorsTest).
        boolean noisy = envelope[1] > 1e-3;
        double medianBound = noisy ? Math.max(2 * envelope[0], 0.03) : 2 * envelope[0] + 1e-4;
        double p90Bound = noisy ? Math.max(2 * envelope[1], 0.1) : 2 * envelope[1] + 1e-3;
        System.out.printf("parity (training): %-48s ours vs torchvision: median %.2g p90 %.2g scale %.6f; torchvision's "
                + "envelope: median %.2g p90 %.2g scale ±%.2g%n", key, ours[0], ours[1], slope, envelope[0], envelope[1],
                slopeSpread);
        if (Math.abs(slope - 1) > slopeBound) {
            return key + ": our gradient is " + slope + " × torchvision's (runs' spread ±" + slopeSpread + ")";
        }
        return ours[0] <= medianBound && ours[1] <= p90Bound ? null : key + ": our gradient departs from torchvision's"
                + " (median " + ours[0] + ", p90 " + ours[1] + " × mean |g|) beyond the bounds (" + medianBound + ", "
                + p90Bound + ")";
    }

    /** The least-squares α of a ≈ α · b. */
    private static double slope(float[] a, float[] b) {
        double ab = 0, bb = 0;
        for (int k = 0; k < a.length; k++) {
            ab += (double) a[k] * b[k];
            bb += (double) b[k] * b[k];
        }
        return bb == 0 ? (ab == 0 ? 1 : Double.POSITIVE_INFINITY) : ab / bb;
    }

    private static double meanAbs(float[] v) {
        double s = 0;
        for (float x : v) {
            s += Math.abs(x);
        }
        return Math.max(s / v.length, 1e-30);
    }

    /** Median and 90th percentile of |a − b| / unit. */
    private static double[] quantiles(float[] a, float[] b, double unit) {
        assertEquals(b.length, a.length, "sample sizes");
        double[] d = new double[a.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = Math.abs(a[i] - b[i]) / unit;
        }
        Arrays.sort(d);
        return new double[] {d[d.length / 2], d[(int) (0.9 * (d.length - 1))]};
    }

    /** formula_target of the fixture script: an ellipse (label 1) and a rectangle (label 2). */
    private static Target target(int h, int w) {
        byte[] m = new byte[2 * h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double ex = (x - 50) / 30.0, ey = (y - 40) / 20.0;
                m[y * w + x] = (byte) (ex * ex + ey * ey <= 1 ? 1 : 0);
                m[h * w + y * w + x] = (byte) (x >= 90 && x < 140 && y >= 60 && y < 110 ? 1 : 0);
            }
        }
        Tensor masks = torch.empty(new long[] {2, h, w}, new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Byte),
                new org.bytedeco.pytorch.MemoryFormatOptional());
        java.lang.foreign.MemorySegment.ofAddress(masks.data_ptr().address()).reinterpret(m.length)
                .copyFrom(java.lang.foreign.MemorySegment.ofArray(m));
        return new Target(new float[] {20, 20, 81, 61, 90, 60, 140, 110}, new long[] {1, 2}, masks);
    }
}
