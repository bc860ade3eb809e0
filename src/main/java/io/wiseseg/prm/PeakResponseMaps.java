package io.wiseseg.prm;

import io.wiseseg.backbone.BackwardTrace;
import io.wiseseg.util.Tensors;
import io.wiseseg.kernels.Peaks;
import io.wiseseg.util.Trace;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRefOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * PRM inference on one image: class scores (the peak aggregation), the peaks that pass WISE's
 * thresholds, and each peak's response map: the gradient of the peak's value w.r.t. the
 * (normalised) input image, summed over the colour channels, clamped at 0 and divided by its sum.
 *
 * <p>{@link Mode#BATCHED} (the default) runs one forward pass that keeps a {@link BackwardTrace}
 * and one backward pass for all K peaks at once: with frozen weights the backward pass is linear
 * in the upstream gradient, so K seeds travel as a batch through the convolutions' input-gradient
 * kernels, the single image's ReLU masks and max-pool indices (in chunks of peaks that bound
 * memory, each replaying the same trace). {@link Mode#LOOP} is the reference's way (one
 * autograd backward per peak, retaining the graph), kept to check the batched one.
 *
 * <p>Each call runs the network once: the class response maps that give the peaks are also the
 * ones whose trace the back-propagation replays, and the result hands them on. The maps stay
 * tensors; like every tensor made in a call, they belong to the caller's {@link
 * org.bytedeco.javacpp.PointerScope} (one per image keeps native memory flat).
 */
public final class PeakResponseMaps {
    private static final String CATEGORY = "prm";

    /** WISE's defaults: classes with aggregation ≥ 0, peaks with value > 30. */
    public static final float DEFAULT_CLASS_THRESHOLD = 0f, DEFAULT_PEAK_THRESHOLD = 30f;

    /** How the peaks' back-propagation runs: one batched pass through a trace, or one autograd pass per peak. */
    public enum Mode { BATCHED, LOOP }

    /** The most memory one chunk of the batched backward pass may take per traced activation. */
    static final long DEFAULT_CHUNK_BYTES = 32L << 20;

    /**
     * @param height    the input's height (the response maps' resolution)
     * @param width     the input's width
     * @param mapHeight the class response maps' height (peak coordinates; the input × 8 / output stride)
     * @param mapWidth  the class response maps' width
     * @param scores    C class scores (the aggregation; sigmoid gives the probability)
     * @param peaks     the kept peaks, in PRM's order (class, then row, then column)
     * @param classMaps the class response maps, 1×C×mapHeight×mapWidth float32, detached
     * @param maps      the peak response maps, K×height×width float32 (contiguous), map k for peak
     *                  k, each ≥ 0 and summing to 1 unless it has no positive value; null from
     *                  {@link #peaks}, which computes none
     */
    public record Result(int height, int width, int mapHeight, int mapWidth, float[] scores, List<Peak> peaks,
            Tensor classMaps, Tensor maps) {
        /**
         * A peak's row in input pixels. The maps are the layer4 grid upsampled with
         * align_corners=True, so map row u is grid row u·(h-1)/(mapHeight-1), and grid row f is
         * centred on input row (f + 0.5)·height/h.
         */
        public int imageY(Peak p) {
            return toImage(p.y(), mapHeight, height);
        }

        /** A peak's column in input pixels (as {@link #imageY}). */
        public int imageX(Peak p) {
            return toImage(p.x(), mapWidth, width);
        }

        /** Peak k's response map as a row-major height×width array (a copy, e.g. to render it). */
        public float[] map(int k) {
            return Tensors.toFloats(requireMaps().select(0, k));
        }

        /**
         * For each peak, the row-major index (y · width + x) of its response map's maximum, the
         * first one on a tie: where WISE places the peak's point. LibTorch's argmax returns the
         * first maximal index, as a loop keeping the strictly greater value does.
         */
        public int[] responseMaxima() {
            Tensor m = requireMaps();
            int k = (int) m.size(0);
            if (k == 0) {
                return new int[0];
            }
            return Tensors.toInts(m.reshape(k, -1).argmax(new LongOptional(1), false));
        }

        private Tensor requireMaps() {
            if (maps == null) {
                throw new IllegalStateException("these peaks were computed without their response maps");
            }
            return maps;
        }

        private static int toImage(int u, int mapSize, int imageSize) {
            int grid = mapSize / PrmNetwork.SUB_PIXEL_FACTOR;
            double f = mapSize > 1 ? (double) u * (grid - 1) / (mapSize - 1) : 0;
            return Math.min(imageSize - 1, (int) Math.floor((f + 0.5) * imageSize / grid));
        }
    }

    private final PrmNetwork network;
    private final PeakStimulation stimulation;
    private final float classThreshold, peakThreshold;
    private long chunkBytes = DEFAULT_CHUNK_BYTES;

    /** Freezes the network's weights (inference needs no weight gradients). */
    public PeakResponseMaps(PrmNetwork network, PeakStimulation stimulation, float classThreshold, float peakThreshold) {
        this.network = network;
        this.stimulation = stimulation;
        this.classThreshold = classThreshold;
        this.peakThreshold = peakThreshold;
        network.setTrainable(false);
    }

