package io.wiseseg.pseudo;

import static io.wiseseg.pseudo.Inputs.rect;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.wiseseg.data.Mask;
import io.wiseseg.proposals.Proposal;
import java.util.List;
import org.junit.jupiter.api.Test;

class BestIouTest {
    static final int H = 12, W = 12;

    @Test
    void picksTheBestOverlapAndNoneWithoutOverlap() {
        Mask obj = rect(H, W, 2, 2, 6, 6);
        List<Proposal> props = Inputs.proposals(rect(H, W, 0, 0, H, W), 0.9, rect(H, W, 2, 2, 6, 7), 0.5,
                obj.copy(), 0.1, rect(H, W, 8, 8, 12, 12), 0.7);
        // map 0: the object; map 1: a single pixel at (8, 0), which only the whole image holds
        Mask dot = rect(H, W, 8, 0, 9, 1);
        float[] maps = Inputs.rectMaps(H, W, 0f, obj, dot);
        List<Seed> seeds = List.of(new Seed(0, 3, 3, 1f), new Seed(0, 8, 0, 1f));
        ImageEvidence e = Inputs.evidence(H, W, seeds, Inputs.maps(maps, 2, H, W), null, props);
        Selection s = new BestIou(1.0, 0).select(e, Inputs.scorer());
        assertEquals(2, s.proposal()[0]);
        assertEquals(1.0, s.score()[0], 1e-12);
        // the dot's best overlap is the whole image (1 / 144)
        assertEquals(0, s.proposal()[1]);
        Selection top1 = new BestIou(1.0, 1).select(e, Inputs.scorer());
        assertArrayEquals(new int[] {0, 0}, top1.proposal());
        List<Proposal> far = Inputs.proposals(rect(H, W, 8, 8, 12, 12), 0.7);
        Selection none = new BestIou(1.0, 0).select(Inputs.evidence(H, W, seeds.subList(0, 1),
                Inputs.maps(Inputs.rectMaps(H, W, 0f, obj), 1, H, W), null, far), Inputs.scorer());
        assertArrayEquals(new int[] {-1}, none.proposal());
    }
}
