package io.wiseseg.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.data.AnnotatedImage;
import io.wiseseg.data.ClassSet;
import io.wiseseg.data.ImagePrediction;
import io.wiseseg.data.Instance;
import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.Mask;
import io.wiseseg.testing.SlowOverlaps;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Hand-worked cases (derivations in the comments) and random ones against a slow, literal count. */
class PseudoMaskDiagnosticsTest {
    static final ClassSet TWO = new ClassSet(List.of("cat", "dog"));
    static final int W = 40;
    static final Mask A = EvaluatorTest.strip(W, 0, 5), B = EvaluatorTest.strip(W, 10, 15), C = EvaluatorTest.strip(W, 20, 25);

    static Instance inst(int classId, int x0, int x1, double score) {
        return Instance.of(classId, EvaluatorTest.strip(W, x0, x1), (float) score);
    }

    @Test
    void handWorkedDuplicatesMissesAndWrongClasses() {
        // image i: cats A = [0,5), B = [10,15), dog C = [20,25); image j: no objects
        GroundTruth i = EvaluatorTest.image("i", W, null, Instance.of(0, A, 1f), Instance.of(0, B, 1f), Instance.of(1, C, 1f));
        GroundTruth j = EvaluatorTest.image("j", W, null);
        ImagePrediction pi = EvaluatorTest.preds("i", W,
                inst(0, 0, 5, 0.9),    // A, IoU 1: a hit, but below [1,6)'s score: a duplicate
                inst(0, 0, 4, 0.8),    // A, IoU 4/5: a duplicate
                inst(0, 1, 6, 0.95),   // A, IoU 4/6: the first hit on A
                inst(0, 20, 25, 0.7),  // cat on the dog: wrong class
                inst(1, 30, 35, 0.6),  // dog on nothing: a miss
                inst(0, 10, 12, 0.5)); // B, IoU 2/5: a miss; B's best IoU 0.4
        ImagePrediction pj = EvaluatorTest.preds("j", W, inst(0, 0, 5, 0.9)); // no object: a miss
        ImagePrediction elsewhere = EvaluatorTest.preds("k", W, inst(0, 0, 5, 0.9)); // no ground truth: ignored
        PseudoMaskDiagnostics d = PseudoMaskDiagnostics.of(List.of(i, j), List.of(pi, pj, elsewhere), TWO);
        // all three objects are small (5 px each): one of them hit
        assertEquals(new PseudoMaskDiagnostics(2, 7, 3, 3, 1, 3, 2, 1, 1.0 + 0.4, new io.wiseseg.data.BySize(3, 0, 0),
                new io.wiseseg.data.BySize(1, 0, 0)), d);
        assertEquals(3.5, d.masksPerImage(), 1e-12);
        assertEquals(1.5, d.objectsPerImage(), 1e-12);
        assertEquals(3.0 / 7, d.precision(), 1e-12);
        assertEquals(1.0 / 3, d.recall(), 1e-12);
        assertEquals(2 * (3.0 / 7) * (1.0 / 3) / (3.0 / 7 + 1.0 / 3), d.f1(), 1e-12); // 0.375
        assertEquals(1.4 / 3, d.meanBestIou(), 1e-12); // A 1, B 0.4, C 0 (only a cat touched it)
        assertEquals(d, slow(List.of(i, j), List.of(pi, pj, elsewhere)));

        String text = d.toText();
        assertTrue(text.contains("pseudo masks per image       3.50  (7 in 2 images)"), text);
        assertTrue(text.contains("precision                  42.9 %  (3 of 7 pseudo masks hit an object)"), text);
        assertTrue(text.contains("object recall              33.3 %  (1 of 3 objects hit)"), text);
        assertTrue(text.contains("duplicates                      2"), text);
        assertTrue(text.contains("wrong class                     1"), text);
        assertTrue(text.contains("  small objects            33.3 %  (1 of 3 hit (mask area under 32² px))"), text);
        assertTrue(text.contains("  medium objects                -  (0 of 0 hit (32² to 96² px))"), text);
        assertEquals(1, d.toJson().get("bySize").get("small").get("objectsHit").asInt());
        assertEquals(2, d.toJson().get("duplicates").asInt());
        assertEquals(3.0 / 7, d.toJson().get("precision").asDouble(), 1e-12);
    }

