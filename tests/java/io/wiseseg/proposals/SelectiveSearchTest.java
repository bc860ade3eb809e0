package io.wiseseg.proposals;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.data.Instance;
import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.Mask;
import io.wiseseg.data.RgbImage;
import io.wiseseg.data.SyntheticDataset;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SelectiveSearchTest {
    static SyntheticDataset.Generated scene;
    static List<Proposal> fast;

    @BeforeAll
    static void run() {
        scene = SyntheticDataset.render(SyntheticDataset.Options.defaults().withSize(160, 120).withSeed(3), 1);
        fast = new SelectiveSearch(SelectiveSearch.Options.fast()).compute(scene.image());
    }

    @Test
    void masksAreValidSortedAndDistinct() {
        assertTrue(fast.size() > 50, "only " + fast.size() + " proposals");
        assertTrue(fast.size() <= 2000);
        for (int i = 0; i < fast.size(); i++) {
            Mask m = fast.get(i).mask();
            assertEquals(120, m.height());
            assertEquals(160, m.width());
            assertFalse(m.isEmpty(), "proposal " + i + " is empty");
            if (i > 0) {
                assertTrue(fast.get(i - 1).score() > fast.get(i).score(), "scores must fall strictly");
            }
        }
        assertEquals(1f, fast.get(0).score());
        assertEquals(fast.size(), new HashSet<>(fast.stream().map(Proposal::mask).toList()).size(),
                "duplicate masks");
    }

    @Test
    void wholeImageMergeIsPresent() {
        long full = 120L * 160;
        assertTrue(fast.stream().anyMatch(p -> p.mask().area() == full), "no whole-image proposal");
    }

    @Test
    void coversTheObjects() {
        // each synthetic object is flat-coloured on a textured background: some proposal should fit it
        for (Instance in : scene.instances()) {
            double best = fast.stream().mapToDouble(p -> p.mask().iou(in.mask())).max().orElse(0);
            assertTrue(best >= 0.5, "best IoU " + best + " for an object of area " + in.mask().area());
        }
    }

    @Test
    void deterministic() {
        List<Proposal> again = new SelectiveSearch(SelectiveSearch.Options.fast()).compute(scene.image());
        assertEquals(fast, again);
    }

    @Test
    void singleModeAndCap() {
        List<Proposal> few = new SelectiveSearch(SelectiveSearch.Options.single().withMaxProposals(10))
                .compute(scene.image());
        assertEquals(10, few.size());
    }

    @Test
    void sizeMismatchNamesTheImage() {
        LabelledImage im = new LabelledImage("img7", Path.of("img7.jpg"), 10, 10, new int[0]);
        RgbImage px = new RgbImage(12, 10, new byte[12 * 10 * 3]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SelectiveSearch(SelectiveSearch.Options.single()).proposals(im, () -> px));
        assertTrue(e.getMessage().contains("img7"), e.getMessage());
    }
}
