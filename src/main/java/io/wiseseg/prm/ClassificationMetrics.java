package io.wiseseg.prm;

import java.util.Arrays;
import java.util.Comparator;

/** Image-level classification quality: average precision per class and its mean. */
public final class ClassificationMetrics {
    private ClassificationMetrics() {}

    /**
     * AP of one class: the mean, over its positive images, of the precision at each positive's
     * rank when images are sorted by score (ties broken by image order). NaN without positives.
     */
    public static double averagePrecision(float[] scores, boolean[] positive) {
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -scores[i]));
        int hits = 0;
        double sum = 0;
        for (int rank = 0; rank < order.length; rank++) {
            if (positive[order[rank]]) {
                hits++;
                sum += (double) hits / (rank + 1);
            }
        }
        return hits == 0 ? Double.NaN : sum / hits;
    }

    /** Mean AP over the classes that have a positive image; scores and labels are [image][class]. */
    public static double meanAveragePrecision(float[][] scores, boolean[][] labels) {
        int classes = scores.length == 0 ? 0 : scores[0].length;
        double sum = 0;
        int counted = 0;
        for (int c = 0; c < classes; c++) {
            float[] s = new float[scores.length];
            boolean[] p = new boolean[scores.length];
            for (int i = 0; i < scores.length; i++) {
                s[i] = scores[i][c];
                p[i] = labels[i][c];
            }
            double ap = averagePrecision(s, p);
            if (!Double.isNaN(ap)) {
                sum += ap;
                counted++;
            }
        }
        return counted == 0 ? Double.NaN : sum / counted;
    }

    /** The mAP a random ranking gets on average: the mean over classes of their positive rate. */
    public static double chanceMeanAveragePrecision(boolean[][] labels) {
        int classes = labels.length == 0 ? 0 : labels[0].length;
        double sum = 0;
        int counted = 0;
        for (int c = 0; c < classes; c++) {
            int pos = 0;
            for (boolean[] l : labels) {
                pos += l[c] ? 1 : 0;
            }
            if (pos > 0) {
                sum += (double) pos / labels.length;
                counted++;
            }
        }
        return counted == 0 ? Double.NaN : sum / counted;
    }
}
