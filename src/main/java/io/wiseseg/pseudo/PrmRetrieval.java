package io.wiseseg.pseudo;

import io.wiseseg.kernels.PackedMasks;
import io.wiseseg.kernels.ProposalScorer;
import io.wiseseg.kernels.ProposalScores;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.bytedeco.pytorch.Tensor;

/**
 * PRM's retrieval ({@code instance_seg} of ZhouYanzhao/PRM): for each seed, over the first
 * {@code proposalCount} proposals, skipping those whose area is at least {@code maxAreaFraction}
 * or below {@code minAreaFraction} of the image,
 * <pre>  score = balance · Σ_P R + Σ_∂P R − penalty · Σ_P Q</pre>
 * with R the seed's peak response map, ∂P the proposal's contour (morphological gradient, 5×5)
 * and Q = [class map &lt; bg_factor · mean(class map)]. The best score wins; the first proposal
 * wins a tie (PRM keeps a candidate only when strictly better).
 *
 * <p>Two scorer calls per image: one on the peak response maps gives Σ_P R and Σ_∂P R; one on
 * the class maps of the seeds' classes, thresholded at bg_factor · mean, gives |P ∩ {C ≥ t}|,
 * so Σ_P Q = |P| − |P ∩ {C ≥ t}|. The mean is taken in double precision (numpy's float32 mean
 * can differ in the last bits).
 */
public final class PrmRetrieval implements SelectionRule {
    /** PRM's (bg_threshold_factor, penalty_factor, balance_factor) triple. */
    public record Params(double bgThresholdFactor, double penaltyFactor, double balanceFactor) {
        /** The values of PRM's demo configuration. */
        public static Params demo() {
            return new Params(0.95, 1e-5, 0.8);
        }
    }

    private final Params shared;
    private final List<Params> perClass;
    private final int proposalCount;
    private final double minAreaFraction, maxAreaFraction;

    /** @param perClass parameters per class id, or null to use {@code shared} for all */
    public PrmRetrieval(Params shared, List<Params> perClass, int proposalCount, double minAreaFraction,
            double maxAreaFraction) {
        if (shared == null && perClass == null) {
            throw new IllegalArgumentException("PRM retrieval needs shared or per-class parameters");
        }
        this.shared = shared;
        this.perClass = perClass == null ? null : List.copyOf(perClass);
        this.proposalCount = proposalCount;
        this.minAreaFraction = minAreaFraction;
        this.maxAreaFraction = maxAreaFraction;
    }

    /** PRM's defaults: demo parameters, 100 proposals, sizes in [0.00002, 0.85) of the image. */
    public static PrmRetrieval prm() {
        return new PrmRetrieval(Params.demo(), null, 100, 0.00002, 0.85);
    }

    Params params(int classId) {
        if (perClass == null) {
            return shared;
        }
        if (classId >= perClass.size()) {
            throw new IllegalArgumentException("no PRM retrieval parameters for class " + classId
                    + " (" + perClass.size() + " given)");
        }
        return perClass.get(classId);
    }

    @Override
    public Evidence evidence() {
        return Evidence.CLASS_MAPS;
    }

    /** PRM follows its retrieval with instance NMS. */
    @Override
    public boolean instanceNmsByDefault() {
        return true;
    }

    @Override
    public Selection select(ImageEvidence e, ProposalScorer scorer) {
        List<Seed> seeds = e.seeds();
        int k = seeds.size(), p = Math.min(proposalCount, e.proposals().size());
        Selection out = Selection.empty(k);
        if (k == 0 || p == 0) {
            return out;
        }
        if (e.peakResponseMaps() == null || e.classMaps() == null) {
            throw new IllegalArgumentException("image " + e.imageId()
                    + ": PRM retrieval needs peak response maps and class maps");
        }
        PackedMasks packed = MapTensors.pack(e.proposals(), p, e.height(), e.width());
        float[] none = new float[k];
        Arrays.fill(none, Float.POSITIVE_INFINITY);
        ProposalScores prm = scorer.score(packed, e.peakResponseMaps(), none, null,
                ProposalScorer.PRM_BOUNDARY_RADIUS);

        // one class map per distinct class among the seeds
        Map<Integer, Integer> row = new TreeMap<>();
        for (Seed s : seeds) {
            row.putIfAbsent(s.classId(), 0);
        }
        int[] classes = row.keySet().stream().mapToInt(Integer::intValue).toArray();
        for (int i = 0; i < classes.length; i++) {
            row.put(classes[i], i);
        }
        Tensor selected = MapTensors.rows(e.classMaps(), classes);
        double[] means = MapTensors.means(selected);
        float[] thresholds = new float[classes.length];
        for (int i = 0; i < classes.length; i++) {
            thresholds[i] = (float) (params(classes[i]).bgThresholdFactor() * means[i]);
        }
        ProposalScores fg = scorer.score(packed, selected, thresholds, null, -1);

        double image = (double) e.height() * e.width();
        for (int j = 0; j < k; j++) {
            Seed s = seeds.get(j);
            Params q = params(s.classId());
            int c = row.get(s.classId());
            double best = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < p; i++) {
                long area = prm.area(i);
                if (area >= maxAreaFraction * image || area < minAreaFraction * image) {
                    continue;
                }
                long background = area - fg.intersection(c, i);
                double v = q.balanceFactor() * prm.sumInside(j, i) + prm.sumBoundary(j, i)
                        - q.penaltyFactor() * background;
                if (v > best) {
                    best = v;
                    out.proposal()[j] = i;
                    out.score()[j] = v;
                }
            }
        }
        return out;
    }

    @Override
    public String description() {
        return "prm-retrieval params=" + (perClass == null ? shared : perClass) + " proposals=" + proposalCount
                + " area=[" + minAreaFraction + ", " + maxAreaFraction + ")";
    }
}
