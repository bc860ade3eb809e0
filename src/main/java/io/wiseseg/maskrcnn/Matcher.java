package io.wiseseg.maskrcnn;

/**
 * torchvision's Matcher: each prediction gets the ground truth of highest IoU when that IoU is ≥
 * the high threshold, {@link #BELOW} below the low one, {@link #BETWEEN} in between; with low
 * quality matches allowed, the predictions of highest IoU for each ground truth (ties included)
 * keep their best match whatever its IoU.
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

    /** iou: g × p row-major (g ≥ 1) → p matches. */
    int[] match(float[] iou, int g, int p) {
        int[] matches = new int[p];
        int[] best = new int[p];
        for (int j = 0; j < p; j++) {
            int arg = 0;
            float v = iou[j];
            for (int i = 1; i < g; i++) {
                if (iou[i * p + j] > v) { // max(dim=0) keeps the first maximum
                    v = iou[i * p + j];
                    arg = i;
                }
            }
            best[j] = arg;
            matches[j] = v < low ? BELOW : v < high ? BETWEEN : arg;
        }
        if (allowLowQuality) {
            for (int i = 0; i < g; i++) {
                float top = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < p; j++) {
                    top = Math.max(top, iou[i * p + j]);
                }
                for (int j = 0; j < p; j++) {
                    if (iou[i * p + j] == top) {
                        matches[j] = best[j];
                    }
                }
            }
        }
        return matches;
    }
}
