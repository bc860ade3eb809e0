package io.wiseseg.data;

import java.util.List;

/**
 * What evaluation sees of an image: the labelled image plus its ground-truth instances and the
 * "void" region (VOC's 255 border and difficult pixels) that evaluation ignores; voidMask may be
 * null when the dataset marks none.
 */
public record AnnotatedImage(LabelledImage image, List<Instance> instances, Mask voidMask) {
    public AnnotatedImage {
        instances = List.copyOf(instances);
    }

    /** The training view of this image: labels only. */
    public LabelledImage labelled() {
        return image;
    }
}
