package io.wiseseg.maskrcnn;

import io.wiseseg.util.Tensors;
import org.bytedeco.pytorch.Tensor;

/**
 * A {@link Target} as tensors on the features' device, for the losses: boxes G × 4 float32,
 * labels G int64, masks G × H × W uint8, ignored regions K × 4 float32. Building it uploads the
 * image's ground truth once per step, as the image itself is.
 */
record GroundTruth(Tensor boxes, Tensor labels, Tensor masks, Tensor ignore) {
    static GroundTruth of(Target t, Tensor like) {
        return new GroundTruth(Tensors.floatsOn(like, t.boxes(), t.count(), 4), Tensors.longsOn(like, t.labels(), t.count()),
                Tensors.toDeviceOf(t.masks(), like), Tensors.floatsOn(like, t.ignore(), t.ignore().length / 4, 4));
    }

    long count() {
        return labels.size(0);
    }
}
