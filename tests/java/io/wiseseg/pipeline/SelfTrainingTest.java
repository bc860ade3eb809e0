package io.wiseseg.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.data.Box;
import io.wiseseg.data.ImagePrediction;
import io.wiseseg.data.Instance;
import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.Mask;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link SelfTraining#select} on hand-made predictions: which become the next round's pseudo masks. */
class SelfTrainingTest {
    static final int H = 20, W = 30;

    /** A mask filling rows y0..y1-1, columns x0..x1-1. */
    static Mask rect(int y0, int x0, int y1, int x1) {
        byte[] px = new byte[H * W];
        for (int y = y0; y < y1; y++) {
            for (int x = x0; x < x1; x++) {
                px[y * W + x] = 1;
            }
        }
        return Mask.fromBytes(H, W, px);
    }

    /** A prediction as a detector gives it: its own (looser) box, not the mask's. */
    static Instance predicted(int classId, Mask mask, float score) {
        return new Instance(classId, mask, new Box(0, 0, W, H), score);
    }

    static final LabelledImage IMAGE = new LabelledImage("a", Path.of("a.jpg"), W, H, new int[] {0, 2});
    static final ImagePrediction PREVIOUS = new ImagePrediction("a", H, W,
            List.of(Instance.of(2, rect(0, 0, 5, 5), 0.3f)));

    @Test
    void keepsConfidentPredictionsOfTheLabelledClassesOnePerObject() {
        Mask object = rect(2, 2, 12, 12); // 100 px
        Mask shifted = rect(2, 3, 12, 13); // IoU with object 90/110 = 0.82: the same object
        Mask half = rect(2, 7, 12, 17); // IoU with object 50/150 = 0.33: another object
        ImagePrediction p = new ImagePrediction("a", H, W, List.of(
                predicted(0, shifted, 0.7f),
                predicted(0, object, 0.9f), // best of its object: stays
                predicted(0, half, 0.6f), // overlaps, below 0.5 IoU: stays
                predicted(2, object, 0.8f), // same mask, another labelled class: stays (same class only)
                predicted(1, rect(14, 20, 19, 29), 0.99f), // class 1 is not among the image's labels
                predicted(2, rect(14, 0, 19, 8), 0.49f), // below the threshold
                predicted(2, rect(14, 10, 19, 18), 0.5f), // at the threshold: kept
                predicted(0, new Mask(H, W), 0.95f))); // an empty mask is no object
        SelfTraining.Choice c = SelfTraining.select(IMAGE, p, PREVIOUS, 0.5);
        assertFalse(c.fellBack());
        List<Instance> kept = c.masks().instances();
        assertEquals(List.of(0.9f, 0.8f, 0.6f, 0.5f), kept.stream().map(Instance::score).toList());
        assertEquals(List.of(0, 2, 0, 2), kept.stream().map(Instance::classId).toList());
        assertEquals(object, kept.get(0).mask());
        assertEquals(half, kept.get(2).mask());
        // boxes are the masks' tight boxes, as the pseudo stage writes them
        assertEquals(object.bbox(), kept.get(0).box());
        assertEquals("a", c.masks().imageId());
    }

    @Test
    void anImageWithNothingKeptKeepsItsPreviousMasks() {
        ImagePrediction p = new ImagePrediction("a", H, W, List.of(
                predicted(1, rect(2, 2, 12, 12), 0.99f), // not labelled
                predicted(0, rect(2, 2, 12, 12), 0.2f))); // not confident
        SelfTraining.Choice c = SelfTraining.select(IMAGE, p, PREVIOUS, 0.5);
        assertTrue(c.fellBack());
        assertSame(PREVIOUS, c.masks());
        SelfTraining.Choice none = SelfTraining.select(IMAGE, new ImagePrediction("a", H, W, List.of()), PREVIOUS, 0.5);
        assertTrue(none.fellBack());
        assertSame(PREVIOUS, none.masks());
        // a lower threshold keeps the class-0 prediction
        assertFalse(SelfTraining.select(IMAGE, p, PREVIOUS, 0.1).fellBack());
    }