    @Test
    void anIouOfExactlyOneHalfHitsAndVoidPixelsCountAsInTheApTable() {
        GroundTruth exact = EvaluatorTest.image("i", W, null, Instance.of(0, B, 1f));
        PseudoMaskDiagnostics d = PseudoMaskDiagnostics.of(List.of(exact),
                List.of(EvaluatorTest.preds("i", W, inst(0, 10, 20, 0.5))), TWO); // 5 / 10
        assertEquals(1, d.objectsHit());
        assertEquals(1.0, d.precision());

        // A = [0,5), void [5,10); the mask [0,12): IoU 5/12 with void pixels counted (the AP
        // table's convention: no hit, AP50 0), 5/7 with them taken out (ABO's: 0.71)
        Mask voidMask = EvaluatorTest.strip(W, 5, 10);
        GroundTruth withVoid = EvaluatorTest.image("v", W, voidMask, Instance.of(0, A, 1f));
        List<ImagePrediction> p = List.of(EvaluatorTest.preds("v", W, inst(0, 0, 12, 0.9)));
        PseudoMaskDiagnostics v = PseudoMaskDiagnostics.of(List.of(withVoid), p, TWO);
        assertEquals(0, v.hits());
        assertEquals(5.0 / 12, v.meanBestIou(), 1e-12);
        assertEquals(0, new ReferenceAp().evaluate(List.of(withVoid), p, TWO).mean("AP50"), 1e-12);
        assertEquals(5.0 / 7, new Abo().evaluate(List.of(withVoid), p, TWO).mean()[0], 1e-12);
    }

    @Test
    void emptyInputsGiveUndefinedRatiosNotErrors() {
        GroundTruth none = EvaluatorTest.image("i", W, null);
        PseudoMaskDiagnostics d = PseudoMaskDiagnostics.of(List.of(none), List.of(), TWO);
        assertEquals(new PseudoMaskDiagnostics(1, 0, 0, 0, 0, 0, 0, 0, 0, io.wiseseg.data.BySize.NONE,
                io.wiseseg.data.BySize.NONE), d);
        assertTrue(Double.isNaN(d.recallBySize()[0]));
        assertTrue(Double.isNaN(d.precision()) && Double.isNaN(d.recall()) && Double.isNaN(d.meanBestIou()));
        assertEquals(0, d.f1(), "nothing right, nothing covered: F1 0, not NaN");
        assertTrue(d.toJson().get("precision").isNull());
        assertTrue(d.toText().contains("precision                       -"), d.toText());
    }

    @Test
    void randomImagesMatchASlowLiteralCount() {
        Random r = new Random(16);
        int duplicates = 0, wrongClass = 0, hits = 0;
        int[] sizes = new int[3];
        for (int trial = 0; trial < 300; trial++) {
            int h = 1 + r.nextInt(6), w = 1 + r.nextInt(9);
            List<GroundTruth> gts = new ArrayList<>();
            List<ImagePrediction> preds = new ArrayList<>();
            int images = 1 + r.nextInt(3);
            for (int n = 0; n < images; n++) {
                String id = "im" + n;
                Instance[] objects = new Instance[r.nextInt(4)];
                for (int o = 0; o < objects.length; o++) {
                    objects[o] = Instance.of(r.nextInt(2), randomMask(r, h, w), 1f);
                }
                Mask voidMask = r.nextBoolean() ? randomMask(r, h, w) : null;
                gts.add(new GroundTruth(new AnnotatedImage(new LabelledImage(id, Path.of(id), w, h,
                        Arrays.stream(objects).mapToInt(Instance::classId).toArray()), List.of(objects), voidMask),
                        List.of()));
                if (r.nextInt(5) == 0) {
                    continue; // no entry: no pseudo masks
                }
                List<Instance> masks = new ArrayList<>();
                int k = r.nextInt(6);
                for (int m = 0; m < k; m++) {
                    // a copy or a near copy of an object now and then, so that hits and duplicates occur
                    Mask mask = objects.length > 0 && r.nextBoolean() ? jitter(r, objects[r.nextInt(objects.length)].mask())
                            : randomMask(r, h, w);
                    masks.add(Instance.of(r.nextInt(2), mask, r.nextInt(4) / 4f));
                }
                preds.add(new ImagePrediction(id, h, w, masks));
            }
            // size bounds for these small images: small under 4 px, medium under 12
            PseudoMaskDiagnostics fast = PseudoMaskDiagnostics.of(gts, preds, TWO, 4, 12);
            PseudoMaskDiagnostics slow = slow(gts, preds, 4, 12);
            assertEquals(slow.images(), fast.images());
            assertEquals(slow.pseudoMasks(), fast.pseudoMasks());
            assertEquals(slow.objects(), fast.objects());
            assertEquals(slow.hitMasks(), fast.hitMasks(), "trial " + trial);
            assertEquals(slow.objectsHit(), fast.objectsHit(), "trial " + trial);
            assertEquals(slow.hits(), fast.hits(), "trial " + trial);
            assertEquals(slow.duplicates(), fast.duplicates(), "trial " + trial);
            assertEquals(slow.wrongClass(), fast.wrongClass(), "trial " + trial);
            // a sum of the same doubles in the same order
            assertEquals(slow.sumBestIou(), fast.sumBestIou(), 1e-12, "trial " + trial);
            assertEquals(slow.objectsBySize(), fast.objectsBySize(), "trial " + trial);
            assertEquals(slow.hitBySize(), fast.hitBySize(), "trial " + trial);
            for (var s : List.of(fast.objectsBySize(), fast.hitBySize())) {
                sizes[0] += s.small();
                sizes[1] += s.medium();
                sizes[2] += s.large();
            }
            hits += fast.hits();
            duplicates += fast.duplicates();
            wrongClass += fast.wrongClass();
        }
        // the random cases do exercise every count
        assertTrue(hits > 100 && duplicates > 20 && wrongClass > 20, hits + " " + duplicates + " " + wrongClass);
        assertTrue(sizes[0] > 50 && sizes[1] > 50 && sizes[2] > 50, Arrays.toString(sizes));
    }

