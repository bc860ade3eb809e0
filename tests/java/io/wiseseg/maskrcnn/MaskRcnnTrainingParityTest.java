package io.wiseseg.maskrcnn;

import io.wiseseg.testing.ArrayFixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.wiseseg.kernels.Device;
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
 * within bounds set by how far torchvision moves from itself between 1 and 2 threads (ReLUs at
 * rounding distance from 0 flip, so gradients upstream of the box head are not reproducible bit for
 * bit even there).
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
        float[] expected = fx.floats("train_losses_t2");
        float[] ours = {losses.objectness.item_float(), losses.rpnBox.item_float(), losses.classifier.item_float(),
                losses.box.item_float(), losses.mask.item_float()};
        String[] names = {"objectness", "rpn box", "classifier", "box", "mask"};
        System.out.println("parity (training): losses torchvision " + Arrays.toString(expected) + ", ours "
                + Arrays.toString(ours));
        for (int i = 0; i < 5; i++) {
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
            float[] all = TensorData.toFloats(g.flatten());
            int step = Math.max(1, all.length / samples);
            float[] sample = new float[Math.min(samples, (all.length + step - 1) / step)];
            for (int k = 0; k < sample.length; k++) {
                sample[k] = all[k * step];
            }
            float[] t1 = fx.floats("grad" + i + "_t1"), t2 = fx.floats("grad" + i + "_t2");
            double unit = meanAbs(t2); // differences in units of the mean |gradient|
            double[] ours2 = quantiles(sample, t2, unit), envelope = quantiles(t1, t2, unit);
            System.out.printf("parity (training): %-48s ours vs torchvision: median %.2g p90 %.2g; torchvision 1 vs 2 "
                    + "threads: median %.2g p90 %.2g%n", key, ours2[0], ours2[1], envelope[0], envelope[1]);
            // Where torchvision is reproducible (the heads: envelope ~1e-6) ours must be too. Upstream of the
            // box head's ReLUs torchvision itself moves by up to ~5% of the mean |gradient| between thread
            // counts, and LibTorch 2.10's GEMMs round differently again (measured: losses equal to 1e-7,
            // gradients at the pooled features within 0.04%, the rest amplified by cancellation); a wrong
            // gradient path would differ by O(1), far above these bounds.
            boolean noisy = envelope[1] > 1e-3;
            double medianBound = noisy ? Math.max(3 * envelope[0], 0.03) : 3 * envelope[0] + 1e-4;
            double p90Bound = noisy ? Math.max(3 * envelope[1], 0.1) : 3 * envelope[1] + 1e-3;
            assertTrue(ours2[0] <= medianBound && ours2[1] <= p90Bound, key + ": our gradient departs from "
                    + "torchvision's (median " + ours2[0] + ", p90 " + ours2[1] + " × mean |g|) beyond the bounds ("
                    + medianBound + ", " + p90Bound + ")");
        }
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
