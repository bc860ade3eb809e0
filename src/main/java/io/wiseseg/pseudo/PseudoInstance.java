package io.wiseseg.pseudo;

import io.wiseseg.data.Mask;
import java.util.List;

/**
 * A selected pseudo mask before it becomes an {@code Instance}: which seed chose which proposal,
 * with the rule's score. {@code mergedSeeds} lists the seeds whose instances instance NMS folded
 * into this one (PRM sums their peak response maps into this instance's; the sum over
 * {@code seed} and {@code mergedSeeds}, {@link InstanceNms#mergedResponse}, reproduces that map).
 */
public record PseudoInstance(int seed, int classId, int proposal, Mask mask, double score, List<Integer> mergedSeeds) {
    public PseudoInstance {
        mergedSeeds = List.copyOf(mergedSeeds);
    }

    PseudoInstance withMerged(List<Integer> merged) {
        return new PseudoInstance(seed, classId, proposal, mask, score, merged);
    }

    PseudoInstance withMask(Mask m) {
        return new PseudoInstance(seed, classId, proposal, m, score, mergedSeeds);
    }
}
