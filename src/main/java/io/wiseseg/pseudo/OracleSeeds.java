package io.wiseseg.pseudo;

import io.wiseseg.data.AnnotatedImage;
import io.wiseseg.data.Instance;
import io.wiseseg.data.Mask;
import java.util.ArrayList;
import java.util.List;

/**
 * "Perfect peaks": one seed per ground-truth instance, at the instance's pixel nearest its
 * centroid (a ring's centroid lies outside it). A diagnostic only, for evaluation images: it shows
 * how much of the pseudo masks' loss is the proposals' and the rule's rather than the classifier's.
 */
public final class OracleSeeds {
    private OracleSeeds() {}

    public static List<Seed> of(AnnotatedImage truth) {
        List<Seed> seeds = new ArrayList<>();
        for (Instance in : truth.instances()) {
            int[] p = nearestToCentroid(in.mask());
            if (p != null) {
                seeds.add(new Seed(in.classId(), p[0], p[1], 1f));
            }
        }
        return seeds;
    }

    /** The mask pixel nearest the mask's centroid (ties: first in row-major order); null when empty. */
    static int[] nearestToCentroid(Mask m) {
        double sy = 0, sx = 0;
        long n = 0;
        for (int y = 0; y < m.height(); y++) {
            for (int x = 0; x < m.width(); x++) {
                if (m.get(y, x)) {
                    sy += y;
                    sx += x;
                    n++;
                }
            }
        }
        if (n == 0) {
            return null;
        }
        double cy = sy / n, cx = sx / n, best = Double.MAX_VALUE;
        int[] at = null;
        for (int y = 0; y < m.height(); y++) {
            for (int x = 0; x < m.width(); x++) {
                double d = (y - cy) * (y - cy) + (x - cx) * (x - cx);
                if (m.get(y, x) && d < best) {
                    best = d;
                    at = new int[] {y, x};
                }
            }
        }
        return at;
    }
}
