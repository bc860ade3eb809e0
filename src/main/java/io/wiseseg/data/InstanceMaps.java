package io.wiseseg.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns VOC-style label maps into instances: an object-id map (0 background, 1..254 objects,
 * 255 void) gives one instance per id, even when occlusion splits it into several pieces, and a
 * class map (palette index = class id + 1) gives each id its class by majority vote.
 */
final class InstanceMaps {
    private InstanceMaps() {}

    /**
     * Instances from an object map and a per-pixel class map, in ascending object id order.
     * {@code classOfPixel[i]} is the palette class index of pixel i (0 and 255 carry no class).
     */
    static List<Instance> fromObjectMap(Path file, int width, int height, byte[] objects, byte[] classOfPixel,
            int classCount) {
        int[][] votes = new int[256][];
        for (int i = 0; i < objects.length; i++) {
            int id = objects[i] & 0xFF;
            if (id == 0 || id == VocPalette.VOID) {
                continue;
            }
            int cls = classOfPixel[i] & 0xFF;
            if (votes[id] == null) {
                votes[id] = new int[256];
            }
            votes[id][cls]++;
        }
        List<Instance> out = new ArrayList<>();
        for (int id = 1; id < VocPalette.VOID; id++) {
            if (votes[id] == null) {
                continue;
            }
            int best = -1;
            for (int c = 1; c < VocPalette.VOID; c++) {
                if (votes[id][c] > 0 && (best < 0 || votes[id][c] > votes[id][best])) {
                    best = c;
                }
            }
            if (best < 0) {
                throw new DatasetException(file, "object " + id + " has no class in the class map");
            }
            if (best > classCount) {
                throw new DatasetException(file, "object " + id + " has class index " + best
                        + " but the dataset has " + classCount + " classes");
            }
            out.add(Instance.of(best - 1, maskOf(width, height, objects, id), 1f));
        }
        return out;
    }

    /** Instances from an object map whose classes are given per object id (SBD's Categories). */
    static List<Instance> fromObjectMap(Path file, int width, int height, byte[] objects, int[] classOfObject,
            int classCount) {
        boolean[] seen = new boolean[256];
        for (byte b : objects) {
            seen[b & 0xFF] = true;
        }
        List<Instance> out = new ArrayList<>();
        for (int id = 1; id < VocPalette.VOID; id++) {
            if (!seen[id]) {
                continue;
            }
            if (id > classOfObject.length) {
                throw new DatasetException(file, "object " + id + " has no entry in Categories (" + classOfObject.length + " entries)");
            }
            int cls = classOfObject[id - 1];
            if (cls < 1 || cls > classCount) {
                throw new DatasetException(file, "object " + id + " has class index " + cls
                        + " outside 1.." + classCount);
            }
            out.add(Instance.of(cls - 1, maskOf(width, height, objects, id), 1f));
        }
        return out;
    }

    static Mask maskOf(int width, int height, byte[] map, int value) {
        Mask m = new Mask(height, width);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                if ((map[y * width + x] & 0xFF) == value) {
                    m.set(y, x, true);
                }
            }
        }
        return m;
    }

    /** Sorted distinct class ids (0-based) present in a palette class map. */
    static int[] classesIn(byte[] classMap) {
        boolean[] seen = new boolean[256];
        for (byte b : classMap) {
            seen[b & 0xFF] = true;
        }
        return java.util.stream.IntStream.range(1, VocPalette.VOID).filter(c -> seen[c]).map(c -> c - 1).toArray();
    }
}
