package io.wiseseg.maskrcnn;

import org.bytedeco.pytorch.Tensor;

/**
 * Detections of one image, best first: boxes (D × 4 flat, x1 y1 x2 y2), scores, labels, and mask
 * probabilities D × 1 × H × W (torchvision's output: threshold at 0.5 for binary masks).
 */
public record Detections(float[] boxes, float[] scores, long[] labels, Tensor masks) {
    public int count() {
        return scores.length;
    }
}
