package io.wiseseg.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wiseseg.data.AnnotatedImage;
import io.wiseseg.data.ClassSet;
import io.wiseseg.data.ImagePrediction;
import io.wiseseg.data.Instance;
import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.Mask;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Hand-worked cases; the numbers in the comments are the derivations. */
class EvaluatorTest {
    static final ClassSet TWO = new ClassSet(List.of("cat", "dog"));
    static final double TOL = 1e-9;

    /** Columns [x0, x1) of a 1-row strip mask: overlaps are easy to count by hand. */
    static Mask strip(int width, int x0, int x1) {
        Mask m = new Mask(1, width);
        for (int x = x0; x < x1; x++) {
            m.set(0, x, true);
        }
        return m;
    }

    static GroundTruth image(String id, int width, Mask voidMask, Instance... instances) {
        int[] labels = java.util.Arrays.stream(instances).mapToInt(Instance::classId).toArray();
        return GroundTruth.of(new AnnotatedImage(
                new LabelledImage(id, Path.of(id + ".jpg"), width, 1, labels), List.of(instances), voidMask));
    }

    static ImagePrediction preds(String id, int width, Instance... instances) {
        return new ImagePrediction(id, 1, width, List.of(instances));
    }

    static final int W = 40;
    static final Mask A = strip(W, 0, 5), B = strip(W, 10, 15), C = strip(W, 20, 25), FAR = strip(W, 30, 35);
    static final GroundTruth GT = image("i", W, null,
            Instance.of(0, A, 1f), Instance.of(0, B, 1f), Instance.of(1, C, 1f));

    @Test
    void handWorkedTwoClasses() {
        // cat: detections by score A (TP), FAR (FP), B (TP) with 2 cats: recall .5 .5 1,
        // precision 1 .5 2/3 -> monotone 1 2/3 2/3. COCO: recall points 0.00..0.50 (51 of them)
        // read precision 1, 0.51..1.00 (50) read 2/3: AP = (51 + 50 * 2/3) / 101 = 0.834983...
        // dog: one perfect detection: AP 1. mAP = (0.834983 + 1) / 2.
        ImagePrediction p = preds("i", W, Instance.of(0, A, 0.9f), Instance.of(0, FAR, 0.8f),
                Instance.of(0, B, 0.7f), Instance.of(1, C, 0.6f));
        EvaluationReport ref = new ReferenceAp().evaluate(List.of(GT), List.of(p), TWO);
        double cat = (51 + 50 * 2.0 / 3) / 101;
        for (String col : List.of("AP25", "AP50", "AP75")) {
            assertEquals(cat, ref.classValue("cat", col), TOL);
            assertEquals(1, ref.classValue("dog", col), TOL);
            assertEquals((cat + 1) / 2, ref.mean(col), TOL);
        }
        // VOC^r all-points: recall steps 0->.5 at precision 1, .5->1 at 2/3: AP = .5 + 1/3.
        EvaluationReport voc = new VocR().evaluate(List.of(GT), List.of(p), TWO);
        assertEquals(0.5 + 1.0 / 3, voc.classValue("cat", "AP50"), TOL);
        assertEquals((0.5 + 1.0 / 3 + 1) / 2, voc.mean("AP50"), TOL);
        assertEquals(1, new Abo().evaluate(List.of(GT), List.of(p), TWO).scalars().get("ABO"), TOL);
    }

    @Test
    void perfectPredictionsScoreOneAndNoneScoreZero() {
        ImagePrediction perfect = preds("i", W, Instance.of(0, A, 0.5f), Instance.of(0, B, 0.4f),
                Instance.of(1, C, 0.3f));
        for (Evaluator e : List.of(new ReferenceAp(), new VocR(), new Abo())) {
            EvaluationReport r = e.evaluate(List.of(GT), List.of(perfect), TWO);
            for (double v : r.mean()) {
                assertEquals(1, v, TOL, r.protocol());
            }
            EvaluationReport none = e.evaluate(List.of(GT), List.of(), TWO);
            for (double v : none.mean()) {
                assertEquals(0, v, TOL, none.protocol());
            }
        }
        EvaluationReport ref = new ReferenceAp().evaluate(List.of(GT), List.of(perfect), TWO);
        assertEquals(1, ref.scalars().get("COCO mask AP@[.50:.95]"), TOL);
    }

    @Test
    void swappedLabelsScoreZeroApButFullAnyClassAbo() {
        // perfect masks with cat and dog swapped: every detection is a false positive of a class
        // that is in the ground truth, so AP is 0; ABO ignores classes unless asked not to.
        ImagePrediction swapped = preds("i", W, Instance.of(1, A, 0.5f), Instance.of(1, B, 0.4f),
                Instance.of(0, C, 0.3f));
        assertEquals(0, new ReferenceAp().evaluate(List.of(GT), List.of(swapped), TWO).mean("AP50"), TOL);
        assertEquals(0, new VocR().evaluate(List.of(GT), List.of(swapped), TWO).mean("AP50"), TOL);
        assertEquals(1, new Abo(false).evaluate(List.of(GT), List.of(swapped), TWO).scalars().get("ABO"), TOL);
        assertEquals(0, new Abo(true).evaluate(List.of(GT), List.of(swapped), TWO).scalars().get("ABO"), TOL);
    }

