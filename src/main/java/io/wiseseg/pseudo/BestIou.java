package io.wiseseg.pseudo;

import io.wiseseg.kernels.PackedMasks;
import io.wiseseg.kernels.ProposalScorer;
import io.wiseseg.kernels.ProposalScores;
import java.util.List;

/**
 * The proposal that best overlaps the seed's thresholded peak response map: T = {R ≥ factor ·
 * mean(R)}, score = IoU(P, T). A seed whose best IoU is 0 gets none; the first proposal wins a
 * tie. Only the first {@code proposalCount} proposals are considered (all when ≤ 0).
 */
public final class BestIou implements SelectionRule {
    private final double factor;
    private final int proposalCount;

    public BestIou(double factor, int proposalCount) {
        this.factor = factor;
        this.proposalCount = proposalCount;
    }

    @Override
    public Selection select(ImageEvidence e, ProposalScorer scorer) {
        List<Seed> seeds = e.seeds();
        int k = seeds.size();
        int p = proposalCount > 0 ? Math.min(proposalCount, e.proposals().size()) : e.proposals().size();
        Selection out = Selection.empty(k);
        if (k == 0 || p == 0) {
            return out;
        }
        if (e.peakResponseMaps() == null) {
            throw new IllegalArgumentException("image " + e.imageId() + ": best-IoU needs peak response maps");
        }
        double[] means = MapTensors.means(e.peakResponseMaps());
        float[] thresholds = new float[k];
        for (int j = 0; j < k; j++) {
            thresholds[j] = (float) (factor * means[j]);
        }
        PackedMasks packed = MapTensors.pack(e.proposals(), p, e.height(), e.width());
        ProposalScores s = scorer.score(packed, e.peakResponseMaps(), thresholds, null, -1);
        for (int j = 0; j < k; j++) {
            double best = 0;
            for (int i = 0; i < p; i++) {
                double iou = s.iou(j, i);
                if (iou > best) {
                    best = iou;
                    out.proposal()[j] = i;
                    out.score()[j] = iou;
                }
            }
        }
        return out;
    }

    @Override
    public String description() {
        return "best-iou threshold=" + factor + "*mean proposals=" + (proposalCount > 0 ? proposalCount : "all");
    }
}
