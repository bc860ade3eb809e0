package io.wiseseg.eval;

import io.wiseseg.data.ClassSet;
import io.wiseseg.data.ImagePrediction;
import io.wiseseg.data.Instance;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Standard COCO mask AP (pycocotools' COCOeval, iouType "segm", maxDets 100): IoU thresholds
 * 0.50:0.05:0.95, crowd ground truth ignored (a detection matching one counts neither way), every
 * ground-truth image evaluated (detections on images without annotations are false positives).
 * Columns: AP (mean over the 10 thresholds), AP50, AP75; breakdowns AP for COCO's small / medium
 * / large area ranges. Unlike COCOeval, a ground truth's area is its mask area rather than the
 * file's {@code area} field (they agree for masks written by wiseseg and by pycocotools).
 */
public final class CocoAp implements Evaluator {
    static final double[] THRESHOLDS = CocoMatching.linspace(0.5, 0.95, 10);
    private static final double HUGE = 1e5 * 1e5;

    @Override
    public EvaluationReport evaluate(List<GroundTruth> groundTruth, List<ImagePrediction> predictions,
            ClassSet classes) {
        Map<String, List<Instance>> preds = Overlap.byImage(groundTruth, predictions, classes.size());
        TreeSet<Integer> gtClasses = new TreeSet<>();
        for (GroundTruth g : groundTruth) {
            g.instances().forEach(in -> gtClasses.add(in.classId()));
            g.crowd().forEach(in -> gtClasses.add(in.classId()));
        }
        List<CocoMatching.Cell> cells = CocoMatching.cells(groundTruth, gtClasses, preds,
                ReferenceAp.MAX_DETECTIONS);
        int t0 = THRESHOLDS.length;
        List<CocoMatching.Matched> all = CocoMatching.matchAll(cells, 0, HUGE, THRESHOLDS, true);
        double[][] perClass = new double[classes.size()][];
        for (int k = 0; k < classes.size(); k++) {
            double[] ap = gtClasses.contains(k) ? CocoMatching.classAp(cells, all, k, i -> true, t0)
                    : CocoMatching.nanRow(t0);
            perClass[k] = summary(ap);
        }
        double[] mean = CocoMatching.columnMeans(perClass, 3);
        Map<String, double[]> breakdowns = new LinkedHashMap<>();
        double[][] ranges = {{0, 32 * 32}, {32 * 32, 96 * 96}, {96 * 96, HUGE}};
        String[] names = {"area small (< 32²)", "area medium", "area large (> 96²)"};
        for (int r = 0; r < ranges.length; r++) {
            List<CocoMatching.Matched> m = CocoMatching.matchAll(cells, ranges[r][0], ranges[r][1], THRESHOLDS, true);
            double[][] rows = new double[gtClasses.size()][];
            int i = 0;
            for (int k : gtClasses) {
                rows[i++] = summary(CocoMatching.classAp(cells, m, k, x -> true, t0));
            }
            breakdowns.put(names[r], CocoMatching.columnMeans(rows, 3));
        }
        return new EvaluationReport("COCO mask AP (COCOeval segm)", List.of("AP", "AP50", "AP75"),
                classes.names(), perClass, mean, breakdowns, new LinkedHashMap<>());
    }

    /** [mean over thresholds, AP at 0.50, AP at 0.75]; NaN stays NaN. */
    private static double[] summary(double[] ap) {
        double sum = 0;
        for (double v : ap) {
            sum += v;
        }
        return new double[] {sum / ap.length, ap[0], ap[5]};
    }
}
