package io.wiseseg.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.data.AnnotatedImage;
import io.wiseseg.data.ClassSet;
import io.wiseseg.data.Instance;
import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.Mask;
import io.wiseseg.data.ProgressListener;
import io.wiseseg.data.VocDataset;
import io.wiseseg.proposals.Proposal;
import io.wiseseg.pseudo.ImageEvidence;
import io.wiseseg.pseudo.PseudoLabeller;
import io.wiseseg.pseudo.RuleSettings;
import io.wiseseg.pseudo.Seed;
import io.wiseseg.testing.TinyVoc;
import io.wiseseg.util.Tensors;
import io.wiseseg.util.TorchRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The settings search: which train images it tunes on, that it picks the candidate the tuning
 * images' masks favour (by AP50, then AP25, AP75, ABO, then grid order), that each image's
 * evidence is computed once for all candidates, and its grid.
 */
class SettingsSearchTest {
    static final int H = 32, W = 32;

    @BeforeAll
    static void torch() {
        TorchRuntime.ensureLoaded();
    }

    @Test
    void tuningImagesAreASeededPartOfTrainAndNeverAScoredImage(@TempDir Path tmp) throws Exception {
        VocDataset voc = VocDataset.open(TinyVoc.write(tmp.resolve("voc"), 24, 6, 3));
        List<String> a = ids(SettingsSearch.tuningImages(voc, "train", "val", 0.25, 7));
        assertEquals(6, a.size());
        assertEquals(a, ids(SettingsSearch.tuningImages(voc, "train", "val", 0.25, 7)), "same seed, same images");
        assertNotEquals(a, ids(SettingsSearch.tuningImages(voc, "train", "val", 0.25, 8)), "another seed, others");
        assertTrue(voc.ids("train").containsAll(a), a.toString());
        assertTrue(a.stream().noneMatch(voc.ids("val")::contains), a.toString());
        assertEquals(a.stream().sorted().toList(), a, "in the split's order");
        assertEquals(24, SettingsSearch.tuningImages(voc, "train", "val", 1, 7).size());
        assertEquals(1, SettingsSearch.tuningImages(voc, "train", "val", 0.001, 7).size(), "at least one image");
        for (double bad : new double[] {0, -0.1, 1.5, Double.NaN}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SettingsSearch.tuningImages(voc, "train", "val", bad, 7));
            assertTrue(e.getMessage().contains("tuning fraction must be in (0, 1]"), e.getMessage());
        }

        // a scored split that shares images with the train split: they are never tuned on
        List<String> shared = voc.ids("train").subList(0, 20);
        Files.write(tmp.resolve("voc/ImageSets/Segmentation/val.txt"), shared);
        VocDataset overlapping = VocDataset.open(tmp.resolve("voc"));
        List<String> t = ids(SettingsSearch.tuningImages(overlapping, "train", "val", 1, 7));
        assertEquals(voc.ids("train").subList(20, 24), t);
        Files.write(tmp.resolve("voc/ImageSets/Segmentation/val.txt"), voc.ids("train"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SettingsSearch.tuningImages(
                VocDataset.open(tmp.resolve("voc")), "train", "val", 0.5, 7));
        assertTrue(e.getMessage().contains("no image outside val to tune on"), e.getMessage());
    }

