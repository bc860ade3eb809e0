package io.wiseseg.prm;

import io.wiseseg.util.Tensors;
import io.wiseseg.kernels.PeakFinder;
import io.wiseseg.kernels.Peaks;
import org.bytedeco.pytorch.Tensor;

/**
 * PRM's peak stimulation: the peaks of each class response map (our native {@link PeakFinder} on
 * the detached maps: local maxima in a 3×3 window at or above the map's median) and the
 * aggregation per map, the mean of the map at its peaks.
 *
 * <p>The aggregation is built from LibTorch ops, {@code (maps · peakMask).sum / count}, so
 * autograd gives the gradient upstream × peak mask / peak count. Note: PRM's and WISE's custom
 * backward returns upstream × peak mask without the division by the count; ours is the exact
 * gradient of the mean that the forward computes.
 */
public final class PeakStimulation {
    /** The peaks and the per-map aggregation (N×C, differentiable w.r.t. the maps). */
    public record Result(Peaks peaks, Tensor aggregation) {}

    private final PeakFinder finder;
    private final int window;

    public PeakStimulation(PeakFinder finder) {
        this(finder, PeakFinder.DEFAULT_WINDOW);
    }

    public PeakStimulation(PeakFinder finder, int window) {
        this.finder = finder;
        this.window = window;
    }

    /** Where the peak kernel runs, and so where the maps it takes must be. */
    public io.wiseseg.kernels.Device device() {
        return finder.device();
    }

    public Peaks peaks(Tensor maps) {
        return finder.find(maps.detach().contiguous(), window);
    }

    public Result apply(Tensor maps) {
        Peaks peaks = peaks(maps);
        int n = (int) maps.size(0), c = (int) maps.size(1), h = (int) maps.size(2), w = (int) maps.size(3);
        float[] mask = new float[n * c * h * w];
        for (int i = 0; i < peaks.size(); i++) {
            mask[((peaks.batch()[i] * c + peaks.classes()[i]) * h + peaks.ys()[i]) * w + peaks.xs()[i]] = 1f;
        }
        float[] counts = new float[n * c];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = Math.max(1, peaks.counts()[i]); // a map always has a peak unless it holds NaN
        }
        Tensor peakMask = Tensors.toDeviceOf(Tensors.floats(mask, n, c, h, w), maps);
        Tensor aggregation = maps.mul(peakMask).sum(new long[] {2, 3}, false, new org.bytedeco.pytorch.ScalarTypeOptional())
                .div(Tensors.toDeviceOf(Tensors.floats(counts, n, c), maps));
        return new Result(peaks, aggregation);
    }
}
