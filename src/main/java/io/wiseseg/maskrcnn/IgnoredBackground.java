package io.wiseseg.maskrcnn;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * Ignored regions in sampling: a candidate (anchor or RoI) labelled background whose IoU with an
 * ignored box reaches the background threshold is relabelled ignored (-1), so neither the RPN nor
 * the box head learns an object nobody labelled as background. Positives stay positives.
 */
final class IgnoredBackground {
    private IgnoredBackground() {}

    /**
     * labels: p (int64 or float; ≥ 1 positive, 0 background, -1 ignored) for candidates p × 4;
     * ignore: k × 4. The labels with background near an ignored box set to -1 (labels itself when
     * there is no ignored box).
     */
    static Tensor apply(Tensor labels, Tensor candidates, Tensor ignore, float iou) {
        if (ignore == null || ignore.size(0) == 0 || candidates.size(0) == 0) {
            return labels;
        }
        Tensor near = Boxes.iou(ignore, candidates).amax(new long[] {0}, false).ge(new Scalar(iou));
        return labels.masked_fill(labels.eq(new Scalar(0)).bitwise_and(near), new Scalar(-1));
    }
}
