package io.wiseseg.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.data.AnnotatedImage;
import io.wiseseg.data.Instance;
import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.Mask;
import io.wiseseg.testing.SlowOverlaps;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Hand-worked cases and random ones against a slow, per-pixel count. */
class ProposalRecallTest {
    static final int W = 40;

    @Test
    void handWorkedPrefixes() {
        // image i: a cat A = [0,5) and a dog C = [20,25); image j: a cat [10,15) and no proposals
        GroundTruth i = EvaluatorTest.image("i", W, null, Instance.of(0, EvaluatorTest.strip(W, 0, 5), 1f),
                Instance.of(1, EvaluatorTest.strip(W, 20, 25), 1f));
        GroundTruth j = EvaluatorTest.image("j", W, null, Instance.of(0, EvaluatorTest.strip(W, 10, 15), 1f));
        Map<String, List<Mask>> proposals = Map.of("i", List.of(
                EvaluatorTest.strip(W, 0, 20),   // A: 5/20 = 0.25; C: 0
                EvaluatorTest.strip(W, 0, 10),   // A: 5/10 = 0.5, exactly a hit
                EvaluatorTest.strip(W, 21, 25),  // C: 4/5 = 0.8
                EvaluatorTest.strip(W, 0, 5)));  // A: 1
        List<ProposalRecall> r = ProposalRecall.of(List.of(i, j), id -> proposals.getOrDefault(id, List.of()), 1, 2, 3, 0);
        // first 1: A .25, C 0, j's cat 0; first 2: A .5; first 3: C .8; all: A 1
        assertEquals(new ProposalRecall(1, 3, 0, 0.25), r.get(0));
        assertEquals(new ProposalRecall(2, 3, 1, 0.5), r.get(1));
        assertEquals(new ProposalRecall(3, 3, 2, 0.5 + 0.8), r.get(2));
        assertEquals(new ProposalRecall(0, 3, 2, 1.0 + 0.8), r.get(3));
        assertEquals(2.0 / 3, r.get(3).recall(), 1e-12);
        assertEquals(1.8 / 3, r.get(3).meanBestIou(), 1e-12);
        String text = ProposalRecall.toText(r);
        assertTrue(text.contains("  1                    0.0%           8.3%   (0 of 3 objects)"), text);
        assertTrue(text.contains("  all                 66.7%          60.0%   (2 of 3 objects)"), text);
    }

    @Test
    void limitsBeyondTheProposalsReadThemAll() {
        GroundTruth i = EvaluatorTest.image("i", W, null, Instance.of(0, EvaluatorTest.strip(W, 0, 5), 1f));
        List<ProposalRecall> r = ProposalRecall.of(List.of(i), id -> List.of(EvaluatorTest.strip(W, 0, 5)), 100, 0);
        assertEquals(new ProposalRecall(100, 1, 1, 1.0), r.get(0));
        assertEquals(new ProposalRecall(0, 1, 1, 1.0), r.get(1));
        assertTrue(Double.isNaN(ProposalRecall.of(List.of(), id -> List.of(), 0).get(0).recall()));
    }

    @Test
    void badLimitsAndSizesSayWhat() {
        GroundTruth i = EvaluatorTest.image("i", W, null, Instance.of(0, EvaluatorTest.strip(W, 0, 5), 1f));
        for (int[] limits : new int[][] {{0, 10}, {10, 10}, {20, 10}, {-1}}) {
            var e = assertThrows(IllegalArgumentException.class, () -> ProposalRecall.of(List.of(i), id -> List.of(), limits));
            assertTrue(e.getMessage().startsWith("limits must ascend"), e.getMessage());
        }
        var e = assertThrows(IllegalArgumentException.class,
                () -> ProposalRecall.of(List.of(i), id -> List.of(new Mask(2, W)), 0));
        assertEquals("image i: proposal 0 is 2x40, the image 1x40", e.getMessage());
    }

    @Test
    void randomMasksMatchAPerPixelCount() {
        Random rnd = new Random(11);
        for (int trial = 0; trial < 20; trial++) {
            List<GroundTruth> truth = new ArrayList<>();
            Map<String, List<Mask>> proposals = new HashMap<>();
            int h = 3 + rnd.nextInt(20), w = 3 + rnd.nextInt(90);
            for (int im = 0; im < 1 + rnd.nextInt(4); im++) {
                String id = "im" + im;
                List<Instance> objects = new ArrayList<>();
                for (int o = 0; o < rnd.nextInt(4); o++) {
                    objects.add(Instance.of(rnd.nextInt(3), rect(rnd, h, w), 1f));
                }
                truth.add(GroundTruth.of(new AnnotatedImage(new LabelledImage(id, Path.of(id), w, h,
                        objects.stream().mapToInt(Instance::classId).toArray()), objects, null)));
                List<Mask> ps = new ArrayList<>();
                for (int p = 0; p < rnd.nextInt(30); p++) {
                    ps.add(rnd.nextInt(5) == 0 ? noise(rnd, h, w) : rect(rnd, h, w));
                }
                proposals.put(id, ps);
            }
            int[] limits = {1, 5, 12, 0};
            List<ProposalRecall> fast = ProposalRecall.of(truth, proposals::get, limits);
            for (int k = 0; k < limits.length; k++) {
                int objects = 0, covered = 0;
                double sum = 0;
                for (GroundTruth g : truth) {
                    List<Mask> ps = proposals.get(g.id());
                    int n = limits[k] == 0 ? ps.size() : Math.min(limits[k], ps.size());
                    for (Instance object : g.instances()) {
                        double best = 0;
                        for (Mask p : ps.subList(0, n)) {
                            best = Math.max(best, SlowOverlaps.iou(p, object.mask()));
                        }
                        objects++;
                        covered += best >= 0.5 ? 1 : 0;
                        sum += best;
                    }
                }
                ProposalRecall got = fast.get(k);
                assertEquals(limits[k], got.limit());
                assertEquals(objects, got.objects(), "trial " + trial);
                assertEquals(covered, got.covered(), "trial " + trial + " limit " + limits[k]);
                assertEquals(sum, got.sumBestIou(), 1e-9, "trial " + trial + " limit " + limits[k]);
            }
        }
    }

    private static Mask rect(Random rnd, int h, int w) {
        int y0 = rnd.nextInt(h), x0 = rnd.nextInt(w);
        int y1 = y0 + 1 + rnd.nextInt(h - y0), x1 = x0 + 1 + rnd.nextInt(w - x0);
        Mask m = new Mask(h, w);
        for (int y = y0; y < y1; y++) {
            for (int x = x0; x < x1; x++) {
                m.set(y, x, true);
            }
        }
        return m;
    }

    private static Mask noise(Random rnd, int h, int w) {
        Mask m = new Mask(h, w);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                m.set(y, x, rnd.nextBoolean());
            }
        }
        return m;
    }
}
