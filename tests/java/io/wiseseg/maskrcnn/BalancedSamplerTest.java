package io.wiseseg.maskrcnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.util.Tensors;
import io.wiseseg.util.TorchRuntime;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The sampler on tensors: torchvision's counts, only labelled items, a seed's sample, every item a fair chance. */
class BalancedSamplerTest {
    @BeforeAll
    static void load() {
        TorchRuntime.ensureLoaded();
    }

    /** labels: {@code pos} positives (label 1..3), {@code neg} negatives, {@code ignored} -1s, shuffled by {@code seed}. */
    private static long[] labels(int pos, int neg, int ignored, long seed) {
        long[] l = new long[pos + neg + ignored];
        for (int i = 0; i < l.length; i++) {
            l[i] = i < pos ? 1 + i % 3 : i < pos + neg ? 0 : -1;
        }
        Random r = new Random(seed);
        for (int i = l.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            long t = l[i];
            l[i] = l[j];
            l[j] = t;
        }
        return l;
    }

    private static long[][] sample(BalancedSampler s, long[] labels, long seed) {
        BalancedSampler.Sample out = s.sample(Tensors.longs(labels, labels.length), new Random(seed));
        return new long[][] {Tensors.toLongs(out.positive()), Tensors.toLongs(out.negative())};
    }

    @Test
    void countsFollowTorchvision() {
        BalancedSampler s = new BalancedSampler(256, 0.25f);
        int[][] cases = { // positives, negatives, ignored → expected positives, negatives
            {300, 1000, 50, 64, 192}, {10, 1000, 5, 10, 246}, {5, 20, 7, 5, 20}, {0, 400, 0, 0, 256}, {200, 0, 3, 64, 0},
            {0, 0, 4, 0, 0}};
        for (int[] c : cases) {
            long[] labels = labels(c[0], c[1], c[2], c[0] + 31L * c[1]);
            long[][] got = sample(s, labels, 7);
            assertEquals(c[3], Arrays.stream(got[0]).sum(), "positives of " + Arrays.toString(c));
            assertEquals(c[4], Arrays.stream(got[1]).sum(), "negatives of " + Arrays.toString(c));
            for (int i = 0; i < labels.length; i++) {
                assertTrue(got[0][i] == 0 || labels[i] >= 1, "a sampled positive is labelled " + labels[i]);
                assertTrue(got[1][i] == 0 || labels[i] == 0, "a sampled negative is labelled " + labels[i]);
            }
        }
    }

    @Test
    void aSeedGivesItsSampleAndAnotherSeedAnother() {
        BalancedSampler s = new BalancedSampler(64, 0.25f);
        long[] labels = labels(100, 400, 20, 3);
        long[][] a = sample(s, labels, 11), b = sample(s, labels, 11), c = sample(s, labels, 12);
        assertArrayEquals(a[0], b[0]);
        assertArrayEquals(a[1], b[1]);
        assertFalse(Arrays.equals(a[0], c[0]) && Arrays.equals(a[1], c[1]), "two seeds drew the same sample");
    }

    /** Each of 60 positives, 16 drawn per sample, is drawn 16/60 of the time: 53 of 200 (sd 6.3); bounds at ±5 sd. */
    @Test
    void everyItemHasAFairChance() {
        BalancedSampler s = new BalancedSampler(64, 0.25f);
        long[] labels = labels(60, 300, 0, 5);
        int[] drawn = new int[labels.length];
        Random seeds = new Random(9);
        for (int k = 0; k < 200; k++) {
            long[] pos = sample(s, labels, seeds.nextLong())[0];
            for (int i = 0; i < pos.length; i++) {
                drawn[i] += (int) pos[i];
            }
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] >= 1) {
                assertTrue(drawn[i] >= 22 && drawn[i] <= 85, "positive " + i + " drawn " + drawn[i] + " times of 200");
            }
        }
    }
}
