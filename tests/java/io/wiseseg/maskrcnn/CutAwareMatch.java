package io.wiseseg.maskrcnn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Compares two ranked lists of scored, labelled boxes that came out of the same cuts (a score
 * threshold, per-label NMS at an IoU threshold, a top-n cap), computed by two float32
 * implementations (or on two CPUs). Items are matched by label and box; an item one side keeps
 * and the other drops is a <em>tie</em> only when it sits within ε of a cut:
 * <ul>
 *   <li>its score is within ε of a score cut (the threshold, a level's top-n cut, or the last
 *       kept score when a side is full), or</li>
 *   <li>the other side holds a same-label item that could have suppressed it (score ≥ its score − ε,
 *       IoU ≥ the NMS threshold − ε_IoU), and the suppression itself was a tie: the IoU is within
 *       ε_IoU of the threshold, or the two scores are within ε and the boxes are distinct
 *       candidates (IoU &lt; 0.95: NMS's order flipped), or that item is itself unmatched (a cascade
 *       of another tie).</li>
 * </ul>
 * Anything else unmatched is a real difference.
 */
final class CutAwareMatch {
    /** Where the cuts lie and how close counts as "at" a cut. */
    record Cuts(float[] scoreCuts, float nmsIou, int maxCount, float scoreEps, float iouEps) {}

    /** Scored boxes: n × 4 flat boxes, n scores, n labels (all 0 when unlabelled). */
    record Items(float[] boxes, float[] scores, int[] labels) {
        int count() {
            return scores.length;
        }

        float[] box(int i) {
            return Arrays.copyOfRange(boxes, 4 * i, 4 * i + 4);
        }

        static Items unlabelled(float[] boxes, float[] scores) {
            return new Items(boxes, scores, new int[scores.length]);
        }
    }

    /**
     * The outcome: pairs[i] = our index matched to their item i (or -1), the largest score
     * difference over matched pairs, and one line per tie and per unexplained difference.
     */
    record Result(int[] pairs, int matched, double maxScoreDifference, List<String> ties, List<String> unexplained) {
        String summary() {
            return matched + " matched (max |Δscore| " + String.format("%.2g", maxScoreDifference) + "), " + ties.size()
                    + " tie(s) at a cut, " + unexplained.size() + " unexplained" + (unexplained.isEmpty() ? ""
                    : ": " + String.join("; ", unexplained.subList(0, Math.min(3, unexplained.size()))));
        }
    }

    /** Above this IoU two boxes are one candidate, not an NMS order flip (see classify). */
    static final float FLIP_MAX_IOU = 0.95f;

    private CutAwareMatch() {}

    /** Matches {@code ours} to {@code theirs}: same label, every coordinate within boxTol · max(1, |x|). */
    static Result compare(Items theirs, Items ours, Cuts cuts, float boxTol) {
        int[] pairs = new int[theirs.count()];
        boolean[] taken = new boolean[ours.count()];
        int matched = 0;
        double maxDiff = 0;
        for (int i = 0; i < theirs.count(); i++) {
            pairs[i] = -1;
            int best = -1;
            double bestScore = Double.MAX_VALUE;
            for (int j = 0; j < ours.count(); j++) {
                if (!taken[j] && ours.labels[j] == theirs.labels[i] && sameBox(theirs, i, ours, j, boxTol)) {
                    double d = Math.abs(ours.scores[j] - theirs.scores[i]);
                    if (d < bestScore) {
                        bestScore = d;
                        best = j;
                    }
                }
            }
            if (best >= 0) {
                taken[best] = true;
                pairs[i] = best;
                matched++;
                maxDiff = Math.max(maxDiff, bestScore);
            }
        }
        boolean[] theirsMatched = new boolean[theirs.count()];
        for (int i = 0; i < pairs.length; i++) {
            theirsMatched[i] = pairs[i] >= 0;
        }
        List<String> ties = new ArrayList<>(), unexplained = new ArrayList<>();
        for (int i = 0; i < theirs.count(); i++) {
            if (!theirsMatched[i]) {
                classify("torchvision's", theirs, i, "ours", ours, taken, cuts, ties, unexplained);
            }
        }
        for (int j = 0; j < ours.count(); j++) {
            if (!taken[j]) {
                classify("our", ours, j, "torchvision", theirs, theirsMatched, cuts, ties, unexplained);
            }
        }
        return new Result(pairs, matched, maxDiff, ties, unexplained);
    }

