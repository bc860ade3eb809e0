package io.wiseseg.data;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * What training may see of an image: where it is, its size and its image-level class labels.
 * It holds no masks and no boxes by construction, so no code that trains from it can read them.
 */
public record LabelledImage(String id, Path imagePath, int width, int height, int[] labels) {
    public LabelledImage {
        labels = Arrays.stream(labels).sorted().distinct().toArray();
    }

    public boolean hasLabel(int classId) {
        return Arrays.binarySearch(labels, classId) >= 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LabelledImage l && l.id.equals(id) && l.imagePath.equals(imagePath)
                && l.width == width && l.height == height && Arrays.equals(l.labels, labels);
    }

    @Override
    public int hashCode() {
        return id.hashCode();
    }

    @Override
    public String toString() {
        return "LabelledImage[" + id + ", " + width + "x" + height + ", labels="
                + Arrays.toString(labels) + "]";
    }
}
