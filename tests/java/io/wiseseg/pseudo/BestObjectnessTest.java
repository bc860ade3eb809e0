package io.wiseseg.pseudo;

import static io.wiseseg.pseudo.Inputs.rect;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.wiseseg.proposals.Proposal;
import java.util.List;
import org.junit.jupiter.api.Test;

class BestObjectnessTest {
    static final int H = 10, W = 10;

    static Selection select(BestObjectness rule, List<Proposal> proposals, Seed... seeds) {
        return rule.select(Inputs.evidence(H, W, List.of(seeds), null, null, proposals), null);
    }

    @Test
    void overlappingProposalsHighestObjectnessWins() {
        // A (top half) and B (whole image) overlap; the seed is in both; B scores higher
        List<Proposal> props = Inputs.proposals(rect(H, W, 0, 0, 5, 10), 0.9, rect(H, W, 0, 0, 10, 10), 0.95);
        Selection s = select(BestObjectness.wise(), props, new Seed(0, 2, 2, 1f), new Seed(1, 8, 8, 1f));
        assertArrayEquals(new int[] {1, 1}, s.proposal());
        assertArrayEquals(new double[] {0.95f, 0.95f}, s.score());
    }

    @Test
    void seedInNoProposalOrOnlyInLowScoringOnesGetsNone() {
        List<Proposal> props = Inputs.proposals(rect(H, W, 0, 0, 5, 5), 0.9, rect(H, W, 5, 5, 10, 10), 0.5);
        // (7, 7) is only inside a proposal scoring exactly 0.5: WISE keeps score > 0.5
        // (2, 8) is inside nothing; (-1, 3) and (3, 10) lie outside the image
        Selection s = select(BestObjectness.wise(), props, new Seed(0, 7, 7, 1f), new Seed(0, 2, 8, 1f),
                new Seed(0, -1, 3, 1f), new Seed(0, 3, 10, 1f), new Seed(2, 1, 1, 1f));
        assertArrayEquals(new int[] {-1, -1, -1, -1, 0}, s.proposal());
    }

    @Test
    void boProposalHasNoThreshold() {
        List<Proposal> props = Inputs.proposals(rect(H, W, 0, 0, 5, 5), 0.9, rect(H, W, 5, 5, 10, 10), 0.2);
        assertArrayEquals(new int[] {-1}, select(BestObjectness.wise(), props, new Seed(0, 7, 7, 1f)).proposal());
        assertArrayEquals(new int[] {1}, select(BestObjectness.boProposal(), props, new Seed(0, 7, 7, 1f)).proposal());
    }

    @Test
    void singlePointSkipsProposalsHoldingTwoSeeds() {
        List<Proposal> props = Inputs.proposals(rect(H, W, 0, 0, 10, 10), 0.99, rect(H, W, 0, 0, 5, 5), 0.6,
                rect(H, W, 5, 5, 10, 10), 0.7);
        Seed a = new Seed(0, 1, 1, 1f), b = new Seed(0, 8, 8, 1f);
        assertArrayEquals(new int[] {0, 0}, select(BestObjectness.wise(), props, a, b).proposal());
        assertArrayEquals(new int[] {1, 2}, select(new BestObjectness(0.5, true), props, a, b).proposal());
        // two seeds on the same pixel count once (the reference counts point-mask pixels)
        Seed a2 = new Seed(3, 1, 1, 0.5f);
        assertArrayEquals(new int[] {0, 0}, select(new BestObjectness(0.5, true), props, a, a2).proposal());
    }

    @Test
    void tiesGoToTheFirstProposal() {
        List<Proposal> props = Inputs.proposals(rect(H, W, 0, 0, 4, 4), 0.8, rect(H, W, 0, 0, 6, 6), 0.8,
                rect(H, W, 0, 0, 8, 8), 0.8);
        assertArrayEquals(new int[] {0}, select(BestObjectness.wise(), props, new Seed(0, 1, 1, 1f)).proposal());
        assertArrayEquals(new int[] {1}, select(BestObjectness.wise(), props, new Seed(0, 5, 5, 1f)).proposal());
    }
}