    @Test
    void runJsonRecordsRoundsOnlyWhenAskedAndRefusesAnotherScore(@TempDir Path dir) throws Exception {
        WiseRun.Settings s = new WiseRun.Settings("train", "val", 64, 1, 16, PseudoLabelling.Settings.defaults(), 64, 64,
                1, false, 0, 0);
        WiseRun.checkSettings(dir, s);
        assertFalse(Files.readString(dir.resolve("run.json")).contains("selfTraining")); // as before rounds existed
        WiseRun.checkSettings(dir, s, new SelfTraining.Settings(1, 0.5)); // rounds added to a WISE run
        assertTrue(Files.readString(dir.resolve("run.json")).contains("\"rounds\" : 1"));
        WiseRun.checkSettings(dir, s, new SelfTraining.Settings(2, 0.5)); // one more round
        assertTrue(Files.readString(dir.resolve("run.json")).contains("\"rounds\" : 2"));
        WiseRun.checkSettings(dir, s); // WISE alone on a folder with rounds: its rows only
        assertTrue(Files.readString(dir.resolve("run.json")).contains("\"roundScore\" : 0.5"));
        var e = assertThrows(IllegalArgumentException.class,
                () -> WiseRun.checkSettings(dir, s, new SelfTraining.Settings(1, 0.7)));
        assertTrue(e.getMessage().contains("other settings (selfTraining.roundScore: 0.5 → 0.7)"), e.getMessage());
        // the other settings are still compared
        var other = assertThrows(IllegalArgumentException.class,
                () -> WiseRun.checkSettings(dir, s.withSeed(1), new SelfTraining.Settings(2, 0.5)));
        assertTrue(other.getMessage().contains("seed: 0 → 1"), other.getMessage());
    }

    /**
     * Hand-worked: image a (labels 0, 2) has two class-0 objects, image b (label 2) one class-2
     * object whose previous mask misses it. Predictions: a's first object at 0.95, its second at
     * 0.45, false class-0 masks at 0.65 and 0.35; b's object at 0.55. Per threshold (masks, hits
     * of 3 objects): 0.3 (5, 3), 0.4 (4, 3), 0.5 (3, 2), 0.6 (3, 1: b falls back to its miss),
     * 0.7..0.9 (2, 1).
     */
    @Test
    void choosesTheScoreThresholdWhoseMasksBestMatchTheTuningObjects() {
        Mask first = rect(2, 2, 12, 12), second = rect(14, 20, 19, 29), bObject = rect(5, 5, 15, 15);
        var a = new io.wiseseg.data.AnnotatedImage(IMAGE, List.of(Instance.of(0, first, 1), Instance.of(0, second, 1)),
                null);
        var bImage = new LabelledImage("b", Path.of("b.jpg"), W, H, new int[] {2});
        var b = new io.wiseseg.data.AnnotatedImage(bImage, List.of(Instance.of(2, bObject, 1)), null);
        var predicted = java.util.Map.of(
                "a", new ImagePrediction("a", H, W, List.of(predicted(0, first, 0.95f), predicted(0, second, 0.45f),
                        predicted(0, rect(14, 0, 19, 8), 0.65f), predicted(0, rect(0, 15, 5, 25), 0.35f))),
                "b", new ImagePrediction("b", H, W, List.of(predicted(2, bObject, 0.55f))));
        var previous = java.util.Map.of("a", PREVIOUS,
                "b", new ImagePrediction("b", H, W, List.of(Instance.of(2, rect(16, 20, 20, 30), 0.3f))));
        var classes = new io.wiseseg.data.ClassSet(List.of("x", "y", "z"));
        SelfTraining.ScoreChoice c = SelfTraining.chooseScore(List.of(a, b), predicted, previous, classes);
        double[] f1 = {2 * 0.6 / 1.6, 2 * 0.75 / 1.75, 2.0 / 3, 1.0 / 3, 2 * 0.5 / 3 / (0.5 + 1.0 / 3), 0.4, 0.4};
        assertEquals(SelfTraining.SCORE_CANDIDATES, c.candidates().stream().map(SelfTraining.ScoreCandidate::score)
                .toList());
        for (int i = 0; i < f1.length; i++) {
            assertEquals(f1[i], c.candidates().get(i).f1(), 1e-12, "threshold " + SelfTraining.SCORE_CANDIDATES.get(i));
        }
        assertEquals(List.of(5, 4, 3, 3, 2, 2, 2), c.candidates().stream().map(SelfTraining.ScoreCandidate::masks)
                .toList());
        assertEquals(0.4, c.chosen());
        assertEquals(List.of("a", "b"), c.imageIds());
        assertEquals(c, SelfTraining.ScoreChoice.fromJson(c.toJson()));

        // nothing right at any threshold: every F1 is 0, and the default stays
        var empty = java.util.Map.of("a", new ImagePrediction("a", H, W, List.of()),
                "b", new ImagePrediction("b", H, W, List.of()));
        assertEquals(SelfTraining.Settings.DEFAULT_SCORE,
                SelfTraining.chooseScore(List.of(a, b), empty, previous, classes).chosen());
    }

