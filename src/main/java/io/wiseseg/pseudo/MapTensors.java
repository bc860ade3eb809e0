package io.wiseseg.pseudo;

import io.wiseseg.data.Mask;
import io.wiseseg.kernels.PackedMasks;
import io.wiseseg.proposals.Proposal;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** Moves between the rules' plain inputs and the scorer's tensors. */
final class MapTensors {
    private MapTensors() {
    }

    /** The first {@code count} proposals, packed for the scorer (Mask already has its layout). */
    static PackedMasks pack(List<Proposal> proposals, int count, int height, int width) {
        PackedMasks packed = new PackedMasks(count, height, width);
        for (int i = 0; i < count; i++) {
            packed.setWords(i, proposals.get(i).mask().words());
        }
        return packed;
    }

    /**
     * Mean of each map of a K×H×W tensor: its values added in order in double, read in place (no
     * copy to an array); the same bits as a loop over them, so the rules' thresholds do not move.
     */
    static double[] means(Tensor maps) {
        int k = (int) maps.size(0);
        long n = maps.size(1) * maps.size(2);
        double[] out = io.wiseseg.util.Tensors.sequentialSums(maps, k);
        for (int i = 0; i < k; i++) {
            out[i] = n == 0 ? 0 : out[i] / n;
        }
        return out;
    }

    /** Maximum of each map of a K×H×W tensor (0 for empty maps); a maximum is exact in any order. */
    static double[] maxima(Tensor maps) {
        int k = (int) maps.size(0);
        if (k == 0 || maps.size(1) * maps.size(2) == 0) {
            return new double[k];
        }
        float[] m = floats(maps.reshape(k, -1).amax(new long[] {1}, false));
        double[] out = new double[k];
        for (int i = 0; i < k; i++) {
            out[i] = m[i];
        }
        return out;
    }

    /**
     * Each map of a K×H×W float tensor blurred with a Gaussian of standard deviation {@code sigma}
     * pixels (separable, truncated at 3σ, zero padding), same size.
     */
    static Tensor gaussianBlur(Tensor maps, double sigma) {
        int radius = Math.max(1, (int) Math.ceil(3 * sigma));
        float[] g = new float[2 * radius + 1];
        double sum = 0;
        for (int i = -radius; i <= radius; i++) {
            g[i + radius] = (float) Math.exp(-0.5 * i * i / (sigma * sigma));
            sum += g[i + radius];
        }
        for (int i = 0; i < g.length; i++) {
            g[i] = (float) (g[i] / sum);
        }
        Tensor x = maps.unsqueeze(1); // K×1×H×W
        Tensor row = io.wiseseg.util.Tensors.floats(g, 1, 1, 1, g.length);
        Tensor col = io.wiseseg.util.Tensors.floats(g, 1, 1, g.length, 1);
        x = torch.conv2d(x, row, new org.bytedeco.pytorch.TensorOptional(), new long[] {1, 1}, new long[] {0, radius},
                new long[] {1, 1}, 1);
        x = torch.conv2d(x, col, new org.bytedeco.pytorch.TensorOptional(), new long[] {1, 1}, new long[] {radius, 0},
                new long[] {1, 1}, 1);
        return x.squeeze(1).contiguous();
    }

    static float[] floats(Tensor t) {
        return io.wiseseg.util.Tensors.toFloats(t);
    }

    /** Rows {@code index} of a C×H×W tensor, as a contiguous tensor on the same device. */
    static Tensor rows(Tensor maps, int[] index) {
        Tensor idx = torch.empty(new long[] {index.length}, new TensorOptions(ScalarType.Long),
                new org.bytedeco.pytorch.MemoryFormatOptional());
        if (index.length > 0) {
            MemorySegment seg = MemorySegment.ofAddress(idx.data_ptr().address()).reinterpret(idx.nbytes());
            for (int i = 0; i < index.length; i++) {
                seg.setAtIndex(ValueLayout.JAVA_LONG, i, index[i]);
            }
        }
        Tensor onDevice = maps.is_cpu() ? idx : idx.to(maps.device(), ScalarType.Long);
        return maps.index_select(0, onDevice).contiguous();
    }

    /** Seed points as the scorer's (y, x) pairs. */
    static int[] points(List<Seed> seeds) {
        int[] p = new int[2 * seeds.size()];
        for (int i = 0; i < seeds.size(); i++) {
            p[2 * i] = seeds.get(i).y();
            p[2 * i + 1] = seeds.get(i).x();
        }
        return p;
    }

    static boolean contains(Mask m, Seed s) {
        return s.y() >= 0 && s.x() >= 0 && s.y() < m.height() && s.x() < m.width() && m.get(s.y(), s.x());
    }
}
