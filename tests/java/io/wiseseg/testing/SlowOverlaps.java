package io.wiseseg.testing;

import io.wiseseg.data.AnnotatedImage;
import io.wiseseg.data.Instance;
import io.wiseseg.data.Mask;
import io.wiseseg.proposals.Proposal;
import io.wiseseg.proposals.ProposalFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Mask overlaps the slow, literal way, pixel by pixel: references for the evaluators in eval. */
public final class SlowOverlaps {
    private SlowOverlaps() {}

    /** Mask IoU pixel by pixel; 0 when the masks do not meet. */
    public static double iou(Mask a, Mask b) {
        int inter = 0, union = 0;
        for (int y = 0; y < a.height(); y++) {
            for (int x = 0; x < a.width(); x++) {
                inter += a.get(y, x) && b.get(y, x) ? 1 : 0;
                union += a.get(y, x) || b.get(y, x) ? 1 : 0;
            }
        }
        return inter == 0 ? 0 : (double) inter / union;
    }

    /** Per object of {@code truth}, in order, the best IoU among its image's first {@code limit} proposals (0: all). */
    public static List<Double> bestIous(List<AnnotatedImage> truth, Path proposals, int limit) throws IOException {
        ProposalFiles files = new ProposalFiles(proposals);
        List<Double> out = new ArrayList<>();
        for (AnnotatedImage a : truth) {
            List<Proposal> ps = files.proposals(a.image(), () -> null);
            List<Proposal> first = limit == 0 ? ps : ps.subList(0, Math.min(limit, ps.size()));
            for (Instance object : a.instances()) {
                double best = 0;
                for (Proposal p : first) {
                    best = Math.max(best, iou(p.mask(), object.mask()));
                }
                out.add(best);
            }
        }
        return out;
    }
}
