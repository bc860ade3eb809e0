package io.wiseseg.data;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The object classes of a dataset, as names and 0-based ids. Background is not a class here;
 * models that need a background slot (Mask R-CNN) add it themselves at index 0.
 */
public final class ClassSet {
    /** The 20 PASCAL VOC classes in their canonical order (VOC palette index = id + 1). */
    public static final ClassSet VOC = new ClassSet(List.of(
            "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
            "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa",
            "train", "tvmonitor"));

    private final List<String> names;
    private final Map<String, Integer> ids = new HashMap<>();

    public ClassSet(List<String> names) {
        this.names = List.copyOf(names);
        for (int i = 0; i < this.names.size(); i++) {
            if (ids.put(this.names.get(i), i) != null) {
                throw new IllegalArgumentException("duplicate class name: " + this.names.get(i));
            }
        }
    }

    public int size() {
        return names.size();
    }

    public String name(int id) {
        if (id < 0 || id >= names.size()) {
            throw new IllegalArgumentException("class id " + id + " outside [0, " + names.size() + ")");
        }
        return names.get(id);
    }

    /** The id of {@code name}, or an exception naming the unknown class. */
    public int id(String name) {
        Integer id = ids.get(name);
        if (id == null) {
            throw new IllegalArgumentException("unknown class '" + name + "' (known: " + names + ")");
        }
        return id;
    }

    public boolean contains(String name) {
        return ids.containsKey(name);
    }

    public List<String> names() {
        return names;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClassSet other && other.names.equals(names);
    }

    @Override
    public int hashCode() {
        return names.hashCode();
    }

    @Override
    public String toString() {
        return "ClassSet" + names;
    }
}
