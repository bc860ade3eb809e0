package io.wiseseg.maskrcnn;

import io.wiseseg.data.ImagePrediction;
import io.wiseseg.data.Instance;
import io.wiseseg.data.RgbImage;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;

/**
 * Inference for one image at a time: RGB pixels in, instances (binary masks at the image's size,
 * class ids of the data package, scores) out. Every request runs in its own PointerScope, so the
 * native memory of its tensors is freed when it returns.
 */
public final class Predictor {
    /** torchvision's convention: a mask pixel is on when its probability exceeds 0.5. */
    public static final float MASK_THRESHOLD = 0.5f;

    private final MaskRcnn model;

    public Predictor(MaskRcnn model) {
        this.model = model;
    }

    public ImagePrediction predict(String imageId, RgbImage image) {
        return new ImagePrediction(imageId, image.height(), image.width(), instances(image));
    }

    /**
     * The instances found in each image, run through the model as one batch (padded to the
     * largest image's input size, as torchvision batches), best score first per image.
     */
    public List<List<Instance>> instances(List<RgbImage> images) {
        if (images.isEmpty()) {
            return List.of();
        }
        try (PointerScope scope = new PointerScope()) {
            List<Detections> all = model.detect(images.stream().map(Samples::image).toList());
            List<List<Instance>> out = new java.util.ArrayList<>(all.size());
            for (Detections d : all) {
                out.add(instances(d));
            }
            return out;
        }
    }

    /** {@link MaskRcnn#batchKey} of the model behind this predictor. */
    public MaskRcnn.BatchKey batchKey(RgbImage image) {
        return model.batchKey(image.height(), image.width());
    }

    /** The instances found in {@code image}, best score first. */
    public List<Instance> instances(RgbImage image) {
        try (PointerScope scope = new PointerScope()) {
            Detections d = model.detect(List.of(Samples.image(image))).get(0);
            return instances(d);
        }
    }

    private static List<Instance> instances(Detections d) {
        try (io.wiseseg.util.Trace.Span s = MaskRcnn.span("mask threshold")) {
            return Samples.instances(d, MASK_THRESHOLD);
        }
    }
}
