package io.wiseseg.pseudo;

import io.wiseseg.data.Mask;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;

/**
 * One class per object: when pseudo masks of different classes overlap at mask IoU ≥ a
 * threshold (exact: intersection ≥ threshold × union), only the one whose own class responds
 * most inside it is kept: the mean of its class's response map over its mask. An image labelled
 * "cat, dog" gives peaks of both classes on each animal, and seeds of either class often choose
 * the same proposal; a Mask R-CNN taught both labels for one region learns neither. Same-class
 * overlaps are left alone (that is {@link InstanceNms#sameClass}'s merge).
 *
 * <p>Greedy, as NMS: instances in decreasing order of that mean (a stable sort: ties keep their
 * order), each kept unless it overlaps a kept instance of another class.
 */
public final class ClassConflicts {
    private final double threshold;

    /** @param threshold the mask IoU, in (0, 1], at which two classes claim one object */
    public ClassConflicts(double threshold) {
        if (!(threshold > 0 && threshold <= 1)) {
            throw new IllegalArgumentException("a class-conflict IoU must be in (0, 1], got " + threshold);
        }
        this.threshold = threshold;
    }

    /**
     * @param classMaps the image's C×H×W class response maps, resized to the image (float32, on the host)
     */
    public List<PseudoInstance> apply(List<PseudoInstance> instances, Tensor classMaps) {
        if (instances.size() < 2) {
            return instances;
        }
        int h = (int) classMaps.size(1), w = (int) classMaps.size(2);
        Map<Integer, float[]> maps = new HashMap<>();
        List<Ranked> ranked = new ArrayList<>(instances.size());
        for (PseudoInstance in : instances) {
            Mask m = in.mask();
            if (m.height() != h || m.width() != w) {
                throw new IllegalArgumentException("a " + m.height() + "x" + m.width() + " pseudo mask against "
                        + h + "x" + w + " class maps");
            }
            float[] map = maps.computeIfAbsent(in.classId(),
                    c -> MapTensors.floats(classMaps.select(0, c).contiguous()));
            ranked.add(new Ranked(in, meanInside(map, m)));
        }
        ranked.sort(Comparator.comparingDouble(Ranked::response).reversed());
        List<PseudoInstance> kept = new ArrayList<>();
        for (Ranked r : ranked) {
            boolean claimed = false;
            for (PseudoInstance k : kept) {
                if (k.classId() != r.instance().classId() && overlaps(k.mask(), r.instance().mask())) {
                    claimed = true;
                    break;
                }
            }
            if (!claimed) {
                kept.add(r.instance());
            }
        }
        return kept;
    }

    /** The mean of a row-major map over a mask's pixels (-∞ for an empty mask: it never wins). */
    static double meanInside(float[] map, Mask mask) {
        double sum = 0;
        long n = 0;
        int w = mask.width();
        for (int y = 0; y < mask.height(); y++) {
            for (int x = 0; x < w; x++) {
                if (mask.get(y, x)) {
                    sum += map[y * w + x];
                    n++;
                }
            }
        }
        return n == 0 ? Double.NEGATIVE_INFINITY : sum / n;
    }

    private boolean overlaps(Mask a, Mask b) {
        long union = a.union(b);
        return union > 0 && a.intersection(b) >= threshold * union;
    }

    public String description() {
        return "one class per object: classes overlapping at iou>=" + threshold + " keep the strongest class response";
    }

    private record Ranked(PseudoInstance instance, double response) {}
}
