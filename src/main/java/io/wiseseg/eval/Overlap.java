package io.wiseseg.eval;

import io.wiseseg.data.ImagePrediction;
import io.wiseseg.data.Instance;
import io.wiseseg.data.Mask;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Mask overlaps on the packed words, and the checks shared by the evaluators. */
final class Overlap {
    private Overlap() {
    }

    /**
     * pycocotools' mask IoU ({@code rleIou}): intersection over union, or over the detection's
     * area for a crowd ground truth; 0 when the masks do not meet. Same integers, same division,
     * so the same double as the C code.
     */
    static double coco(Mask dt, Mask gt, boolean crowd) {
        long inter = dt.intersection(gt);
        if (inter == 0) {
            return 0;
        }
        long union = crowd ? dt.area() : dt.union(gt);
        return (double) inter / (double) union;
    }

    /** IoU with the void pixels taken out of both masks (VOC / SDS); 0 when nothing is left. */
    static double ignoringVoid(Mask a, Mask b, Mask voidMask) {
        if (voidMask == null) {
            long u = a.union(b);
            return u == 0 ? 0 : (double) a.intersection(b) / u;
        }
        long[] wa = a.words(), wb = b.words(), wv = voidMask.words();
        if (wv.length != wa.length || a.height() != voidMask.height() || a.width() != voidMask.width()) {
            throw new IllegalArgumentException("void mask is " + voidMask.height() + "x"
                    + voidMask.width() + ", masks are " + a.height() + "x" + a.width());
        }
        long inter = 0, union = 0;
        for (int i = 0; i < wa.length; i++) {
            long keep = ~wv[i];
            inter += Long.bitCount(wa[i] & wb[i] & keep);
            union += Long.bitCount((wa[i] | wb[i]) & keep);
        }
        return union == 0 ? 0 : (double) inter / union;
    }

    /** Predictions by image id, each checked against its ground-truth image's size and classes. */
    static Map<String, List<Instance>> byImage(List<GroundTruth> gt, List<ImagePrediction> predictions,
            int numClasses) {
        Map<String, GroundTruth> images = new HashMap<>();
        for (GroundTruth g : gt) {
            if (images.put(g.id(), g) != null) {
                throw new IllegalArgumentException("ground truth lists image " + g.id() + " twice");
            }
        }
        Map<String, List<Instance>> out = new HashMap<>();
        for (ImagePrediction p : predictions) {
            GroundTruth g = images.get(p.imageId());
            if (g == null) {
                continue;
            }
            if (p.height() != g.height() || p.width() != g.width()) {
                throw new IllegalArgumentException("predictions for image " + p.imageId() + " are "
                        + p.height() + "x" + p.width() + " but the image is " + g.height() + "x" + g.width());
            }
            for (Instance in : p.instances()) {
                if (in.classId() < 0 || in.classId() >= numClasses) {
                    throw new IllegalArgumentException("prediction in image " + p.imageId()
                            + " has class id " + in.classId() + " outside [0, " + numClasses + ")");
                }
                if (Float.isNaN(in.score())) {
                    throw new IllegalArgumentException("prediction in image " + p.imageId() + " has a NaN score");
                }
            }
            if (out.put(p.imageId(), p.instances()) != null) {
                throw new IllegalArgumentException("predictions list image " + p.imageId() + " twice");
            }
        }
        return out;
    }

    /** Sorts by descending score, keeping input order among equal scores (numpy's mergesort). */
    static List<Instance> byScore(List<Instance> list) {
        return list.stream().sorted((a, b) -> a.score() > b.score() ? -1 : a.score() < b.score() ? 1 : 0)
                .toList();
    }
}
