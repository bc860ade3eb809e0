package io.wiseseg.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * One partition of a job: a contiguous slice of the input images, in input order. Partition
 * {@code index}'s results are committed as one file; the merged file concatenates them in
 * index order, so it lists the images in the input order, as the single-process commands do.
 */
public record PartitionWork(int index, ArrayList<ImageRef> images) implements Serializable {
    /** Slices {@code images} into {@code partitions} contiguous parts of nearly equal size. */
    public static List<PartitionWork> slice(List<ImageRef> images, int partitions) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1, got " + partitions);
        }
        List<PartitionWork> out = new ArrayList<>(partitions);
        int n = images.size();
        for (int p = 0; p < partitions; p++) {
            int from = (int) ((long) n * p / partitions), to = (int) ((long) n * (p + 1) / partitions);
            out.add(new PartitionWork(p, new ArrayList<>(images.subList(from, to))));
        }
        return out;
    }

    /** The default partition count: one per {@code perPartition} images (at least one). */
    public static int defaultCount(int images, int perPartition) {
        return Math.max(1, (images + perPartition - 1) / perPartition);
    }
}
