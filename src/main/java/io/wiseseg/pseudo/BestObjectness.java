package io.wiseseg.pseudo;

import io.wiseseg.data.Mask;
import io.wiseseg.kernels.ProposalScorer;
import io.wiseseg.proposals.Proposal;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * WISE's rule: among the proposals scoring above {@code threshold} that contain the seed's pixel,
 * the one with the highest objectness; the pseudo mask's score is that objectness. A seed inside
 * no such proposal gets none.
 *
 * <p>The reference has two versions: {@code pointList2propDict} keeps proposals scoring > 0.5
 * ({@link #wise()}), while {@code bo_proposal}, which its VOC loader calls to make the training
 * targets, applies no threshold ({@link #boProposal()}). They differ only for a seed whose
 * containing proposals all score ≤ 0.5: none versus the best of those.
 *
 * <p>The "single point" variant skips proposals holding more than one seed pixel (seeds on the
 * same pixel count once, as the reference counts pixels of its point mask).
 *
 * <p>Ties: the proposal that comes first in the source's order wins (the reference's argmax over
 * the score-sorted list). Containment is one bit lookup per (seed, proposal), so this rule needs
 * neither maps nor a kernel call.
 */
public final class BestObjectness implements SelectionRule {
    private final double threshold;
    private final boolean singlePoint;

    public BestObjectness(double threshold, boolean singlePoint) {
        this.threshold = threshold;
        this.singlePoint = singlePoint;
    }

    /** {@code pointList2propDict}'s rule: threshold 0.5. */
    public static BestObjectness wise() {
        return new BestObjectness(0.5, false);
    }

    /** {@code bo_proposal}'s rule, as the reference's training data uses it: no threshold. */
    public static BestObjectness boProposal() {
        return new BestObjectness(Double.NEGATIVE_INFINITY, false);
    }

    @Override
    public Evidence evidence() {
        return Evidence.PEAKS;
    }

    @Override
    public Selection select(ImageEvidence evidence, ProposalScorer scorer) {
        List<Seed> seeds = evidence.seeds();
        List<Proposal> proposals = evidence.proposals();
        Selection out = Selection.empty(seeds.size());
        Set<Long> pixels = new HashSet<>();
        for (Seed s : seeds) {
            pixels.add(((long) s.y() << 32) | (s.x() & 0xFFFFFFFFL));
        }
        for (int p = 0; p < proposals.size(); p++) {
            Proposal prop = proposals.get(p);
            if (!(prop.score() > threshold)) {
                continue;
            }
            Mask m = prop.mask();
            if (singlePoint && seedPixelsInside(m, pixels) > 1) {
                continue;
            }
            for (int k = 0; k < seeds.size(); k++) {
                if (MapTensors.contains(m, seeds.get(k))
                        && (out.proposal()[k] == Selection.NONE || prop.score() > out.score()[k])) {
                    out.proposal()[k] = p;
                    out.score()[k] = prop.score();
                }
            }
        }
        return out;
    }

    private static int seedPixelsInside(Mask m, Set<Long> pixels) {
        int n = 0;
        for (long yx : pixels) {
            int y = (int) (yx >> 32), x = (int) yx;
            if (y >= 0 && x >= 0 && y < m.height() && x < m.width() && m.get(y, x)) {
                n++;
            }
        }
        return n;
    }

    @Override
    public String description() {
        return "best-objectness threshold=" + threshold + (singlePoint ? " single-point" : "");
    }
}