    static Mask randomMask(Random r, int h, int w) {
        Mask m = new Mask(h, w);
        double p = r.nextDouble();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                m.set(y, x, r.nextDouble() < p);
            }
        }
        return m;
    }

    static Mask jitter(Random r, Mask m) {
        Mask c = m.copy();
        for (int flips = r.nextInt(3); flips > 0; flips--) {
            int y = r.nextInt(m.height()), x = r.nextInt(m.width());
            c.set(y, x, !c.get(y, x));
        }
        return c;
    }

    /**
     * The definitions, literally: per image, masks best score first (stable); each IoU counted
     * pixel by pixel; a hit on an object some earlier mask already hit is a duplicate.
     */
    static PseudoMaskDiagnostics slow(List<GroundTruth> gts, List<ImagePrediction> preds) {
        return slow(gts, preds, PseudoMaskDiagnostics.SMALL_AREA, PseudoMaskDiagnostics.MEDIUM_AREA);
    }

    /** {@link #slow(List, List)} with the given size bounds: an object's size is its mask's pixel count. */
    static PseudoMaskDiagnostics slow(List<GroundTruth> gts, List<ImagePrediction> preds, long small, long medium) {
        int[] all = new int[3], hitBy = new int[3];
        int masks = 0, objects = 0, hitMasks = 0, objectsHit = 0, hits = 0, duplicates = 0, wrongClass = 0;
        double sumBest = 0;
        for (GroundTruth g : gts) {
            List<Instance> dts = new ArrayList<>();
            for (ImagePrediction p : preds) {
                if (p.imageId().equals(g.id())) {
                    dts.addAll(p.instances());
                }
            }
            dts.sort((a, b) -> Float.compare(b.score(), a.score())); // List.sort is stable
            List<Instance> os = g.instances();
            boolean[] hit = new boolean[os.size()];
            masks += dts.size();
            objects += os.size();
            for (Instance dt : dts) {
                boolean own = false, other = false;
                for (int o = 0; o < os.size(); o++) {
                    if (SlowOverlaps.iou(dt.mask(), os.get(o).mask()) >= 0.5) {
                        if (os.get(o).classId() == dt.classId()) {
                            own = true;
                            hits++;
                            if (hit[o]) {
                                duplicates++;
                            }
                            hit[o] = true;
                        } else {
                            other = true;
                        }
                    }
                }
                hitMasks += own ? 1 : 0;
                wrongClass += !own && other ? 1 : 0;
            }
            for (int o = 0; o < os.size(); o++) {
                objectsHit += hit[o] ? 1 : 0;
                int px = 0;
                for (int y = 0; y < os.get(o).mask().height(); y++) {
                    for (int x = 0; x < os.get(o).mask().width(); x++) {
                        px += os.get(o).mask().get(y, x) ? 1 : 0;
                    }
                }
                int size = px < small ? 0 : px < medium ? 1 : 2;
                all[size]++;
                hitBy[size] += hit[o] ? 1 : 0;
                double best = 0;
                for (ImagePrediction p : preds) { // in listing order, as the fast count sums
                    if (p.imageId().equals(g.id())) {
                        for (Instance dt : p.instances()) {
                            if (dt.classId() == os.get(o).classId()) {
                                best = Math.max(best, SlowOverlaps.iou(dt.mask(), os.get(o).mask()));
                            }
                        }
                    }
                }
                sumBest += best;
            }
        }
        return new PseudoMaskDiagnostics(gts.size(), masks, objects, hitMasks, objectsHit, hits, duplicates, wrongClass,
                sumBest, new io.wiseseg.data.BySize(all[0], all[1], all[2]),
                new io.wiseseg.data.BySize(hitBy[0], hitBy[1], hitBy[2]));
    }
}
