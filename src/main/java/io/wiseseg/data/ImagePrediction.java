package io.wiseseg.data;

import java.util.List;

/**
 * The instances predicted for one image (model output or pseudo labels), with the image size so
 * that masks can be checked and written as RLE without the image at hand.
 */
public record ImagePrediction(String imageId, int height, int width, List<Instance> instances) {
    public ImagePrediction {
        instances = List.copyOf(instances);
        for (Instance in : instances) {
            if (in.mask().height() != height || in.mask().width() != width) {
                throw new IllegalArgumentException("image " + imageId + " is " + height + "x" + width
                        + " but a predicted mask is " + in.mask().height() + "x" + in.mask().width());
            }
        }
    }
}
