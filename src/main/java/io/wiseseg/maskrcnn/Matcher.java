package io.wiseseg.maskrcnn;

import io.wiseseg.util.Tensors;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * torchvision's Matcher: each prediction gets the ground truth of highest IoU when that IoU is ≥
 * the high threshold, {@link #BELOW} below the low one, {@link #BETWEEN} in between; with low
 * quality matches allowed, the predictions of highest IoU for each ground truth (ties included)
 * keep their best match whatever its IoU. Tensor ops only: no host copy, no sync.
 */
final class Matcher {
    static final int BELOW = -1, BETWEEN = -2;

    private final float high, low;
    private final boolean allowLowQuality;

    Matcher(float high, float low, boolean allowLowQuality) {
        this.high = high;
        this.low = low;
        this.allowLowQuality = allowLowQuality;
    }

    /** iou: g × p (g ≥ 1) → p int64 matches (a ground-truth index, BELOW or BETWEEN). */
    Tensor match(Tensor iou) {
        Tensor[] best = Tensors.owned(iou.max(0)); // first maximum on ties, as torchvision's max(dim=0)
        Tensor values = best[0], matches = best[1];
        Scalar lowS = new Scalar(low);
        Tensor below = values.lt(lowS);
        Tensor between = values.ge(lowS).bitwise_and(values.lt(new Scalar(high)));
        Tensor out = matches.masked_fill(below, new Scalar(BELOW)).masked_fill(between, new Scalar(BETWEEN));
        if (!allowLowQuality) {
            return out;
        }
        // set_low_quality_matches_: every prediction at some ground truth's highest IoU keeps its best match
        Tensor topOfEach = iou.amax(new long[] {1}, true);
        return matches.where(iou.eq(topOfEach).any(0), out);
    }
}
