package io.wiseseg.eval;

import io.wiseseg.data.ClassSet;
import io.wiseseg.data.ImagePrediction;
import io.wiseseg.data.Instance;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.IntPredicate;

/**
 * The WISE reference protocol ({@code ServiceNow/wise_ils}, {@code metrics/ap.py}, AP50_segm),
 * which is COCOeval's segm evaluation with IoU thresholds 0.25 / 0.5 / 0.75:
 * <ul>
 * <li>only images with at least one ground-truth instance and only classes present in the ground
 * truth are evaluated; predictions elsewhere are ignored;</li>
 * <li>per (image, class): detections sorted by score (stable), at most 100, matched greedily
 * with pycocotools' mask IoU (crowd aware) — see {@link CocoMatching#match};</li>
 * <li>per class: precision over all its detections, made monotone, sampled at 101 recall points
 * and averaged; mAP = mean over classes with ground truth.</li>
 * </ul>
 * Two reference quirks are kept: a crowd ground truth is <em>not</em> ignored (wise_ils never
 * sets COCO's {@code ignore} flag; its VOC ground truth has no crowds anyway), and a detection's
 * area for the area ranges is its box's width × height while a ground truth's is its mask area.
 * Detections tied on score in different images keep the ground truth's image order (the reference
 * uses a Python set there, whose order is arbitrary).
 *
 * <p>Also reported: standard COCO mask AP@[.50:.95] (10 thresholds, crowds ignored as COCOeval
 * does), the COCO area ranges (small &lt; 32², medium, large &gt; 96²), a small-vs-large split at
 * {@code splitArea} pixels, and images with ≤ 4 vs &gt; 4 annotated objects, each as mAP per
 * threshold over the classes present in that subset.
 */
public final class ReferenceAp implements Evaluator {
    public static final double[] THRESHOLDS = {0.25, 0.5, 0.75};
    public static final int MAX_DETECTIONS = 100;
    /** COCOeval's area ranges; "all" is [0, 1e10]. */
    private static final double HUGE = 1e5 * 1e5;
    private static final double[] COCO_THRESHOLDS = CocoMatching.linspace(0.5, 0.95, 10);

    private final double splitArea;

    /** The small-vs-large split at 96² = 9216 pixels (COCO's "large" bound). */
    public ReferenceAp() {
        this(96 * 96);
    }

    public ReferenceAp(double splitArea) {
        this.splitArea = splitArea;
    }

    @Override
    public EvaluationReport evaluate(List<GroundTruth> groundTruth, List<ImagePrediction> predictions,
            ClassSet classes) {
        Map<String, List<Instance>> preds = Overlap.byImage(groundTruth, predictions, classes.size());
        List<GroundTruth> images = new ArrayList<>();
        TreeSet<Integer> gtClasses = new TreeSet<>();
        for (GroundTruth g : groundTruth) {
            if (g.instances().isEmpty() && g.crowd().isEmpty()) {
                continue;
            }
            images.add(g);
            g.instances().forEach(in -> gtClasses.add(in.classId()));
            g.crowd().forEach(in -> gtClasses.add(in.classId()));
        }
        for (int c : gtClasses) {
            if (c < 0 || c >= classes.size()) {
                throw new IllegalArgumentException("ground truth has class id " + c + " outside [0, "
                        + classes.size() + ")");
            }
        }
        List<CocoMatching.Cell> cells = CocoMatching.cells(images, gtClasses, preds, MAX_DETECTIONS);

        String[] columns = new String[THRESHOLDS.length];
        for (int t = 0; t < columns.length; t++) {
            columns[t] = "AP" + Math.round(THRESHOLDS[t] * 100);
        }
        List<CocoMatching.Matched> all = CocoMatching.matchAll(cells, 0, HUGE, THRESHOLDS, false);
        double[][] perClass = new double[classes.size()][];
        for (int k = 0; k < classes.size(); k++) {
            perClass[k] = gtClasses.contains(k) ? CocoMatching.classAp(cells, all, k, i -> true, THRESHOLDS.length)
                    : CocoMatching.nanRow(THRESHOLDS.length);
        }
        double[] mean = CocoMatching.columnMeans(perClass, THRESHOLDS.length);

        Map<String, double[]> breakdowns = new LinkedHashMap<>();
        double[][] ranges = {{0, 32 * 32}, {32 * 32, 96 * 96}, {96 * 96, HUGE}, {0, splitArea},
                {splitArea, HUGE}};
        String[] names = {"area small (COCO, < 32²)", "area medium (COCO)", "area large (COCO, > 96²)",
                "small (area <= " + (long) splitArea + ")", "large (area >= " + (long) splitArea + ")"};
        for (int r = 0; r < ranges.length; r++) {
            List<CocoMatching.Matched> m = CocoMatching.matchAll(cells, ranges[r][0], ranges[r][1], THRESHOLDS, false);
            breakdowns.put(names[r], CocoMatching.meanOverClasses(cells, m, gtClasses, i -> true, THRESHOLDS.length));
        }
        int[] objects = images.stream().mapToInt(g -> g.instances().size()).toArray();
        breakdowns.put("images with <= 4 objects",
                CocoMatching.meanOverClasses(cells, all, gtClasses, i -> objects[i] <= 4, THRESHOLDS.length));
        breakdowns.put("images with > 4 objects",
                CocoMatching.meanOverClasses(cells, all, gtClasses, i -> objects[i] > 4, THRESHOLDS.length));

        List<CocoMatching.Matched> coco = CocoMatching.matchAll(cells, 0, HUGE, COCO_THRESHOLDS, true);
        List<Double> cocoAps = new ArrayList<>();
        for (int k : gtClasses) {
            for (double v : CocoMatching.classAp(cells, coco, k, i -> true, COCO_THRESHOLDS.length)) {
                cocoAps.add(v);
            }
        }
        Map<String, Double> scalars = new LinkedHashMap<>();
        scalars.put("COCO mask AP@[.50:.95]",
                CocoMatching.nanMean(cocoAps.stream().mapToDouble(Double::doubleValue).toArray()));
        return new EvaluationReport("WISE reference AP (COCOeval segm, wise_ils metrics/ap.py)",
                List.of(columns), classes.names(), perClass, mean, breakdowns, scalars);
    }
}