    @Test
    void runJsonRecordsATunedScoreAsSuchAndRefusesSwitching(@TempDir Path dir) throws Exception {
        WiseRun.Settings s = new WiseRun.Settings("train", "val", 64, 1, 16, PseudoLabelling.Settings.defaults(), 64, 64,
                1, false, 0, 0);
        WiseRun.checkSettings(dir, s, SelfTraining.Settings.tuned(1));
        assertTrue(Files.readString(dir.resolve("run.json")).contains("\"roundScore\" : \"tuned\""));
        WiseRun.checkSettings(dir, s, SelfTraining.Settings.tuned(2));
        var e = assertThrows(IllegalArgumentException.class,
                () -> WiseRun.checkSettings(dir, s, new SelfTraining.Settings(2, 0.5)));
        assertTrue(e.getMessage().contains("(selfTraining.roundScore: \"tuned\" → 0.5)"), e.getMessage());
    }

    /**
     * Hand-worked: of a round's predictions, those scored at least the floor that overlap no
     * training mask at mask IoU 0.5 (any class) are ignored regions, as their masks' boxes.
     */
    @Test
    void ignoredRegionsAreUnkeptPredictionsAboveTheFloorOnNoTrainingMask() {
        Mask object = rect(2, 2, 12, 12), shifted = rect(2, 3, 12, 13); // IoU 0.82
        Mask elsewhere = rect(14, 20, 19, 29), wrongClass = rect(14, 0, 19, 8), half = rect(2, 7, 12, 17);
        ImagePrediction p = new ImagePrediction("a", H, W, List.of(
                predicted(0, object, 0.9f), // kept: a training mask
                predicted(2, shifted, 0.3f), // on the training mask (other class too): not ignored
                predicted(0, elsewhere, 0.3f), // below the round's 0.5, above the floor: ignored
                predicted(1, wrongClass, 0.95f), // a class the image is not labelled with: ignored
                predicted(0, half, 0.25f), // IoU 0.33 with the training mask: ignored
                predicted(0, rect(0, 25, 5, 30), 0.19f), // below the floor
                predicted(0, new Mask(H, W), 0.4f))); // empty
        ImagePrediction kept = SelfTraining.select(IMAGE, p, PREVIOUS, 0.5).masks();
        assertEquals(1, kept.instances().size());
        assertEquals(List.of(elsewhere.bbox(), wrongClass.bbox(), half.bbox()),
                SelfTraining.ignoredRegions(p, kept, 0.2));
        assertEquals(List.of(wrongClass.bbox()), SelfTraining.ignoredRegions(p, kept, 0.5));
        // a fallback image: the previous masks are the training masks
        assertEquals(List.of(object.bbox(), shifted.bbox(), elsewhere.bbox(), wrongClass.bbox(), half.bbox()),
                SelfTraining.ignoredRegions(p, PREVIOUS, 0.25));
    }