    /**
     * Three images, each an object with a strong seed on it and a weak seed on a background blob.
     * Best IoU with the raw maps picks the blob for the weak seed (a false positive scored 1.0,
     * above the object's 0.8), so keeping only peaks above 0.7 is clearly better; best objectness
     * picks the big proposal around the object (IoU 0.11) and finds nothing. The search ranks them
     * so, computes each image's evidence once, and the best is not the first candidate.
     */
    @Test
    void picksTheCandidateTheTuningMasksFavourFromEvidenceComputedOncePerImage() {
        List<LabelledImage> images = new ArrayList<>();
        Map<String, AnnotatedImage> truth = new HashMap<>();
        Map<String, ImageEvidence> evidence = new HashMap<>();
        for (int i = 0; i < 3; i++) {
            LabelledImage image = new LabelledImage("img" + i, Path.of("img" + i + ".jpg"), W, H, new int[] {0});
            images.add(image);
            int y = 2 + 3 * i, x = 4 + i;
            Mask object = rect(y, x, y + 8, x + 8);
            Mask blob = rect(24, 24, 30, 30);
            truth.put(image.id(), new AnnotatedImage(image, List.of(Instance.of(0, object, 1f)), null));
            List<Proposal> proposals = List.of(new Proposal(rect(0, 0, 24, 24), 0.9f),
                    new Proposal(rect(y, x, y + 10, x + 8), 0.5f), // IoU 0.8 with the object
                    new Proposal(blob, 0.4f));
            List<Seed> seeds = List.of(new Seed(0, y + 4, x + 4, 1f), new Seed(0, 27, 27, 0.5f));
            evidence.put(image.id(), new ImageEvidence(image.id(), H, W, seeds, maps(object, blob), null, proposals, null));
        }
        RuleSettings raw = new RuleSettings(Double.NEGATIVE_INFINITY, false, 0, 0.5, 0);
        List<PseudoLabelling.Settings> candidates = List.of(
                new PseudoLabelling.Settings("wise", raw, 0f, true, false),
                new PseudoLabelling.Settings("iou", raw, 0f, true, false),
                new PseudoLabelling.Settings("iou", raw, 0.7f, true, false));
        List<String> calls = new ArrayList<>();
        PseudoLabeller.EvidenceSource source = image -> {
            calls.add(image.id());
            return evidence.get(image.id());
        };
        SettingsSearch.Result r = SettingsSearch.search(images, source, image -> truth.get(image.id()),
                new ClassSet(List.of("thing")), candidates, SettingsSearch.Metric.AP50, ProgressListener.NONE);

        assertEquals(List.of("img0", "img1", "img2"), calls, "each image's evidence once, for all candidates");
        assertEquals(List.of(2, 1, 0), r.ranked().stream().map(SettingsSearch.Row::candidate).toList(), r.lines(9)
                .toString());
        assertEquals(candidates.get(2), r.best());
        assertEquals(100, r.ranked().get(0).ap50(), 1e-9);
        assertTrue(r.ranked().get(1).ap50() < 75, r.lines(9).toString());
        assertEquals(0, r.ranked().get(2).ap25(), 1e-9);
        assertTrue(r.ranked().get(0).description().contains("peaks > 0.7"), r.ranked().get(0).description());
        // precision and object recall by hand: the strong seeds' masks hit the three objects; the
        // raw maps' candidate adds the three blobs (3 of 6 right); best objectness hits nothing
        assertEquals(List.of(1.0, 0.5), List.of(r.ranked().get(0).precision(), r.ranked().get(1).precision()));
        assertEquals(List.of(1.0, 1.0, 0.0), r.ranked().stream().map(SettingsSearch.Row::recall).toList());
        assertEquals(List.of(1.0, 2 / 3.0, 0.0), r.ranked().stream().map(SettingsSearch.Row::f1).toList());
        SettingsSearch.Result byF1 = SettingsSearch.search(images, image -> evidence.get(image.id()),
                image -> truth.get(image.id()), new ClassSet(List.of("thing")), candidates, SettingsSearch.Metric.F1,
                ProgressListener.NONE);
        assertEquals(SettingsSearch.Metric.F1, byF1.metric());
        assertEquals(r.ranked(), byF1.ranked(), "F1 agrees here");
    }

