package io.wiseseg.maskrcnn;

import org.bytedeco.pytorch.Tensor;

/**
 * The ground truth of one training image: boxes (G × 4 flat, x1 y1 x2 y2 in pixels), labels
 * (1..numClasses-1) and masks (G × H × W uint8, the image's size); and ignored regions (K × 4
 * flat): places an unlabelled object may be, where no anchor or RoI is sampled as background.
 */
public record Target(float[] boxes, long[] labels, Tensor masks, float[] ignore) {
    /** A target without ignored regions. */
    public Target(float[] boxes, long[] labels, Tensor masks) {
        this(boxes, labels, masks, new float[0]);
    }

    public Target {
        if (ignore.length % 4 != 0) {
            throw new IllegalArgumentException(ignore.length + " ignored-box coordinates: not a multiple of 4");
        }
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
