package io.wiseseg.pseudo;

import static io.wiseseg.pseudo.Inputs.rect;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.wiseseg.data.Mask;
import io.wiseseg.proposals.Proposal;
import java.util.List;
import org.junit.jupiter.api.Test;

class PrmRetrievalTest {
    static final int H = 20, W = 20;
    static final Mask OBJ0 = rect(H, W, 2, 2, 8, 8), OBJ1 = rect(H, W, 12, 12, 18, 18);
    // whole image (too large: >= 0.85 of it), object 0, a larger box overlapping it, object 1
    static final List<Proposal> PROPS = Inputs.proposals(rect(H, W, 0, 0, H, W), 0.9, OBJ0, 0.8,
            rect(H, W, 2, 2, 12, 12), 0.7, OBJ1, 0.6);
    static final List<Seed> SEEDS = List.of(new Seed(0, 4, 4, 1f), new Seed(1, 15, 15, 1f));

    static Selection run(PrmRetrieval rule, List<Proposal> props, List<Seed> seeds, float[] prms, float[] classes,
            int c) {
        ImageEvidence e = Inputs.evidence(H, W, seeds, Inputs.maps(prms, seeds.size(), H, W),
                Inputs.maps(classes, c, H, W), props);
        return rule.select(e, Inputs.scorer());
    }

    @Test
    void picksTheProposalThatFitsTheResponse() {
        float[] maps = Inputs.rectMaps(H, W, 0f, OBJ0, OBJ1);
        Selection s = run(PrmRetrieval.prm(), PROPS, SEEDS, maps, maps, 2);
        assertArrayEquals(new int[] {1, 3}, s.proposal());
        // 0.8 · 36 inside + 32 on the inner 2-pixel contour band − 1e-5 · 0 background
        assertEquals(0.8 * 36 + 32, s.score()[0], 1e-4);
    }

    @Test
    void skipsProposalsOutsideTheAreaLimitsAndBeyondTheCount() {
        float[] flat = new float[H * W];
        java.util.Arrays.fill(flat, 1f);
        List<Seed> one = List.of(new Seed(0, 4, 4, 1f));
        // a flat response favours the largest proposal: the whole image unless the limit removes it
        assertArrayEquals(new int[] {2}, run(PrmRetrieval.prm(), PROPS, one, flat, flat, 1).proposal());
        PrmRetrieval noLimit = new PrmRetrieval(PrmRetrieval.Params.demo(), null, 100, 0.00002, 1.01);
        assertArrayEquals(new int[] {0}, run(noLimit, PROPS, one, flat, flat, 1).proposal());
        PrmRetrieval tooSmall = new PrmRetrieval(PrmRetrieval.Params.demo(), null, 100, 0.5, 0.85);
        assertArrayEquals(new int[] {-1}, run(tooSmall, PROPS, one, flat, flat, 1).proposal());
        // only the first 2 proposals: seed 1's own object (index 3) is out of reach
        PrmRetrieval two = new PrmRetrieval(PrmRetrieval.Params.demo(), null, 2, 0.00002, 0.85);
        float[] maps = Inputs.rectMaps(H, W, 0f, OBJ0, OBJ1);
        assertArrayEquals(new int[] {1, 1}, run(two, PROPS, SEEDS, maps, maps, 2).proposal());
    }

    @Test
    void backgroundPenaltyPushesTowardsTheClassRegion() {
        // the response covers the larger box, the class map only object 0: a heavy penalty flips the choice
        Mask big = rect(H, W, 2, 2, 12, 12);
        float[] prm = Inputs.rectMaps(H, W, 0f, big);
        float[] cls = Inputs.rectMaps(H, W, 0f, OBJ0);
        List<Seed> one = List.of(new Seed(0, 4, 4, 1f));
        assertArrayEquals(new int[] {2}, run(PrmRetrieval.prm(), PROPS, one, prm, cls, 1).proposal());
        PrmRetrieval heavy = new PrmRetrieval(new PrmRetrieval.Params(0.95, 5.0, 0.8), null, 100, 0.00002, 0.85);
        assertArrayEquals(new int[] {1}, run(heavy, PROPS, one, prm, cls, 1).proposal());
        // per-class parameters: class 0 uses the heavy triple
        PrmRetrieval perClass = new PrmRetrieval(null, List.of(new PrmRetrieval.Params(0.95, 5.0, 0.8)), 100,
                0.00002, 0.85);
        assertArrayEquals(new int[] {1}, run(perClass, PROPS, one, prm, cls, 1).proposal());
    }

    @Test
    void tiesGoToTheFirstProposal() {
        List<Proposal> twins = Inputs.proposals(OBJ1, 0.5, OBJ0, 0.9, OBJ0.copy(), 0.9);
        float[] maps = Inputs.rectMaps(H, W, 0f, OBJ0);
        assertArrayEquals(new int[] {1}, run(PrmRetrieval.prm(), twins, List.of(SEEDS.get(0)), maps, maps, 1)
                .proposal());
    }

    @Test
    void needsTheMaps() {
        ImageEvidence e = Inputs.evidence(H, W, SEEDS, null, null, PROPS);
        assertThrows(IllegalArgumentException.class, () -> PrmRetrieval.prm().select(e, Inputs.scorer()));
    }
}
