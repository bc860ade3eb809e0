package io.wiseseg.pseudo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.wiseseg.data.AnnotatedImage;
import io.wiseseg.data.Instance;
import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.Mask;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class OracleSeedsTest {
    @Test
    void aBlockSeedsAtItsCentreAndARingOnItself() {
        Mask block = new Mask(9, 9);
        for (int y = 2; y <= 4; y++) {
            for (int x = 5; x <= 7; x++) {
                block.set(y, x, true);
            }
        }
        assertArrayEquals(new int[] {3, 6}, OracleSeeds.nearestToCentroid(block));
        // a square ring around (4, 4): the centroid is a hole; the nearest ring pixel is (3, 4)
        Mask ring = new Mask(9, 9);
        for (int i = 3; i <= 5; i++) {
            ring.set(3, i, true);
            ring.set(5, i, true);
            ring.set(i, 3, true);
            ring.set(i, 5, true);
        }
        assertArrayEquals(new int[] {3, 4}, OracleSeeds.nearestToCentroid(ring));
        assertNull(OracleSeeds.nearestToCentroid(new Mask(4, 4)));
        AnnotatedImage a = new AnnotatedImage(new LabelledImage("x", Path.of("x.png"), 9, 9, new int[] {1, 2}),
                List.of(Instance.of(1, block, 1f), Instance.of(2, ring, 1f)), null);
        List<Seed> seeds = OracleSeeds.of(a);
        assertEquals(List.of(new Seed(1, 3, 6, 1f), new Seed(2, 3, 4, 1f)), seeds);
    }
}
