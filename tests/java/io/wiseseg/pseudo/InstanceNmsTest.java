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

    static PseudoInstance inst(int seed, int classId, Mask m, double score) {
        return new PseudoInstance(seed, classId, seed, m, score, List.of());
    }

    @Test
    void sameClassMergeKeepsOnePseudoMaskPerObjectWithItsBestScore() {
        Mask a = rect(10, 10, 0, 0, 10, 5); // 50 px
        Mask half = rect(10, 10, 0, 0, 10, 10); // IoU with a = 50/100 = 0.5
        Mask most = rect(10, 10, 0, 0, 9, 5); // IoU with a = 45/50 = 0.9
        Mask far = rect(10, 10, 0, 7, 10, 10); // disjoint from a
        // seeds 0, 1, 3 of class 0 chose a twice and a near copy; seed 2 (class 1) chose a too
        List<PseudoInstance> in = List.of(inst(0, 0, a, 0.6), inst(1, 0, a.copy(), 0.9), inst(2, 1, a, 0.95),
                inst(3, 0, most, 0.7), inst(4, 0, far, 0.8), inst(5, 0, half, 0.65));
        List<PseudoInstance> kept = InstanceNms.sameClass(0.5).apply(in);
        // best score first: seed 2 (its own class), seed 1 absorbs 3, 5 (IoU exactly 0.5 merges) and 0, seed 4 alone
        assertEquals(List.of(2, 1, 4), kept.stream().map(PseudoInstance::seed).toList());
        assertEquals(List.of(), kept.get(0).mergedSeeds());
        assertEquals(List.of(3, 5, 0), kept.get(1).mergedSeeds()); // in score order
        assertEquals(0.9, kept.get(1).score());
        // at 1, only the seeds that chose the same mask merge
        List<PseudoInstance> same = InstanceNms.sameClass(1).apply(in);
        assertEquals(List.of(2, 1, 4, 3, 5), same.stream().map(PseudoInstance::seed).toList());
        assertEquals(List.of(0), same.get(1).mergedSeeds());
        // PRM's NMS, by contrast, drops the other class's instance too
        assertEquals(List.of(2, 4), InstanceNms.prm().apply(in).stream().map(PseudoInstance::seed).toList());
        assertEquals("merge same-class iou>=0.5", InstanceNms.sameClass(0.5).description());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> InstanceNms.sameClass(0));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> InstanceNms.sameClass(1.5));
    }
}
