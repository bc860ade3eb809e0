package io.wiseseg.eval;

import io.wiseseg.data.ClassSet;
import io.wiseseg.data.ImagePrediction;
import io.wiseseg.data.Instance;
import io.wiseseg.data.Mask;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The VOC^r / SDS protocol of PRM-era papers (Hariharan et al. 2014; PRM reports mAP^r at IoU
 * 0.25 / 0.5 / 0.75), in the form of the VOC devkit's detection evaluation with masks for boxes
 * (as chainercv's {@code eval_instance_segmentation_voc} implements it):
 * <ul>
 * <li>every ground-truth image is evaluated, including images without instances;</li>
 * <li>per class, all its detections across images are sorted by score (stable, image order
 * among ties);</li>
 * <li>IoU ignores void pixels: they are removed from both masks;</li>
 * <li>{@link Matching#VOC_DEVKIT} (default): a detection's candidate is the ground truth of its
 * class with the highest IoU in its image; it is a true positive if that IoU ≥ the threshold and
 * the ground truth is not yet taken, else a false positive (a duplicate stays a false positive
 * even if another unmatched ground truth overlaps enough). {@link Matching#BEST_UNMATCHED}
 * instead picks the highest-IoU ground truth among those not yet taken. A crowd ground truth
 * plays VOC's "difficult": a detection whose candidate it is counts neither way, and it is not
 * among the positives;</li>
 * <li>AP is VOC2010+'s all-points area under the precision–recall curve: precision made
 * monotone from the right (its envelope), summed over the recall steps
 * (Σ (r<sub>i+1</sub> − r<sub>i</sub>) · p<sub>i+1</sub> with r padded by 0 and 1, p by 0 and
 * 0); not the VOC2007 11-point average;</li>
 * <li>mAP is the mean over classes with at least one positive; a class with positives and no
 * detections scores 0.</li>
 * </ul>
 */
public final class VocR implements Evaluator {
    public static final double[] THRESHOLDS = {0.25, 0.5, 0.75};

    /** How a detection chooses the ground truth it tries to match. */
    public enum Matching { VOC_DEVKIT, BEST_UNMATCHED }

    private final Matching matching;
    private final double[] thresholds;

    public VocR() {
        this(Matching.VOC_DEVKIT, THRESHOLDS);
    }

    public VocR(Matching matching, double[] thresholds) {
        this.matching = matching;
        this.thresholds = thresholds.clone();
    }

    @Override
    public EvaluationReport evaluate(List<GroundTruth> groundTruth, List<ImagePrediction> predictions,
            ClassSet classes) {
        Map<String, List<Instance>> preds = Overlap.byImage(groundTruth, predictions, classes.size());
        int k0 = classes.size(), t0 = thresholds.length;
        double[][] perClass = new double[k0][t0];
        for (int k = 0; k < k0; k++) {
            perClass[k] = classAp(groundTruth, preds, k);
        }
        double[] mean = new double[t0];
        String[] columns = new String[t0];
        for (int t = 0; t < t0; t++) {
            double[] col = new double[k0];
            for (int k = 0; k < k0; k++) {
                col[k] = perClass[k][t];
            }
            mean[t] = CocoMatching.nanMean(col);
            columns[t] = "AP" + Math.round(thresholds[t] * 100);
        }
        return new EvaluationReport("VOC^r / SDS mAP (" + matching + ", all-points AP, void ignored)",
                List.of(columns), classes.names(), perClass, mean, new LinkedHashMap<>(),
                new LinkedHashMap<>());
    }

    private record Detection(int image, Instance instance) {
    }

    private double[] classAp(List<GroundTruth> gt, Map<String, List<Instance>> preds, int classId) {
        int t0 = thresholds.length;
        List<List<Instance>> gts = new ArrayList<>();
        List<boolean[]> crowd = new ArrayList<>();
        List<Detection> dets = new ArrayList<>();
        int positives = 0;
        for (int i = 0; i < gt.size(); i++) {
            GroundTruth g = gt.get(i);
            List<Instance> mine = new ArrayList<>();
            for (Instance in : g.instances()) {
                if (in.classId() == classId) {
                    mine.add(in);
                }
            }
            positives += mine.size();
            int plain = mine.size();
            for (Instance in : g.crowd()) {
                if (in.classId() == classId) {
                    mine.add(in);
                }
            }
            boolean[] c = new boolean[mine.size()];
            Arrays.fill(c, plain, c.length, true);
            gts.add(mine);
            crowd.add(c);
            for (Instance in : preds.getOrDefault(g.id(), List.of())) {
                if (in.classId() == classId) {
                    dets.add(new Detection(i, in));
                }
            }
        }
        double[] ap = new double[t0];
        if (positives == 0) {
            Arrays.fill(ap, Double.NaN);
            return ap;
        }
        List<Detection> sorted = dets.stream().sorted((a, b) -> a.instance.score() > b.instance.score() ? -1
                : a.instance.score() < b.instance.score() ? 1 : 0).toList();
        // IoUs once, reused by every threshold
        double[][] ious = new double[sorted.size()][];
        for (int d = 0; d < sorted.size(); d++) {
            Detection det = sorted.get(d);
            List<Instance> cand = gts.get(det.image);
            Mask voidMask = gt.get(det.image).image().voidMask();
            ious[d] = new double[cand.size()];
            for (int j = 0; j < cand.size(); j++) {
                ious[d][j] = Overlap.ignoringVoid(det.instance.mask(), cand.get(j).mask(), voidMask);
            }
        }
        for (int t = 0; t < t0; t++) {
            List<boolean[]> taken = new ArrayList<>();
            for (List<Instance> g : gts) {
                taken.add(new boolean[g.size()]);
            }
            List<Double> precision = new ArrayList<>(), recall = new ArrayList<>();
            int tp = 0, fp = 0;
            for (int d = 0; d < sorted.size(); d++) {
                int image = sorted.get(d).image;
                boolean[] used = taken.get(image);
                int best = -1;
                double bestIou = -1;
                for (int j = 0; j < ious[d].length; j++) {
                    if (matching == Matching.BEST_UNMATCHED && used[j] && !crowd.get(image)[j]) {
                        continue;
                    }
                    if (ious[d][j] > bestIou) {
                        bestIou = ious[d][j];
                        best = j;
                    }
                }
                if (best >= 0 && bestIou >= thresholds[t]) {
                    if (crowd.get(image)[best]) {
                        continue;
                    }
                    if (!used[best]) {
                        used[best] = true;
                        tp++;
                    } else {
                        fp++;
                    }
                } else {
                    fp++;
                }
                precision.add((double) tp / (tp + fp));
                recall.add((double) tp / positives);
            }
            ap[t] = allPointsAp(recall, precision);
        }
        return ap;
    }

    /** VOC2010+ AP: the area under the precision envelope, summed where recall changes. */
    static double allPointsAp(List<Double> recall, List<Double> precision) {
        int n = recall.size();
        double[] mrec = new double[n + 2], mpre = new double[n + 2];
        mrec[n + 1] = 1;
        for (int i = 0; i < n; i++) {
            mrec[i + 1] = recall.get(i);
            mpre[i + 1] = precision.get(i);
        }
        for (int i = n; i >= 0; i--) {
            mpre[i] = Math.max(mpre[i], mpre[i + 1]);
        }
        double ap = 0;
        for (int i = 0; i < n + 1; i++) {
            if (mrec[i + 1] != mrec[i]) {
                ap += (mrec[i + 1] - mrec[i]) * mpre[i + 1];
            }
        }
        return ap;
    }
}