    private static void classify(String side, Items own, int u, String otherSide, Items other, boolean[] otherMatched,
            Cuts cuts, List<String> ties, List<String> unexplained) {
        String what = side + " item " + u + " (label " + own.labels[u] + ", score " + own.scores[u] + ", box "
                + Arrays.toString(own.box(u)) + ")";
        float s = own.scores[u];
        for (float c : cuts.scoreCuts) {
            if (Math.abs(s - c) <= cuts.scoreEps) {
                ties.add(what + ": score within ε of the cut " + c);
                return;
            }
        }
        if (cuts.maxCount > 0 && (own.count() >= cuts.maxCount || other.count() >= cuts.maxCount)) {
            float last = Math.min(lastScore(own), lastScore(other));
            if (s <= last + cuts.scoreEps) {
                ties.add(what + ": competes for the last of " + cuts.maxCount + " places (last score " + last + ")");
                return;
            }
        }
        for (int v = 0; v < other.count(); v++) {
            if (other.labels[v] != own.labels[u] || other.scores[v] < s - cuts.scoreEps) {
                continue;
            }
            float iou = iou(own.box(u), other.box(v));
            // a suppressor is a distinct candidate (another anchor or RoI): a box and a copy of itself
            // moved by a pixel overlap more than FLIP_MAX_IOU, and that is a real difference
            if (iou < cuts.nmsIou - cuts.iouEps || iou >= FLIP_MAX_IOU) {
                continue;
            }
            if (Math.abs(iou - cuts.nmsIou) <= cuts.iouEps) {
                ties.add(what + ": IoU " + iou + " with " + otherSide + "' item " + v + " is within ε of NMS's " + cuts.nmsIou);
                return;
            }
            if (Math.abs(other.scores[v] - s) <= cuts.scoreEps) {
                ties.add(what + ": NMS order flip with " + otherSide + "' item " + v + " (score " + other.scores[v] + ")");
                return;
            }
            if (!otherMatched[v]) {
                ties.add(what + ": suppressed by " + otherSide + "' item " + v + ", itself a tie (cascade)");
                return;
            }
        }
        unexplained.add(what + " has no counterpart and sits at no cut; most overlapping of " + otherSide + ": "
                + mostOverlapping(own.box(u), own.labels[u], other, otherMatched));
    }

    private static String mostOverlapping(float[] box, int label, Items other, boolean[] otherMatched) {
        int best = -1;
        float bestIou = -1;
        for (int v = 0; v < other.count(); v++) {
            float iou = other.labels[v] == label ? iou(box, other.box(v)) : -1;
            if (iou > bestIou) {
                bestIou = iou;
                best = v;
            }
        }
        return best < 0 ? "none" : "item " + best + " (IoU " + bestIou + ", score " + other.scores[best] + ", "
                + (otherMatched[best] ? "matched" : "unmatched") + ", box " + Arrays.toString(other.box(best)) + ")";
    }

    /** The IoU of two boxes (x1, y1, x2, y2), in box_iou's float32 order of operations. */
    static float iou(float[] a, float[] b) {
        float w = Math.max(0f, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
        float h = Math.max(0f, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
        float inter = w * h;
        return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
    }

    private static float lastScore(Items items) {
        float last = Float.MAX_VALUE;
        for (float x : items.scores) {
            last = Math.min(last, x);
        }
        return items.count() == 0 ? Float.NEGATIVE_INFINITY : last;
    }

    private static boolean sameBox(Items a, int i, Items b, int j, float tol) {
        for (int k = 0; k < 4; k++) {
            float x = a.boxes[4 * i + k];
            if (!(Math.abs(x - b.boxes[4 * j + k]) <= tol * Math.max(1, Math.abs(x)))) {
                return false;
            }
        }
        return true;
    }
}
