package io.wiseseg.pseudo;

import static io.wiseseg.pseudo.Inputs.rect;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.wiseseg.data.Mask;
import java.util.List;
import org.junit.jupiter.api.Test;

class InstanceNmsTest {
    static PseudoInstance inst(int seed, Mask m, double score) {
        return new PseudoInstance(seed, seed % 2, seed, m, score, List.of());
    }

    @Test
    void dropsOverlapsAndRecordsMerges() {
        Mask a = rect(10, 10, 0, 0, 10, 5); // 50 px
        Mask b = rect(10, 10, 0, 0, 10, 3); // IoU with a = 30/50 = 0.6
        Mask c = rect(10, 10, 0, 7, 10, 10); // disjoint from a
        Mask d = rect(10, 10, 0, 4, 10, 10); // IoU with a = 10/100 = 0.1, with c = 30/60 = 0.5
        List<PseudoInstance> kept = InstanceNms.prm().apply(List.of(inst(0, b, 0.8), inst(1, a, 0.9),
                inst(2, c, 0.7), inst(3, d, 0.75)));
        assertEquals(List.of(1, 3), kept.stream().map(PseudoInstance::seed).toList());
        assertEquals(List.of(0), kept.get(0).mergedSeeds());
        assertEquals(List.of(2), kept.get(1).mergedSeeds());
        // PRM adds the absorbed instances' peak response maps into the kept one's
        float[] maps = new float[4 * 100];
        for (int i = 0; i < maps.length; i++) {
            maps[i] = i / 100 + 1; // map k is k + 1 everywhere
        }
        float[] merged = InstanceNms.mergedResponse(Inputs.maps(maps, 4, 10, 10), kept.get(0));
        assertEquals(2f + 1f, merged[57]);
    }

    @Test
    void thresholdEdgeAndTies() {
        Mask a = rect(10, 10, 0, 0, 10, 10); // 100 px
        Mask exact = rect(10, 10, 0, 0, 3, 10); // IoU 0.3: PRM's 1e-10 in the denominator keeps it
        assertEquals(2, InstanceNms.prm().apply(List.of(inst(0, a, 0.5), inst(1, exact, 0.4))).size());
        Mask over = exact.copy();
        over.set(3, 0, true); // IoU 0.31: removed
        assertEquals(1, InstanceNms.prm().apply(List.of(inst(0, a, 0.5), inst(1, over, 0.4))).size());
        // equal scores: the earlier instance (seed order) is kept
        List<PseudoInstance> kept = InstanceNms.prm().apply(List.of(inst(0, a, 0.5), inst(1, over, 0.5)));
        assertEquals(List.of(0), kept.stream().map(PseudoInstance::seed).toList());
        List<PseudoInstance> flipped = InstanceNms.prm().apply(List.of(inst(1, over, 0.5), inst(0, a, 0.5)));
        assertEquals(List.of(1), flipped.stream().map(PseudoInstance::seed).toList());
    }
}