    @Test
    void duplicateDetectionsDependOnTheMatchingRule() {
        // G1 = [0,10), G2 = [5,15); d1 = G1 exactly; d2 = [2,12): IoU 8/12 with G1, 7/13 with G2.
        // At 0.5, the VOC devkit sends d2 to its best ground truth G1, already taken: FP, AP = .5.
        // Matching among unmatched ground truth (COCO, BEST_UNMATCHED) gives d2 to G2: AP = 1.
        Mask g1 = strip(20, 0, 10), g2 = strip(20, 5, 15);
        GroundTruth gt = image("j", 20, null, Instance.of(0, g1, 1f), Instance.of(0, g2, 1f));
        ImagePrediction p = preds("j", 20, Instance.of(0, g1, 0.9f), Instance.of(0, strip(20, 2, 12), 0.8f));
        double[] at50 = {0.5};
        assertEquals(0.5, new VocR(VocR.Matching.VOC_DEVKIT, at50).evaluate(List.of(gt), List.of(p), TWO).mean()[0], TOL);
        assertEquals(1, new VocR(VocR.Matching.BEST_UNMATCHED, at50).evaluate(List.of(gt), List.of(p), TWO).mean()[0], TOL);
        assertEquals(1, new ReferenceAp().evaluate(List.of(gt), List.of(p), TWO).mean("AP50"), TOL);
        // at 0.75 d2 matches nothing: recall .5 reached at precision 1: COCO 51/101, VOC .5
        assertEquals(51.0 / 101, new ReferenceAp().evaluate(List.of(gt), List.of(p), TWO).mean("AP75"), TOL);
    }

    @Test
    void aCountedMatchIsNotStolenByAnIgnoredGroundTruth() {
        // area range "small" (<= 32² = 1024): S = [0,600) counts, L = [0,1100) is ignored.
        // d = [0,1000) (box area 1000, small): IoU .6 with S, 1000/1100 with L. COCOeval looks at
        // counted ground truth first and stops at the first ignored one once it has a match, so
        // at 0.5 d matches S (AP 1); at 0.75 only L qualifies, d becomes ignored and S is missed (AP 0).
        int w = 1200;
        GroundTruth gt = image("s", w, null, Instance.of(0, strip(w, 0, 1100), 1f), Instance.of(0, strip(w, 0, 600), 1f));
        ImagePrediction p = preds("s", w, Instance.of(0, strip(w, 0, 1000), 0.9f));
        double[] small = new ReferenceAp().evaluate(List.of(gt), List.of(p), TWO)
                .breakdowns().get("area small (COCO, < 32²)");
        assertArrayEquals(new double[] {1, 1, 0}, small, TOL);
    }

    @Test
    void voidPixelsAreLeftOutOfVocAndAboOverlaps() {
        // gt [0,10), void [10,15), prediction [0,15): IoU 1 once void is removed, else 10/15
        Mask v = strip(20, 10, 15);
        GroundTruth gt = image("k", 20, v, Instance.of(0, strip(20, 0, 10), 1f));
        ImagePrediction p = preds("k", 20, Instance.of(0, strip(20, 0, 15), 0.9f));
        assertEquals(1, new Abo().evaluate(List.of(gt), List.of(p), TWO).scalars().get("ABO"), TOL);
        assertEquals(1, new VocR().evaluate(List.of(gt), List.of(p), TWO).classValue("cat", "AP75"), TOL);
        // the reference protocol does not know void (WISE zeroes it in its masks instead)
        assertEquals(0, new ReferenceAp().evaluate(List.of(gt), List.of(p), TWO).classValue("cat", "AP75"), TOL);
        assertEquals(1, new ReferenceAp().evaluate(List.of(gt), List.of(p), TWO).classValue("cat", "AP50"), TOL);
    }

    @Test
    void classesWithoutGroundTruthAreLeftOutOfTheMean() {
        ImagePrediction p = preds("i", W, Instance.of(0, A, 0.5f), Instance.of(0, B, 0.4f));
        GroundTruth catsOnly = image("i", W, null, Instance.of(0, A, 1f), Instance.of(0, B, 1f));
        EvaluationReport r = new ReferenceAp().evaluate(List.of(catsOnly), List.of(p), TWO);
        assertTrue(Double.isNaN(r.classValue("dog", "AP50")));
        assertEquals(1, r.mean("AP50"), TOL);
    }

    @Test
    void reportPrintsAndSerialises() throws Exception {
        ImagePrediction p = preds("i", W, Instance.of(0, A, 0.9f));
        GroundTruth catsOnly = image("i", W, null, Instance.of(0, A, 1f));
        EvaluationReport r = new ReferenceAp().evaluate(List.of(catsOnly), List.of(p), TWO);
        JsonNode json = new ObjectMapper().readTree(r.toJson());
        assertEquals(1.0, json.get("mean").get("AP50").asDouble(), TOL);
        assertTrue(json.get("perClass").get("dog").get("AP50").isNull());
        String text = r.toText();
        assertTrue(text.contains("cat") && text.contains("100.00") && text.contains("AP25"), text);
    }

    @Test
    void rejectsMismatchedPredictions() {
        ImagePrediction wrongSize = new ImagePrediction("i", 2, W, List.of());
        assertThrows(IllegalArgumentException.class,
                () -> new ReferenceAp().evaluate(List.of(GT), List.of(wrongSize), TWO));
        ImagePrediction badClass = preds("i", W, Instance.of(5, A, 0.9f));
        assertThrows(IllegalArgumentException.class,
                () -> new VocR().evaluate(List.of(GT), List.of(badClass), TWO));
    }
}
