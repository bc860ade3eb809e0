package io.wiseseg.maskrcnn;

import org.bytedeco.pytorch.Tensor;

/**
 * The ground truth of one training image: boxes (G × 4 flat, x1 y1 x2 y2 in pixels), labels
 * (1..numClasses-1) and masks (G × H × W uint8, the image's size).
 */
public record Target(float[] boxes, long[] labels, Tensor masks) {
    public Target {
        if (boxes.length != 4 * labels.length) {
            throw new IllegalArgumentException(labels.length + " labels for " + boxes.length / 4 + " boxes");
        }
        if (masks.size(0) != labels.length) {
            throw new IllegalArgumentException(masks.size(0) + " masks for " + labels.length + " labels");
        }
    }

    public int count() {
        return labels.length;
    }
}