    /**
     * Ignored regions against the objects: a region on an object the training masks miss counts,
     * one on an object they hit (or on nothing) does not; written and read back as boxes.
     */
    @Test
    void ignoredRegionsAgainstTheObjectsAndTheirFile(@TempDir Path dir) throws Exception {
        Mask hit = rect(2, 2, 12, 12), missed = rect(14, 20, 19, 29);
        var truth = List.of(new io.wiseseg.data.AnnotatedImage(IMAGE, List.of(Instance.of(0, hit, 1),
                Instance.of(2, missed, 1)), null));
        var training = List.of(new ImagePrediction("a", H, W, List.of(Instance.of(0, hit, 0.9f))));
        var ignored = java.util.Map.of("a", List.of(missed.bbox(), hit.bbox(), new Box(0, 14, 8, 19)));
        SelfTraining.IgnoredRegions r = SelfTraining.IgnoredRegions.of(0.2, truth, training, ignored);
        assertEquals(3, r.regions());
        assertEquals(1, r.onMissedObjects());
        Path file = dir.resolve("ignore.json");
        SelfTraining.writeIgnored(file, 0.2, ignored);
        assertEquals(ignored, SelfTraining.readIgnored(file));
        Files.writeString(file, "{\"images\": {\"a\": [[1, 2, 3]]}}");
        var e = assertThrows(java.io.IOException.class, () -> SelfTraining.readIgnored(file));
        assertTrue(e.getMessage().contains("ignore.json: image a: a box needs 4 numbers"), e.getMessage());
    }

    @Test
    void runJsonRecordsTheIgnoreScoreAndRefusesChangingIt(@TempDir Path dir) throws Exception {
        WiseRun.Settings s = new WiseRun.Settings("train", "val", 64, 1, 16, PseudoLabelling.Settings.defaults(), 64, 64,
                1, false, 0, 0);
        WiseRun.checkSettings(dir, s, SelfTraining.Settings.tuned(1).withIgnoreScore(0.2));
        assertTrue(Files.readString(dir.resolve("run.json")).contains("\"ignoreScore\" : 0.2"));
        WiseRun.checkSettings(dir, s, SelfTraining.Settings.tuned(2).withIgnoreScore(0.2)); // one more round
        var e = assertThrows(IllegalArgumentException.class,
                () -> WiseRun.checkSettings(dir, s, SelfTraining.Settings.tuned(2)));
        assertTrue(e.getMessage().contains("(selfTraining.ignoreScore: 0.2 → null)"), e.getMessage());
        var other = assertThrows(IllegalArgumentException.class,
                () -> WiseRun.checkSettings(dir, s, SelfTraining.Settings.tuned(2).withIgnoreScore(0.3)));
        assertTrue(other.getMessage().contains("(selfTraining.ignoreScore: 0.2 → 0.3)"), other.getMessage());
        // a run made without ignored regions refuses them
        Path plain = Files.createDirectories(dir.resolve("plain"));
        WiseRun.checkSettings(plain, s, SelfTraining.Settings.tuned(1));
        assertThrows(IllegalArgumentException.class,
                () -> WiseRun.checkSettings(plain, s, SelfTraining.Settings.tuned(1).withIgnoreScore(0.2)));
        assertThrows(IllegalArgumentException.class, () -> SelfTraining.Settings.tuned(1).withIgnoreScore(1.5));
    }

    @Test
    void refusesNegativeRoundsAndScoresOutsideZeroOne() {
        assertThrows(IllegalArgumentException.class, () -> new SelfTraining.Settings(-1, 0.5));
        assertThrows(IllegalArgumentException.class, () -> new SelfTraining.Settings(1, 1.5));
        assertEquals(0, SelfTraining.Settings.NONE.rounds());
    }
}
