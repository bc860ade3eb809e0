package io.wiseseg.eval;

import io.wiseseg.data.AnnotatedImage;
import io.wiseseg.data.CocoDataset;
import io.wiseseg.data.Instance;
import java.util.List;

/**
 * What an evaluator compares predictions with, for one image: its annotated instances, its
 * void region (may be null) and its crowd regions (COCO {@code iscrowd}; empty for VOC).
 */
public record GroundTruth(AnnotatedImage image, List<Instance> crowd) {
    public GroundTruth {
        crowd = List.copyOf(crowd);
    }

    public static GroundTruth of(AnnotatedImage image) {
        return new GroundTruth(image, List.of());
    }

    public static List<GroundTruth> of(List<AnnotatedImage> images) {
        return images.stream().map(GroundTruth::of).toList();
    }

    public static List<GroundTruth> of(CocoDataset dataset) {
        return dataset.images().stream()
                .map(a -> new GroundTruth(a, dataset.crowdOf(a.image().id()))).toList();
    }

    public String id() {
        return image.image().id();
    }

    public int height() {
        return image.image().height();
    }

    public int width() {
        return image.image().width();
    }

    public List<Instance> instances() {
        return image.instances();
    }
}
