package io.wiseseg.eval;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wiseseg.data.Instance;
import io.wiseseg.data.Mask;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * How well a split's mask proposals can cover its objects: the ceiling of any pseudo-mask rule
 * that picks one proposal per object, whatever its peaks. For every ground-truth object, the best
 * mask IoU among its image's first {@code limit} proposals (in the proposals' own order, since the
 * rules' proposal count keeps that prefix); proposals carry no class, so none is required. The IoU
 * is {@link PseudoMaskDiagnostics}' (pycocotools' mask IoU, void pixels counted like any other), so
 * {@link #recall()} is the object recall a perfect picker would reach there, and
 * {@link #meanBestIou()} its mean best IoU.
 *
 * @param limit      proposals looked at per image, from the first (0: all of them)
 * @param objects    ground-truth objects (crowds excluded)
 * @param covered    objects with a proposal at IoU ≥ {@link PseudoMaskDiagnostics#IOU}
 * @param sumBestIou over the objects, the best proposal IoU (0 when the image has none)
 */
public record ProposalRecall(int limit, int objects, int covered, double sumBestIou) {
    /**
     * The recall at each of {@code limits} (ascending; 0, all proposals, may come last).
     *
     * @param proposals an image's proposal masks from its id, in their order; asked once per image
     *                  and dropped after it (a split's proposals need not fit in memory)
     */
    public static List<ProposalRecall> of(List<GroundTruth> truth, Function<String, List<Mask>> proposals,
            int... limits) {
        for (int i = 0; i < limits.length; i++) {
            boolean last = i == limits.length - 1;
            if (limits[i] < 0 || (limits[i] == 0 && !last) || (i > 0 && limits[i] != 0 && limits[i] <= limits[i - 1])) {
                throw new IllegalArgumentException("limits must ascend, with 0 (all) only last: " + Arrays.toString(limits));
            }
        }
        int objects = 0;
        int[] covered = new int[limits.length];
        double[] sumBest = new double[limits.length];
        for (GroundTruth g : truth) {
            List<Mask> ps = proposals.apply(g.id());
            for (int p = 0; p < ps.size(); p++) {
                Mask m = ps.get(p);
                if (m.height() != g.height() || m.width() != g.width()) {
                    throw new IllegalArgumentException("image " + g.id() + ": proposal " + p + " is " + m.height()
                            + "x" + m.width() + ", the image " + g.height() + "x" + g.width());
                }
            }
            for (Instance object : g.instances()) {
                objects++;
                double best = 0;
                int seen = 0;
                for (int k = 0; k < limits.length; k++) {
                    int upTo = limits[k] == 0 ? ps.size() : Math.min(limits[k], ps.size());
                    for (; seen < upTo; seen++) { // each limit extends the previous one's prefix
                        best = Math.max(best, Overlap.coco(ps.get(seen), object.mask(), false));
                    }
                    sumBest[k] += best;
                    covered[k] += best >= PseudoMaskDiagnostics.IOU ? 1 : 0;
                }
            }
        }
        List<ProposalRecall> out = new ArrayList<>();
        for (int k = 0; k < limits.length; k++) {
            out.add(new ProposalRecall(limits[k], objects, covered[k], sumBest[k]));
        }
        return out;
    }

    /** The fraction of objects with a proposal at IoU ≥ 0.5 (NaN without objects). */
    public double recall() {
        return objects == 0 ? Double.NaN : (double) covered / objects;
    }

    /** Mean over the objects of the best proposal IoU (NaN without objects). */
    public double meanBestIou() {
        return objects == 0 ? Double.NaN : sumBestIou / objects;
    }

    /** The counts and the derived numbers (fractions in [0, 1]; null where undefined); limit 0: all. */
    public ObjectNode toJson() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("limit", limit);
        n.put("iou", PseudoMaskDiagnostics.IOU);
        n.put("objects", objects);
        n.put("covered", covered);
        if (objects > 0) {
            n.put("recall", recall());
            n.put("meanBestIou", meanBestIou());
        } else {
            n.putNull("recall");
            n.putNull("meanBestIou");
        }
        return n;
    }

    /** A table of {@code rows} under a title that says what is counted. */
    public static String toText(List<ProposalRecall> rows) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "proposals against the objects (per object, the best mask IoU among its image's first K proposals;"
                        + " any class)%n  %-10s %14s %14s%n", "K", "recall@0.5", "mean best IoU"));
        for (ProposalRecall r : rows) {
            sb.append(String.format(Locale.ROOT, "  %-10s %13s%% %13s%%   (%d of %d objects)%n",
                    r.limit == 0 ? "all" : Integer.toString(r.limit), percent(r.recall()), percent(r.meanBestIou()),
                    r.covered, r.objects));
        }
        return sb.toString();
    }

    private static String percent(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f", 100 * v);
    }
}