    /** F1 first, ties to AP50 (then as AP50 ranks); AP50's ranking of the same rows differs. */
    @Test
    void f1RanksByF1ThenAP50() {
        PseudoLabelling.Settings s = PseudoLabelling.Settings.defaults();
        List<SettingsSearch.Row> rows = new ArrayList<>(List.of(
                new SettingsSearch.Row(0, s, "ranked well, few", 30, 60, 10, 50, 0.9, 0.2, 2 * 0.9 * 0.2 / 1.1),
                new SettingsSearch.Row(1, s, "many, ranked badly", 30, 40, 10, 50, 0.5, 0.5, 0.5),
                new SettingsSearch.Row(2, s, "many, ranked better", 30, 45, 10, 50, 0.5, 0.5, 0.5),
                new SettingsSearch.Row(3, s, "none", 0, 0, 0, 0, 0, 0, 0)));
        rows.sort(SettingsSearch.Metric.F1.ranking());
        assertEquals(List.of(2, 1, 0, 3), rows.stream().map(SettingsSearch.Row::candidate).toList());
        rows.sort(SettingsSearch.Metric.AP50.ranking());
        assertEquals(List.of(0, 2, 1, 3), rows.stream().map(SettingsSearch.Row::candidate).toList());
        assertEquals(SettingsSearch.Metric.F1, SettingsSearch.Metric.of("f1"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SettingsSearch.Metric.of("map"));
        assertTrue(e.getMessage().contains("unknown tuning metric 'map'; one of ap50, f1"), e.getMessage());
    }

    @Test
    void aHigherPeakThresholdKeepsWhatTheClassifierWouldKeep() {
        Mask dot = rect(0, 0, 1, 1);
        List<Seed> seeds = List.of(new Seed(0, 1, 1, 3f), new Seed(0, 2, 2, 1f), new Seed(1, 3, 3, 0.5f),
                new Seed(1, 4, 4, 0.7f), new Seed(1, 5, 5, 0.7f));
        float[] v = new float[5 * H * W];
        for (int k = 0; k < 5; k++) {
            v[k * H * W] = k + 1; // map k holds k + 1 at (0, 0)
        }
        ImageEvidence e = new ImageEvidence("a", H, W, seeds, Tensors.floats(v, 5, H, W), null,
                List.of(new Proposal(dot, 1f)), null);
        // image labels: class 1 has no peak above 2, so it keeps its strongest (the first of equals)
        ImageEvidence labelled = SettingsSearch.atThreshold(e, 2f, true);
        assertEquals(List.of(seeds.get(0), seeds.get(3)), labelled.seeds());
        assertEquals(List.of(1f, 4f), firstValues(labelled.peakResponseMaps(), 2));
        ImageEvidence all = SettingsSearch.atThreshold(e, 2f, false);
        assertEquals(List.of(seeds.get(0)), all.seeds());
        assertEquals(List.of(1f), firstValues(all.peakResponseMaps(), 1));
        assertSame(e, SettingsSearch.atThreshold(e, 0.4f, false), "nothing dropped: the same evidence");
    }

    @Test
    void tiesGoToAP25ThenAP75ThenABOThenTheEarlierCandidate() {
        PseudoLabelling.Settings s = PseudoLabelling.Settings.defaults();
        List<SettingsSearch.Row> rows = new ArrayList<>(List.of(
                new SettingsSearch.Row(0, s, "a", 10, 50, 5, 40),
                new SettingsSearch.Row(1, s, "b", 20, 50, 5, 40),
                new SettingsSearch.Row(2, s, "c", 20, 50, 6, 40),
                new SettingsSearch.Row(3, s, "d", 20, 50, 6, 41),
                new SettingsSearch.Row(4, s, "e", 20, 50, 6, 41),
                new SettingsSearch.Row(5, s, "f", 0, 51, 0, 0)));
        rows.sort(SettingsSearch.Metric.AP50.ranking());
        assertEquals(List.of("f", "d", "e", "c", "b", "a"), rows.stream().map(SettingsSearch.Row::description).toList());
    }

    @Test
    void theDefaultGridHasFortyCandidatesWithTheRunsOwnFirst() {
        PseudoLabelling.Settings base = PseudoLabelling.Settings.defaults();
        List<PseudoLabelling.Settings> c = SettingsSearch.Grid.defaults(0f).candidates(base);
        assertEquals(40, c.size());
        assertEquals(base, c.getFirst());
        Set<String> described = new HashSet<>();
        c.forEach(s -> assertTrue(described.add(SettingsSearch.describe(s)), "duplicate " + s));
        assertEquals(36, c.stream().filter(s -> s.rule().equals("iou")).count());
        // a spec replaces the axes it names and reads back as itself
        SettingsSearch.Grid g = SettingsSearch.Grid.parse("rule=iou; peak=0,1; nms=false,true", SettingsSearch.Grid.defaults(0f));
        assertEquals(List.of(0f, 1f), g.peakThresholds());
        assertEquals(List.of(0.01, 0.02, 0.04), g.mapBlurs());
        assertEquals(g, SettingsSearch.Grid.parse(g.spec(), SettingsSearch.Grid.defaults(5f)));
        // blur 0 ignores the fraction: one candidate, not three
        assertEquals(2, SettingsSearch.Grid.parse("rule=iou;blur=0;proposals=0;merge=0", SettingsSearch.Grid.defaults(0f))
                .candidates(base).size());
        for (String[] bad : new String[][] {{"colour=red", "'colour=red' is not KEY=V1,V2"},
            {"blur=x", "blur value 'x' is not a number"}, {"rule=best", "unknown rule 'best'"},
            {"fraction=1", "fraction must be in (0, 1)"}, {"nms=yes", "nms value 'yes' is not a boolean"},
            {"peak=", "peak value '' is not a number"}, {"rule=iou;rule=wise", "'rule' given twice"}}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SettingsSearch.Grid.parse(bad[0], SettingsSearch.Grid.defaults(0f)));
            assertTrue(e.getMessage().contains(bad[1]), e.getMessage());
        }
    }

