package io.wiseseg.eval;

import io.wiseseg.data.ClassSet;
import io.wiseseg.data.ImagePrediction;
import io.wiseseg.data.Instance;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Average best overlap (ABO, Pont-Tuset et al.'s measure as PRM and WISE report it): for every
 * ground-truth instance, the best IoU with any predicted mask of the same image, then the mean
 * over all instances of the dataset (an instance without predictions scores 0). Predictions'
 * classes and scores are not looked at by default: ABO measures mask quality apart from
 * classification, which is how PRM describes it and why WISE reports it next to mAP; pass
 * {@code sameClassOnly} to require the predicted class to match. Void pixels are removed from both
 * masks, as in VOC^r; crowd regions are not instances and are skipped.
 *
 * <p>The report has one column, "ABO": per class the mean over that class's instances, and the
 * "mean" row is the mean over all instances (not over classes), which is the ABO.
 */
public final class Abo implements Evaluator {
    private final boolean sameClassOnly;

    public Abo() {
        this(false);
    }

    public Abo(boolean sameClassOnly) {
        this.sameClassOnly = sameClassOnly;
    }

    @Override
    public EvaluationReport evaluate(List<GroundTruth> groundTruth, List<ImagePrediction> predictions,
            ClassSet classes) {
        Map<String, List<Instance>> preds = Overlap.byImage(groundTruth, predictions, classes.size());
        double[] sum = new double[classes.size()];
        int[] count = new int[classes.size()];
        double total = 0;
        int instances = 0;
        for (GroundTruth g : groundTruth) {
            List<Instance> dts = preds.getOrDefault(g.id(), List.of());
            for (Instance gt : g.instances()) {
                if (gt.classId() < 0 || gt.classId() >= classes.size()) {
                    throw new IllegalArgumentException("ground truth of image " + g.id()
                            + " has class id " + gt.classId() + " outside [0, " + classes.size() + ")");
                }
                double best = 0;
                for (Instance dt : dts) {
                    if (!sameClassOnly || dt.classId() == gt.classId()) {
                        best = Math.max(best, Overlap.ignoringVoid(dt.mask(), gt.mask(), g.image().voidMask()));
                    }
                }
                sum[gt.classId()] += best;
                count[gt.classId()]++;
                total += best;
                instances++;
            }
        }
        double[][] perClass = new double[classes.size()][1];
        for (int k = 0; k < perClass.length; k++) {
            perClass[k][0] = count[k] == 0 ? Double.NaN : sum[k] / count[k];
        }
        double abo = instances == 0 ? Double.NaN : total / instances;
        Map<String, Double> scalars = new LinkedHashMap<>();
        scalars.put("ABO", abo);
        return new EvaluationReport("ABO (" + (sameClassOnly ? "same class" : "any class")
                + ", void ignored)", List.of("ABO"), classes.names(), perClass, new double[] {abo},
                new LinkedHashMap<>(), scalars);
    }
}
