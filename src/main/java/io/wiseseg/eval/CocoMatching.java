package io.wiseseg.eval;

import io.wiseseg.data.Box;
import io.wiseseg.data.Instance;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntPredicate;

/**
 * COCOeval's per-image matching ({@code evaluateImg}) and its precision accumulation
 * ({@code accumulate}), in the form the WISE reference ({@code metrics/ap.py}) copies them.
 */
final class CocoMatching {
    /** numpy's {@code linspace(0, 1, 101)}: COCO's recall points, computed as numpy does. */
    static final double[] RECALL_POINTS = linspace(0, 1, 101);
    /** numpy's {@code np.spacing(1)}, added to precision's denominator by COCOeval. */
    private static final double EPS = Math.ulp(1.0);

    private CocoMatching() {
    }

    /** As numpy: {@code i * step + start}, with the end point set exactly. */
    static double[] linspace(double start, double stop, int n) {
        double[] y = new double[n];
        double step = (stop - start) / (n - 1);
        for (int i = 0; i < n; i++) {
            y[i] = i * step + start;
        }
        y[n - 1] = stop;
        return y;
    }

    /**
     * One (image, class) pair: detections best first (already cut to maxDets), ground truth in
     * input order, and IoU {@code [d][g]}. dtArea is the box area (the reference's choice).
     */
    record Cell(int image, int classId, double[] dtScore, double[] dtArea, long[] gtArea,
            boolean[] gtCrowd, double[][] iou) {
    }

    /** evaluateImg's verdict on one cell: per threshold and detection, matched and ignored. */
    record Matched(double[] dtScore, boolean[][] matched, boolean[][] ignored, int countedGt) {
    }

    /**
     * Greedy matching, detections best first: each takes the unmatched (or crowd) ground truth of
     * highest IoU ≥ the threshold, ties going to the later ground truth, and a ground truth outside
     * the area range (or a crowd, when {@code ignoreCrowd}) is taken only when no counted one is.
     */
    static Matched match(Cell c, double areaLo, double areaHi, double[] thresholds, boolean ignoreCrowd) {
        int g0 = c.gtArea.length, d0 = c.dtScore.length, t0 = thresholds.length;
        boolean[] ig = new boolean[g0];
        for (int g = 0; g < g0; g++) {
            ig[g] = c.gtArea[g] < areaLo || c.gtArea[g] > areaHi || (ignoreCrowd && c.gtCrowd[g]);
        }
        // counted ground truth first, ignored last, stable (numpy mergesort on the flag)
        int[] order = new int[g0];
        int n = 0;
        for (int pass = 0; pass < 2; pass++) {
            for (int g = 0; g < g0; g++) {
                if (ig[g] == (pass == 1)) {
                    order[n++] = g;
                }
            }
        }
        boolean[][] dtm = new boolean[t0][d0];
        boolean[][] dtIg = new boolean[t0][d0];
        if (g0 > 0 && d0 > 0) {
            for (int t = 0; t < t0; t++) {
                boolean[] gtm = new boolean[g0];
                for (int d = 0; d < d0; d++) {
                    double best = Math.min(thresholds[t], 1 - 1e-10);
                    int m = -1;
                    for (int j = 0; j < g0; j++) {
                        int g = order[j];
                        if (gtm[j] && !c.gtCrowd[g]) {
                            continue;
                        }
                        if (m > -1 && !ig[order[m]] && ig[g]) {
                            break;
                        }
                        if (c.iou[d][g] < best) {
                            continue;
                        }
                        best = c.iou[d][g];
                        m = j;
                    }
                    if (m == -1) {
                        continue;
                    }
                    dtIg[t][d] = ig[order[m]];
                    dtm[t][d] = true;
                    gtm[m] = true;
                }
            }
        }
        for (int d = 0; d < d0; d++) {
            boolean outside = c.dtArea[d] < areaLo || c.dtArea[d] > areaHi;
            for (int t = 0; t < t0; t++) {
                dtIg[t][d] |= !dtm[t][d] && outside;
            }
        }
        int counted = 0;
        for (boolean b : ig) {
            if (!b) {
                counted++;
            }
        }
        return new Matched(c.dtScore, dtm, dtIg, counted);
    }

    /**
     * COCOeval.accumulate for one class: detections of all its cells (in image order) sorted by
     * score (stable), precision made monotone from the right, sampled at the 101 recall points
     * (0 beyond the reached recall), averaged. NaN per threshold when no ground truth counts.
     */
    static double[] averagePrecision(List<Matched> cells, int thresholds) {
        double[] ap = new double[thresholds];
        int counted = 0, nd = 0;
        for (Matched m : cells) {
            counted += m.countedGt;
            nd += m.dtScore.length;
        }
        if (cells.isEmpty() || counted == 0) {
            Arrays.fill(ap, Double.NaN);
            return ap;
        }
        double[] scores = new double[nd];
        int[] cell = new int[nd], index = new int[nd];
        int p = 0;
        for (int i = 0; i < cells.size(); i++) {
            Matched m = cells.get(i);
            for (int d = 0; d < m.dtScore.length; d++) {
                scores[p] = m.dtScore[d];
                cell[p] = i;
                index[p++] = d;
            }
        }
        Integer[] order = new Integer[nd];
        for (int i = 0; i < nd; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> scores[a] > scores[b] ? -1 : scores[a] < scores[b] ? 1 : 0);
        double[] q = new double[RECALL_POINTS.length];
        for (int t = 0; t < thresholds; t++) {
            double[] rc = new double[nd], pr = new double[nd];
            double tp = 0, fp = 0;
            for (int i = 0; i < nd; i++) {
                Matched m = cells.get(cell[order[i]]);
                int d = index[order[i]];
                if (!m.ignored[t][d]) {
                    if (m.matched[t][d]) {
                        tp++;
                    } else {
                        fp++;
                    }
                }
                rc[i] = tp / counted;
                pr[i] = tp / (fp + tp + EPS);
            }
            for (int i = nd - 1; i > 0; i--) {
                if (pr[i] > pr[i - 1]) {
                    pr[i - 1] = pr[i];
                }
            }
            int i = 0;
            for (int r = 0; r < q.length; r++) {
                while (i < nd && rc[i] < RECALL_POINTS[r]) {
                    i++;
                }
                q[r] = i < nd ? pr[i] : 0;
            }
            double sum = 0;
            for (double v : q) {
                sum += v;
            }
            ap[t] = sum / q.length;
        }
        return ap;
    }