    @Test
    void theClassConflictAxisDoublesTheCandidatesAndIsWrittenOnlyWhenSearched() {
        PseudoLabelling.Settings base = PseudoLabelling.Settings.defaults();
        SettingsSearch.Grid plain = SettingsSearch.Grid.defaults(0f);
        SettingsSearch.Grid both = SettingsSearch.Grid.parse("classes=0,0.5", plain);
        assertEquals(List.of(0.0, 0.5), both.classConflictIous());
        // the default grid's spec is what it was before the axis existed (run folders stay valid)
        assertEquals("rule=iou,wise,prm;blur=0.01,0.02,0.04;fraction=0.3,0.5,0.7;proposals=100,0;peak=0.0;"
                + "merge=0.0,0.5;nms=false", plain.spec());
        assertEquals(plain.spec() + ";classes=0.0,0.5", both.spec());
        assertEquals(both, SettingsSearch.Grid.parse(both.spec(), plain));
        List<PseudoLabelling.Settings> c = both.candidates(base);
        assertEquals(2 * plain.candidates(base).size(), c.size()); // every candidate with and without
        assertEquals(plain.candidates(base).size(), c.stream().filter(x -> x.classConflictIou() == 0.5).count());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SettingsSearch.Grid.parse("classes=2", plain));
        assertTrue(e.getMessage().contains("classes must be in (0, 1], or 0 for none"), e.getMessage());
        // settings JSON: the field only when set, read back either way
        PseudoLabelling.Settings on = base.withClassConflictIou(0.5);
        assertEquals(on, SettingsSearch.settingsFrom(SettingsSearch.settingsJson(on)));
        assertEquals(base, SettingsSearch.settingsFrom(SettingsSearch.settingsJson(base)));
        assertFalse(SettingsSearch.settingsJson(base).has("classConflictIou"));
        assertNotEquals(SettingsSearch.describe(base), SettingsSearch.describe(on));
    }

    @Test
    void aResultReadsBackAsWritten(@TempDir Path tmp) throws Exception {
        PseudoLabelling.Settings s = PseudoLabelling.Settings.defaults().withMergeIou(0.5);
        SettingsSearch.Result r = new SettingsSearch.Result(0.25, 3, SettingsSearch.Grid.defaults(0f).spec(),
                SettingsSearch.Metric.F1, List.of("a", "b"), List.of(
                        new SettingsSearch.Row(1, s, "x", 1, 2, 3, 4, 0.5, 0.25, 1 / 3.0),
                        new SettingsSearch.Row(0, PseudoLabelling.Settings.defaults(), "y", 0, 0, 0, 0, 0, 0, 0)));
        r.write(tmp.resolve("tune.json"));
        assertEquals(r, SettingsSearch.Result.read(tmp.resolve("tune.json")));
        assertFalse(Files.readString(tmp.resolve("tune.json")).contains("NaN"));
        // a search written before the metric and F1 were recorded: AP50-ranked, NaN where nothing was written
        SettingsSearch.Result old = new SettingsSearch.Result(0.25, 3, SettingsSearch.Grid.defaults(0f).spec(),
                SettingsSearch.Metric.AP50, List.of("a"), List.of(new SettingsSearch.Row(0, s, "x", 1, 2, 3, 4)));
        com.fasterxml.jackson.databind.node.ObjectNode json = old.toJson();
        json.remove("metric");
        Files.writeString(tmp.resolve("old.json"), json.toString());
        assertFalse(Files.readString(tmp.resolve("old.json")).contains("f1"));
        SettingsSearch.Result back = SettingsSearch.Result.read(tmp.resolve("old.json"));
        assertEquals(SettingsSearch.Metric.AP50, back.metric());
        assertTrue(Double.isNaN(back.ranked().getFirst().f1()));
        assertEquals(old, back);
    }

    private static List<String> ids(List<LabelledImage> images) {
        return images.stream().map(LabelledImage::id).toList();
    }

    private static Mask rect(int y0, int x0, int y1, int x1) {
        Mask m = new Mask(H, W);
        for (int y = y0; y < y1; y++) {
            for (int x = x0; x < x1; x++) {
                m.set(y, x, true);
            }
        }
        return m;
    }

    /** One map per mask: 1 inside, 0 outside. */
    private static Tensor maps(Mask... masks) {
        float[] v = new float[masks.length * H * W];
        for (int k = 0; k < masks.length; k++) {
            for (int y = 0; y < H; y++) {
                for (int x = 0; x < W; x++) {
                    v[(k * H + y) * W + x] = masks[k].get(y, x) ? 1f : 0f;
                }
            }
        }
        return Tensors.floats(v, masks.length, H, W);
    }

    private static List<Float> firstValues(Tensor maps, int k) {
        assertEquals(k, maps.size(0));
        float[] v = Tensors.toFloats(maps.contiguous());
        List<Float> out = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            out.add(v[i * H * W]);
        }
        return out;
    }
}