    /** The network this runs. */
    public PrmNetwork network() {
        return network;
    }

    /** Scores and kept peaks only (no back-propagation). */
    public Result peaks(Tensor image) {
        requireOne(image);
        return peaksOnly(image, (all, maps) -> keep(all));
    }

    /** Scores, kept peaks and their response maps, batched. */
    public Result compute(Tensor image) {
        return compute(image, Mode.BATCHED);
    }

    /** Scores, kept peaks and their response maps. */
    public Result compute(Tensor image, Mode mode) {
        requireOne(image);
        return mode == Mode.BATCHED ? batched(image, (all, maps) -> keep(all)) : loop(image, (all, maps) -> keep(all));
    }

    /**
     * Peaks of the image's labelled classes only, with their response maps: what weak supervision
     * gives a training image. The class-score threshold does not apply (the labels say the class
     * is there); a labelled class with no peak above the peak threshold keeps its strongest peak.
     */
    public Result compute(Tensor image, int[] labels) {
        requireOne(image);
        return batched(image, (all, maps) -> keepLabelled(all, labels));
    }

    /** As {@link #compute(Tensor, int[])}, without the response maps. */
    public Result peaks(Tensor image, int[] labels) {
        requireOne(image);
        return peaksOnly(image, (all, maps) -> keepLabelled(all, labels));
    }

    /**
     * The response maps of given peaks (map coordinates), whatever the thresholds; as WISE's
     * {@code prm(x_input, peak_list)}. The result's scores are the image's aggregation.
     */
    public Result compute(Tensor image, List<Peak> peaks, Mode mode) {
        requireOne(image);
        List<Peak> given = List.copyOf(peaks);
        BiFunction<Peaks, Tensor, List<Peak>> choose = (all, maps) -> requireInside(given, maps);
        return mode == Mode.BATCHED ? batched(image, choose) : loop(image, choose);
    }

