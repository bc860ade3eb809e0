package io.wiseseg.pseudo;

import io.wiseseg.kernels.PackedMasks;
import io.wiseseg.kernels.ProposalScorer;
import io.wiseseg.kernels.ProposalScores;
import java.util.List;
import org.bytedeco.pytorch.Tensor;

/**
 * The proposal that best overlaps the seed's thresholded peak response map: T = {R ≥ factor ·
 * mean(R)}, score = IoU(P, T). A seed whose best IoU is 0 gets none; the first proposal wins a
 * tie. Only the first {@code proposalCount} proposals are considered (all when ≤ 0).
 *
 * <p>The smoothed variant ({@link #smoothed}) first blurs each map with a Gaussian and thresholds
 * it at a fraction of its maximum: a peak response map is a speckle of input gradients over the
 * object, and the blur turns it into a region whose extent is the object's.
 */
public final class BestIou implements SelectionRule {
    private final double factor;
    private final int proposalCount;
    private final double sigma; // of the blur, as a fraction of the image's longer side; 0: none
    private final boolean ofMax;

    public BestIou(double factor, int proposalCount) {
        this(factor, proposalCount, 0, false);
    }

    private BestIou(double factor, int proposalCount, double sigma, boolean ofMax) {
        if (!(factor > 0) || sigma < 0) {
            throw new IllegalArgumentException("need factor > 0 and sigma >= 0, got " + factor + ", " + sigma);
        }
        this.factor = factor;
        this.proposalCount = proposalCount;
        this.sigma = sigma;
        this.ofMax = ofMax;
    }

    /**
     * T = {G_σ * R ≥ fraction · max(G_σ * R)} with σ = {@code sigma} × the image's longer side.
     */
    public static BestIou smoothed(double sigma, double fraction, int proposalCount) {
        if (!(sigma > 0) || !(fraction > 0 && fraction < 1)) {
            throw new IllegalArgumentException("need sigma > 0 and 0 < fraction < 1, got " + sigma + ", " + fraction);
        }
        return new BestIou(fraction, proposalCount, sigma, true);
    }

    @Override
    public Evidence evidence() {
        return Evidence.PEAK_RESPONSE_MAPS;
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
        Tensor maps = sigma > 0 ? MapTensors.gaussianBlur(e.peakResponseMaps(), sigma * Math.max(e.height(), e.width()))
                : e.peakResponseMaps();
        double[] levels = ofMax ? MapTensors.maxima(maps) : MapTensors.means(maps);
        float[] thresholds = new float[k];
        for (int j = 0; j < k; j++) {
            thresholds[j] = (float) (factor * levels[j]);
        }
        PackedMasks packed = MapTensors.pack(e.proposals(), p, e.height(), e.width());
        ProposalScores s = scorer.score(packed, maps, thresholds, null, -1);
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
        return "best-iou " + (sigma > 0 ? String.format(java.util.Locale.ROOT, "blur=%.3f*side ", sigma) : "")
                + "threshold=" + factor + (ofMax ? "*max" : "*mean") + " proposals=" + (proposalCount > 0 ? proposalCount : "all");
    }
}
