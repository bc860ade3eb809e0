package io.wiseseg.data;

import java.util.List;
import java.util.Map;

/**
 * A COCO-style instance dataset as wiseseg sees it. Class ids are 0-based indices into
 * {@code classes}; {@code categoryIds.get(classId)} is the COCO category id in the file.
 * Crowd annotations ({@code iscrowd: 1}) are kept apart from the images' instances, by image id,
 * because only evaluation looks at them.
 */
public record CocoDataset(ClassSet classes, List<Integer> categoryIds, List<AnnotatedImage> images,
        Map<String, List<Instance>> crowd) {
    public CocoDataset {
        categoryIds = List.copyOf(categoryIds);
        images = List.copyOf(images);
        crowd = Map.copyOf(crowd);
        if (categoryIds.size() != classes.size()) {
            throw new IllegalArgumentException(classes.size() + " classes but " + categoryIds.size()
                    + " category ids");
        }
    }

    /** COCO category ids 1..N for classes 0..N-1, the convention of VOC converted to COCO. */
    public static List<Integer> defaultCategoryIds(ClassSet classes) {
        return java.util.stream.IntStream.rangeClosed(1, classes.size()).boxed().toList();
    }

    public List<Instance> crowdOf(String imageId) {
        return crowd.getOrDefault(imageId, List.of());
    }
}
