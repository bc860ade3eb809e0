package io.wiseseg.prm;

import io.wiseseg.kernels.Peaks;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRefOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * PRM inference on one image: class scores (the peak aggregation), the peaks that pass WISE's
 * thresholds, and each peak's response map: the gradient of the peak's value w.r.t. the
 * (normalised) input image, summed over the colour channels, clamped at 0 and divided by its sum.
 *
 * <p>{@link Mode#BATCHED} (the default) runs one forward pass that keeps a {@link BackwardTrace}
 * and one backward pass for all K peaks at once: with frozen weights the backward pass is linear
 * in the upstream gradient, so K seeds travel as a batch through transposed convolutions, the
 * single image's ReLU masks and max-pool indices. {@link Mode#LOOP} is the reference's way (one
 * autograd backward per peak, retaining the graph), kept to check the batched one.
 */
public final class PeakResponseMaps {
    /** WISE's defaults: classes with aggregation ≥ 0, peaks with value > 30. */
    public static final float DEFAULT_CLASS_THRESHOLD = 0f, DEFAULT_PEAK_THRESHOLD = 30f;

    public enum Mode { BATCHED, LOOP }

    /**
     * @param height   the input's height (the response maps' resolution)
     * @param width    the input's width
     * @param mapHeight the class response maps' height (peak coordinates; 1/4 of the input)
     * @param mapWidth  the class response maps' width
     * @param scores   C class scores (the aggregation; sigmoid gives the probability)
     * @param peaks    the kept peaks, in PRM's order (class, then row, then column)
     * @param maps     one height×width response map per peak, row-major (empty from {@link #peaks})
     */
    public record Result(int height, int width, int mapHeight, int mapWidth, float[] scores, List<Peak> peaks,
            List<float[]> maps) {
        /** A peak's row in input pixels (map cells are spread evenly over the input). */
        public int imageY(Peak p) {
            return Math.min(height - 1, (int) Math.floor((p.y() + 0.5) * height / mapHeight));
        }

        public int imageX(Peak p) {
            return Math.min(width - 1, (int) Math.floor((p.x() + 0.5) * width / mapWidth));
        }
    }

    private final PrmNetwork network;
    private final PeakStimulation stimulation;
    private final float classThreshold, peakThreshold;

    /** Freezes the network's weights (inference needs no weight gradients). */
    public PeakResponseMaps(PrmNetwork network, PeakStimulation stimulation, float classThreshold, float peakThreshold) {
        this.network = network;
        this.stimulation = stimulation;
        this.classThreshold = classThreshold;
        this.peakThreshold = peakThreshold;
        network.setTrainable(false);
    }

    /** Scores and kept peaks only (no back-propagation). */
    public Result peaks(Tensor image) {
        requireOne(image);
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor maps = network.classResponseMaps(image);
            Peaks all = stimulation.peaks(maps);
            return new Result((int) image.size(2), (int) image.size(3), (int) maps.size(2), (int) maps.size(3),
                    all.aggregation().clone(), keep(all), List.of());
        }
    }

    public Result compute(Tensor image) {
        return compute(image, Mode.BATCHED);
    }

    public Result compute(Tensor image, Mode mode) {
        requireOne(image);
        return mode == Mode.BATCHED ? batched(image) : loop(image);
    }

    private Result batched(Tensor image) {
        try (NoGradGuard g = new NoGradGuard()) {
            BackwardTrace trace = new BackwardTrace();
            Tensor maps = network.classResponseMaps(image, trace);
            Peaks all = stimulation.peaks(maps);
            List<Peak> kept = keep(all);
            int k = kept.size(), h = (int) maps.size(2), w = (int) maps.size(3);
            if (k == 0) {
                return new Result((int) image.size(2), (int) image.size(3), h, w, all.aggregation().clone(), kept, List.of());
            }
            // Seed k: a one at its peak in its class's upsampled map; back through the upsampling
            // (batch k, one channel) and the 1×1 classifier (its class's weight row).
            float[] seeds = new float[k * h * w];
            long[] classes = new long[k];
            for (int i = 0; i < k; i++) {
                Peak p = kept.get(i);
                seeds[(i * h + p.y()) * w + p.x()] = 1f;
                classes[i] = p.classId();
            }
            long fh = h / PrmNetwork.SUB_PIXEL_FACTOR, fw = w / PrmNetwork.SUB_PIXEL_FACTOR;
            Tensor g1 = torch.upsample_bilinear2d_backward(Tensors.floats(seeds, k, 1, h, w), new long[] {h, w},
                    new long[] {k, 1, fh, fw}, true);
            Tensor rows = network.classifierWeight().index_select(0, Tensors.longs(classes, k));
            Tensor grad = network.backbone().inputGrad(g1.mul(rows), trace);
            if (!trace.isEmpty()) {
                throw new IllegalStateException("backward trace not consumed");
            }
            return new Result((int) image.size(2), (int) image.size(3), h, w, all.aggregation().clone(), kept, normalise(grad));
        }
    }

    private Result loop(Tensor image) {
        Tensor x = image.detach().clone().set_requires_grad(true);
        Tensor maps = network.classResponseMaps(x);
        Peaks all = stimulation.peaks(maps);
        List<Peak> kept = keep(all);
        int c = (int) maps.size(1), h = (int) maps.size(2), w = (int) maps.size(3);
        List<float[]> out = new ArrayList<>();
        for (Peak p : kept) {
            float[] seed = new float[c * h * w];
            seed[(p.classId() * h + p.y()) * w + p.x()] = 1f;
            if (x.grad().defined()) {
                x.grad().zero_();
            }
            maps.backward(Tensors.floats(seed, 1, c, h, w), new BoolOptional(true), false, new TensorArrayRefOptional());
            out.addAll(normalise(x.grad().detach().clone()));
        }
        return new Result((int) image.size(2), (int) image.size(3), h, w, all.aggregation().clone(), kept, out);
    }

    /** K×3×H×W input gradients → K maps: channel sum, clamp at 0, divide by the sum (if positive). */
    private static List<float[]> normalise(Tensor grad) {
        Tensor prm = grad.sum(new long[] {1}, false, new org.bytedeco.pytorch.ScalarTypeOptional()).clamp_min(new Scalar(0.0));
        int k = (int) prm.size(0), plane = (int) (prm.size(1) * prm.size(2));
        float[] all = Tensors.toFloats(prm);
        List<float[]> out = new ArrayList<>(k);
        for (int i = 0; i < k; i++) {
            float[] m = java.util.Arrays.copyOfRange(all, i * plane, (i + 1) * plane);
            double sum = 0;
            for (float v : m) {
                sum += v;
            }
            if (sum > 0) {
                for (int j = 0; j < plane; j++) {
                    m[j] = (float) (m[j] / sum);
                }
            }
            out.add(m);
        }
        return out;
    }

    private List<Peak> keep(Peaks all) {
        List<Peak> kept = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            int cls = all.classes()[i];
            if (all.aggregation(0, cls) >= classThreshold && all.values()[i] > peakThreshold) {
                kept.add(new Peak(cls, all.ys()[i], all.xs()[i], all.values()[i]));
            }
        }
        return kept;
    }

    private static void requireOne(Tensor image) {
        if (image.dim() != 4 || image.size(0) != 1) {
            throw new IllegalArgumentException("peak response maps take one image, 1×3×H×W, got " + Tensors.shapeString(image));
        }
    }
}