    /** Mean of the non-NaN values; NaN when there are none. */
    static double nanMean(double[] values) {
        double sum = 0;
        int n = 0;
        for (double v : values) {
            if (!Double.isNaN(v)) {
                sum += v;
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    static List<Matched> matchAll(List<Cell> cells, double lo, double hi, double[] thr, boolean ignoreCrowd) {
        List<Matched> out = new ArrayList<>(cells.size());
        for (Cell c : cells) {
            out.add(match(c, lo, hi, thr, ignoreCrowd));
        }
        return out;
    }

    /** The cells of the given images (indexed in list order) and classes. */
    static List<Cell> cells(List<GroundTruth> images, Set<Integer> classes, Map<String, List<Instance>> preds,
            int maxDets) {
        List<Cell> cells = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            GroundTruth g = images.get(i);
            List<Instance> dts = preds.getOrDefault(g.id(), List.of());
            for (int c : classes) {
                Cell cell = cell(i, c, g, dts, maxDets);
                if (cell != null) {
                    cells.add(cell);
                }
            }
        }
        return cells;
    }

    /** The (image, class) cell, or null when it has neither ground truth nor detections. */
    private static Cell cell(int image, int classId, GroundTruth g, List<Instance> dts, int maxDets) {
        List<Instance> gts = new ArrayList<>();
        List<Boolean> crowd = new ArrayList<>();
        for (Instance in : g.instances()) {
            if (in.classId() == classId) {
                gts.add(in);
                crowd.add(false);
            }
        }
        for (Instance in : g.crowd()) {
            if (in.classId() == classId) {
                gts.add(in);
                crowd.add(true);
            }
        }
        List<Instance> mine = Overlap.byScore(dts.stream().filter(d -> d.classId() == classId).toList());
        if (mine.size() > maxDets) {
            mine = mine.subList(0, maxDets);
        }
        if (gts.isEmpty() && mine.isEmpty()) {
            return null;
        }
        double[] score = new double[mine.size()], area = new double[mine.size()];
        double[][] iou = new double[mine.size()][gts.size()];
        boolean[] isCrowd = new boolean[gts.size()];
        long[] gtArea = new long[gts.size()];
        for (int j = 0; j < gts.size(); j++) {
            isCrowd[j] = crowd.get(j);
            gtArea[j] = gts.get(j).mask().area();
        }
        for (int d = 0; d < mine.size(); d++) {
            Instance in = mine.get(d);
            score[d] = in.score();
            Box b = in.box() != null ? in.box() : in.mask().bbox();
            area[d] = b == null ? 0 : (double) b.width() * b.height();
            for (int j = 0; j < gts.size(); j++) {
                iou[d][j] = Overlap.coco(in.mask(), gts.get(j).mask(), isCrowd[j]);
            }
        }
        return new Cell(image, classId, score, area, gtArea, isCrowd, iou);
    }

    /** One class's AP per threshold over the cells of the chosen images. */
    static double[] classAp(List<Cell> cells, List<Matched> matched,
            int classId, IntPredicate images, int thresholds) {
        List<Matched> mine = new ArrayList<>();
        for (int i = 0; i < cells.size(); i++) {
            Cell c = cells.get(i);
            if (c.classId() == classId && images.test(c.image())) {
                mine.add(matched.get(i));
            }
        }
        return averagePrecision(mine, thresholds);
    }

    /** mAP per threshold over the classes with ground truth in the chosen images. */
    static double[] meanOverClasses(List<Cell> cells, List<Matched> matched,
            Set<Integer> classes, IntPredicate images, int thresholds) {
        List<double[]> rows = new ArrayList<>();
        for (int k : classes) {
            rows.add(classAp(cells, matched, k, images, thresholds));
        }
        return columnMeans(rows.toArray(new double[0][]), thresholds);
    }

    static double[] columnMeans(double[][] rows, int columns) {
        double[] mean = new double[columns];
        for (int t = 0; t < columns; t++) {
            double[] col = new double[rows.length];
            for (int k = 0; k < rows.length; k++) {
                col[k] = rows[k][t];
            }
            mean[t] = nanMean(col);
        }
        return mean;
    }

    static double[] nanRow(int n) {
        double[] r = new double[n];
        java.util.Arrays.fill(r, Double.NaN);
        return r;
    }
}