    private Result peaksOnly(Tensor image, BiFunction<Peaks, Tensor, List<Peak>> choose) {
        image = stimulation.device().place(image); // the network's device, where its kernels run
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor maps;
            try (Trace.Span s = Trace.span("classifier forward", CATEGORY)) {
                maps = network.classResponseMaps(image);
            }
            try (Trace.Span s = Trace.span("peaks", CATEGORY)) {
                Peaks all = stimulation.peaks(maps);
                return result(image, maps, all, choose.apply(all, maps), null);
            }
        }
    }

    /** One forward pass with a trace: its maps give the peaks, and the trace their back-propagation. */
    private Result batched(Tensor image, BiFunction<Peaks, Tensor, List<Peak>> choose) {
        image = stimulation.device().place(image);
        try (NoGradGuard g = new NoGradGuard()) {
            BackwardTrace trace = new BackwardTrace();
            Tensor maps;
            try (Trace.Span s = Trace.span("classifier forward", CATEGORY)) {
                maps = network.classResponseMaps(image, trace);
            }
            Peaks all;
            List<Peak> kept;
            try (Trace.Span s = Trace.span("peaks", CATEGORY)) {
                all = stimulation.peaks(maps);
                kept = choose.apply(all, maps);
            }
            int k = kept.size(), h = (int) maps.size(2), w = (int) maps.size(3);
            if (k == 0) {
                return result(image, maps, all, kept, torch.zeros(new long[] {0, image.size(2), image.size(3)},
                        floatsLike(image)));
            }
            // Chunks of peaks share the trace: a whole batch of K activations of a large image
            // falls out of the caches and runs several times slower than K/chunk smaller batches.
            int chunk = (int) Math.max(1, Math.min(k, chunkBytes / (4 * trace.largestTensor())));
            try (Trace.Span s = Trace.span("peak response maps", CATEGORY).arg("peaks", k)) {
                TensorVector parts = new TensorVector();
                for (int start = 0; start < k; start += chunk) {
                    trace.rewind();
                    parts.push_back(normalise(inputGrad(kept.subList(start, Math.min(k, start + chunk)), h, w, trace)));
                    if (!trace.isEmpty()) {
                        throw new IllegalStateException("backward trace not consumed");
                    }
                }
                return result(image, maps, all, kept, parts.size() == 1 ? parts.get(0) : torch.cat(parts, 0));
            }
        }
    }

    /** For tests: a smaller chunk budget makes the batched pass replay its trace several times. */
    void setChunkBytes(long bytes) {
        chunkBytes = bytes;
    }

    /** Input gradients of the given peaks (K×3×H×W), one backward pass of batch K through the trace. */
    private Tensor inputGrad(List<Peak> peaks, int h, int w, BackwardTrace trace) {
        // Seed k: a one at its peak in its class's upsampled map; back through the upsampling
        // (batch k, one channel) and the 1×1 classifier (its class's weight row).
        int k = peaks.size();
        float[] seeds = new float[k * h * w];
        long[] classes = new long[k];
        for (int i = 0; i < k; i++) {
            Peak p = peaks.get(i);
            seeds[(i * h + p.y()) * w + p.x()] = 1f;
            classes[i] = p.classId();
        }
        long fh = h / PrmNetwork.SUB_PIXEL_FACTOR, fw = w / PrmNetwork.SUB_PIXEL_FACTOR;
        Tensor weight = network.classifierWeight();
        Tensor g1 = torch.upsample_bilinear2d_backward(Tensors.toDeviceOf(Tensors.floats(seeds, k, 1, h, w), weight),
                new long[] {h, w}, new long[] {k, 1, fh, fw}, true);
        Tensor rows = weight.index_select(0, Tensors.toDeviceOf(Tensors.longs(classes, k), weight));
        return network.backbone().inputGrad(g1.mul(rows), trace);
    }

    private Result loop(Tensor image, BiFunction<Peaks, Tensor, List<Peak>> choose) {
        image = stimulation.device().place(image);
        Tensor x = image.detach().clone().set_requires_grad(true);
        Tensor maps = network.classResponseMaps(x);
        Peaks all = stimulation.peaks(maps);
        List<Peak> kept = choose.apply(all, maps);
        int c = (int) maps.size(1), h = (int) maps.size(2), w = (int) maps.size(3);
        TensorVector grads = new TensorVector();
        for (Peak p : kept) {
            float[] seed = new float[c * h * w];
            seed[(p.classId() * h + p.y()) * w + p.x()] = 1f;
            if (x.grad().defined()) {
                x.grad().zero_();
            }
            maps.backward(Tensors.toDeviceOf(Tensors.floats(seed, 1, c, h, w), maps), new BoolOptional(true), false, new TensorArrayRefOptional());
            grads.push_back(x.grad().detach().clone());
        }
        Tensor out = kept.isEmpty() ? torch.zeros(new long[] {0, image.size(2), image.size(3)}, floatsLike(image))
                : normalise(torch.cat(grads, 0));
        return result(image, maps.detach(), all, kept, out);
    }

    private static org.bytedeco.pytorch.TensorOptions floatsLike(Tensor t) {
        return new org.bytedeco.pytorch.TensorOptions(ScalarType.Float)
                .device(new org.bytedeco.pytorch.DeviceOptional(t.device()));
    }

    private static Result result(Tensor image, Tensor classMaps, Peaks all, List<Peak> kept, Tensor maps) {
        return new Result((int) image.size(2), (int) image.size(3), (int) classMaps.size(2), (int) classMaps.size(3),
                all.aggregation().clone(), kept, classMaps, maps);
    }

    /**
     * K×3×H×W input gradients → K×H×W maps: channel sum, clamp at 0, divide by the map's sum (if
     * positive). The sums are added in order in double and each value divided in double and
     * rounded once to float: the same bits as dividing each float by a Java loop's double sum,
     * which is what the maps were before they stayed tensors (a pairwise LibTorch sum would move
     * some values by an ulp, and an ulp can move a response map's argmax or a threshold's cut).
     */
    private static Tensor normalise(Tensor grad) {
        Tensor prm = grad.sum(new long[] {1}, false, new ScalarTypeOptional()).clamp_min(new Scalar(0.0)).contiguous();
        int k = (int) prm.size(0);
        double[] sums = Tensors.sequentialSums(prm, k);
        for (int i = 0; i < k; i++) {
            if (!(sums[i] > 0)) {
                sums[i] = 1; // a map without a positive value stays as it is (x / 1 is exact)
            }
        }
        return prm.to(prm.device(), ScalarType.Double).div(Tensors.toDeviceOf(Tensors.doubles(sums, k, 1, 1), prm))
                .to(prm.device(), ScalarType.Float).contiguous();
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

    private List<Peak> keepLabelled(Peaks all, int[] labels) {
        List<Peak> kept = new ArrayList<>();
        for (int cls : labels) {
            int strongest = -1, before = kept.size();
            for (int i = 0; i < all.size(); i++) {
                if (all.classes()[i] != cls) {
                    continue;
                }
                if (all.values()[i] > peakThreshold) {
                    kept.add(new Peak(cls, all.ys()[i], all.xs()[i], all.values()[i]));
                }
                if (strongest < 0 || all.values()[i] > all.values()[strongest]) {
                    strongest = i;
                }
            }
            if (kept.size() == before && strongest >= 0) {
                kept.add(new Peak(cls, all.ys()[strongest], all.xs()[strongest], all.values()[strongest]));
            }
        }
        return kept;
    }

    private static List<Peak> requireInside(List<Peak> peaks, Tensor maps) {
        for (Peak p : peaks) {
            if (p.classId() < 0 || p.classId() >= maps.size(1) || p.y() < 0 || p.y() >= maps.size(2) || p.x() < 0
                    || p.x() >= maps.size(3)) {
                throw new IllegalArgumentException("peak " + p + " lies outside the class response maps "
                        + Tensors.shapeString(maps));
            }
        }
        return peaks;
    }

    private static void requireOne(Tensor image) {
        if (image.dim() != 4 || image.size(0) != 1) {
            throw new IllegalArgumentException("peak response maps take one image, 1×3×H×W, got " + Tensors.shapeString(image));
        }
    }
}
