package io.wiseseg.pseudo;

import io.wiseseg.data.Mask;
import io.wiseseg.kernels.Device;
import io.wiseseg.kernels.ProposalScorer;
import io.wiseseg.proposals.Proposal;
import io.wiseseg.util.TorchRuntime;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** Builders for the rule tests: rectangles, proposals, map tensors, a CPU scorer. */
final class Inputs {
    static {
        TorchRuntime.ensureLoaded();
    }

    private Inputs() {
    }

    static ProposalScorer scorer() {
        return new ProposalScorer(Device.cpu());
    }

    /** Rows y0..y1-1, columns x0..x1-1. */
    static Mask rect(int h, int w, int y0, int x0, int y1, int x1) {
        Mask m = new Mask(h, w);
        for (int y = y0; y < y1; y++) {
            for (int x = x0; x < x1; x++) {
                m.set(y, x, true);
            }
        }
        return m;
    }

    static List<Proposal> proposals(Object... maskScorePairs) {
        List<Proposal> out = new ArrayList<>();
        for (int i = 0; i < maskScorePairs.length; i += 2) {
            out.add(new Proposal((Mask) maskScorePairs[i], ((Number) maskScorePairs[i + 1]).floatValue()));
        }
        return out;
    }

    static Tensor maps(float[] values, int k, int h, int w) {
        Tensor t = torch.empty(new long[] {k, h, w}, new TensorOptions(ScalarType.Float),
                new org.bytedeco.pytorch.MemoryFormatOptional());
        if (values.length > 0) {
            MemorySegment.copy(values, 0, MemorySegment.ofAddress(t.data_ptr().address()).reinterpret(t.nbytes()),
                    ValueLayout.JAVA_FLOAT, 0, values.length);
        }
        return t;
    }

    /** K maps, each 1 inside its own rectangle and {@code outside} elsewhere. */
    static float[] rectMaps(int h, int w, float outside, Mask... insides) {
        float[] v = new float[insides.length * h * w];
        for (int k = 0; k < insides.length; k++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    v[(k * h + y) * w + x] = insides[k].get(y, x) ? 1f : outside;
                }
            }
        }
        return v;
    }

    static ImageEvidence evidence(int h, int w, List<Seed> seeds, Tensor prms, Tensor classMaps,
            List<Proposal> proposals) {
        return new ImageEvidence("img", h, w, seeds, prms, classMaps, proposals, null);
    }
}
