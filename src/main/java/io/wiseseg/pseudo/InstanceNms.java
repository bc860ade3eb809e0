package io.wiseseg.pseudo;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.bytedeco.pytorch.Tensor;

/**
 * PRM's instance NMS ({@code _instance_nms}): instances sorted by score, best first (a stable
 * sort, so equal scores keep seed order); each kept instance removes every later one whose mask
 * IoU with it, intersection / (union + 1e-10), is at least {@code threshold} (PRM: 0.3), whatever
 * its class (so an IoU of exactly the threshold survives, as in PRM). A removed instance's seed is
 * recorded as merged into the instance that removed it.
 *
 * <p>{@link #sameClass} is the same greedy pass as a merge of one object's seeds: only instances
 * of the kept one's class are removed, and the IoU is exact, intersection ≥ threshold × union,
 * so a threshold of 1 merges the seeds that chose the same proposal (identical masks) and nothing
 * else. Each object then keeps one pseudo mask, its best-scored seed's.
 */
public final class InstanceNms {
    private final double threshold;
    private final boolean sameClass; // only instances of the kept one's class, exact IoU

    public InstanceNms(double threshold) {
        this(threshold, false);
    }

    private InstanceNms(double threshold, boolean sameClass) {
        if (!(threshold > 0 && threshold <= 1)) {
            throw new IllegalArgumentException("an IoU threshold must be in (0, 1], got " + threshold);
        }
        this.threshold = threshold;
        this.sameClass = sameClass;
    }

    public static InstanceNms prm() {
        return new InstanceNms(0.3);
    }

    /**
     * Merges instances of one class whose masks overlap at IoU ≥ {@code threshold} (exact) into the
     * best-scored of them.
     *
     * @param threshold in (0, 1]; 1: only identical masks
     */
    public static InstanceNms sameClass(double threshold) {
        return new InstanceNms(threshold, true);
    }

    public List<PseudoInstance> apply(List<PseudoInstance> instances) {
        List<PseudoInstance> rest = new ArrayList<>(instances);
        rest.sort(Comparator.comparingDouble(PseudoInstance::score).reversed());
        List<PseudoInstance> kept = new ArrayList<>();
        while (!rest.isEmpty()) {
            PseudoInstance head = rest.remove(0);
            List<Integer> merged = new ArrayList<>(head.mergedSeeds());
            List<PseudoInstance> survivors = new ArrayList<>(rest.size());
            for (PseudoInstance other : rest) {
                if (!overlaps(head, other)) {
                    survivors.add(other);
                } else {
                    merged.add(other.seed());
                    merged.addAll(other.mergedSeeds());
                }
            }
            kept.add(head.withMerged(merged));
            rest = survivors;
        }
        return kept;
    }

    private boolean overlaps(PseudoInstance kept, PseudoInstance other) {
        if (sameClass && kept.classId() != other.classId()) {
            return false;
        }
        long inter = kept.mask().intersection(other.mask());
        long union = kept.mask().union(other.mask());
        return sameClass ? union > 0 && inter >= threshold * union : inter / (union + 1e-10) >= threshold;
    }

    /**
     * PRM's merged peak response map of a kept instance: the sum of its own seed's map and those
     * of the seeds it absorbed, as an H×W row-major array.
     *
     * @param peakResponseMaps the image's K×H×W maps, row k for seed k
     */
    public static float[] mergedResponse(Tensor peakResponseMaps, PseudoInstance instance) {
        int h = (int) peakResponseMaps.size(1), w = (int) peakResponseMaps.size(2), n = h * w;
        float[] all = MapTensors.floats(peakResponseMaps);
        float[] out = new float[n];
        List<Integer> seeds = new ArrayList<>(instance.mergedSeeds());
        seeds.add(0, instance.seed());
        for (int s : seeds) {
            for (int i = 0; i < n; i++) {
                out[i] += all[s * n + i];
            }
        }
        return out;
    }

    public String description() {
        return (sameClass ? "merge same-class iou>=" : "instance-nms iou>=") + threshold;
    }
}
