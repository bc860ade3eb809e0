package io.wiseseg.pseudo;

import static io.wiseseg.pseudo.Inputs.rect;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.data.AnnotatedImage;
import io.wiseseg.data.ClassSet;
import io.wiseseg.data.CocoDataset;
import io.wiseseg.data.CocoJson;
import io.wiseseg.data.ImagePrediction;
import io.wiseseg.data.Instance;
import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.Mask;
import io.wiseseg.data.ProgressListener;
import io.wiseseg.proposals.Proposal;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PseudoLabellerTest {
    static final int H = 10, W = 10;
    static final ClassSet CLASSES = new ClassSet(List.of("square", "disc"));
    static final List<Integer> CATEGORIES = CocoDataset.defaultCategoryIds(CLASSES);
    static final List<LabelledImage> IMAGES = List.of(image("a"), image("b"), image("c"));
    static final Mask LEFT = rect(H, W, 0, 0, 10, 5), CORNER = rect(H, W, 6, 6, 10, 10);
    static final Mask VOID = rect(H, W, 0, 0, 10, 1);

    static LabelledImage image(String id) {
        return new LabelledImage(id, Path.of(id + ".jpg"), W, H, new int[] {0, 1});
    }

    /** Evidence per image, counting how often it is asked for. */
    static final class Source implements PseudoLabeller.EvidenceSource {
        final List<String> asked = new ArrayList<>();

        @Override
        public ImageEvidence evidence(LabelledImage im) {
            asked.add(im.id());
            Mask tiny = rect(H, W, 0, 0, 1, 1);
            List<Proposal> props = im.id().equals("c") ? Inputs.proposals(CORNER, 0.8, tiny, 0.7)
                    : Inputs.proposals(LEFT, 0.9, CORNER, 0.8, tiny, 0.7);
            List<Seed> seeds = switch (im.id()) {
                case "a" -> List.of(new Seed(0, 3, 3, 1f), new Seed(1, 8, 8, 1f));
                case "b" -> List.of();
                default -> List.of(new Seed(1, 0, 0, 1f), new Seed(0, 5, 3, 1f)); // void-only, inside nothing
            };
            return new ImageEvidence(im.id(), H, W, seeds, null, null, props, VOID);
        }
    }

    static PseudoLabeller wise() {
        return new PseudoLabeller(BestObjectness.wise(), null, Inputs.scorer());
    }

    @Test
    void writesOneResultsFileWithVoidZeroed(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("pseudo_train.json");
        Source source = new Source();
        List<Long> progress = new ArrayList<>();
        ProgressListener listener = (task, done, total) -> progress.add(done);
        wise().labelSplit(IMAGES, source, CATEGORIES, out, listener);
        assertEquals(List.of(0L, 1L, 2L, 3L), progress);

        List<AnnotatedImage> gt = IMAGES.stream().map(im -> new AnnotatedImage(im, List.of(), null)).toList();
        List<ImagePrediction> read = CocoJson.readResults(out, new CocoDataset(CLASSES, CATEGORIES, gt, Map.of()));
        List<Instance> a = read.get(0).instances();
        assertEquals(2, a.size());
        assertEquals(0, a.get(0).classId());
        assertEquals(LEFT.andNot(VOID), a.get(0).mask());
        assertEquals(0.9f, a.get(0).score());
        assertEquals(1, a.get(1).classId());
        assertEquals(CORNER, a.get(1).mask());
        assertEquals(0.8f, a.get(1).score());
        // b has no seeds; c's seeds hit only a proposal inside the void region, or nothing
        assertEquals(0, read.get(1).instances().size());
        assertEquals(0, read.get(2).instances().size());
    }

    @Test
    void resumesFromPartsAndRefusesOtherSettings(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("pseudo.json");
        Source first = new Source();
        wise().labelSplit(IMAGES, first, CATEGORIES, out, ProgressListener.NONE);
        assertEquals(List.of("a", "b", "c"), first.asked);
        byte[] bytes = Files.readAllBytes(out);

        Source second = new Source();
        wise().labelSplit(IMAGES, second, CATEGORIES, out, ProgressListener.NONE);
        assertEquals(List.of(), second.asked);
        Files.delete(dir.resolve("pseudo.json.parts").resolve("b.json"));
        wise().labelSplit(IMAGES, second, CATEGORIES, out, ProgressListener.NONE);
        assertEquals(List.of("b"), second.asked);
        assertArrayEquals(bytes, Files.readAllBytes(out));

        PseudoLabeller other = new PseudoLabeller(new BestObjectness(0.5, true), null, Inputs.scorer());
        IOException e = assertThrows(IOException.class,
                () -> other.labelSplit(IMAGES, new Source(), CATEGORIES, out, ProgressListener.NONE));
        assertTrue(e.getMessage().contains("pseudo.json.parts") && e.getMessage().contains("single-point"),
                e.getMessage());
    }

    @Test
    void nmsMergesAndEvidenceMustMatchTheImage(@TempDir Path dir) {
        PseudoLabeller withNms = new PseudoLabeller(BestObjectness.wise(), InstanceNms.prm(), Inputs.scorer());
        ImageEvidence e = new ImageEvidence("a", H, W, List.of(new Seed(0, 1, 1, 1f), new Seed(0, 2, 2, 1f)),
                null, null, Inputs.proposals(LEFT, 0.9), null);
        List<PseudoInstance> kept = withNms.select(e);
        assertEquals(1, kept.size());
        assertEquals(List.of(1), kept.get(0).mergedSeeds());
        PseudoLabeller.EvidenceSource wrong = im -> new Source().evidence(image("zzz"));
        assertThrows(IllegalArgumentException.class,
                () -> wise().labelSplit(IMAGES, wrong, CATEGORIES, dir.resolve("x.json"), ProgressListener.NONE));
    }

    @Test
    void mergeTurnsOneObjectsSeedsIntoOnePseudoMask() {
        // two class-0 seeds and a class-1 seed inside LEFT, a class-0 seed in CORNER: best objectness
        // gives LEFT to the first three
        List<Seed> seeds = List.of(new Seed(0, 1, 1, 1f), new Seed(0, 2, 2, 1f), new Seed(1, 3, 3, 1f),
                new Seed(0, 8, 8, 1f));
        ImageEvidence e = new ImageEvidence("a", H, W, seeds, null, null, Inputs.proposals(LEFT, 0.9, CORNER, 0.8), null);
        assertEquals(4, wise().select(e).size());
        PseudoLabeller merging = new PseudoLabeller(BestObjectness.wise(), InstanceNms.sameClass(0.9), null, Inputs.scorer());
        List<PseudoInstance> kept = merging.select(e);
        assertEquals(List.of(0, 2, 3), kept.stream().map(PseudoInstance::seed).toList());
        assertEquals(List.of(1), kept.get(0).mergedSeeds());
        assertEquals(List.of(0, 1, 0), kept.stream().map(PseudoInstance::classId).toList());
        // the merge is part of the settings a parts folder records
        assertTrue(merging.description().endsWith("; merge same-class iou>=0.9"), merging.description());
        assertEquals(BestObjectness.wise().description(), wise().description());
    }

    @Test
    void classConflictsNeedTheClassMapsAndLeaveOneClassPerObject() {
        // a class-0 and a class-1 seed in LEFT both choose it (best objectness); class 1 responds more there
        List<Seed> seeds = List.of(new Seed(0, 1, 1, 1f), new Seed(1, 2, 2, 1f), new Seed(0, 8, 8, 1f));
        PseudoLabeller oneClass = new PseudoLabeller(BestObjectness.wise(), null, new ClassConflicts(0.5), null,
                Inputs.scorer());
        ImageEvidence without = new ImageEvidence("a", H, W, seeds, null, null, Inputs.proposals(LEFT, 0.9, CORNER, 0.8),
                null);
        assertEquals(3, wise().select(without).size());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> oneClass.select(without));
        assertTrue(e.getMessage().contains("needs the class maps"), e.getMessage());
        float[] maps = new float[2 * H * W];
        for (int i = 0; i < H * W; i++) {
            maps[i] = 1f;
            maps[H * W + i] = LEFT.get(i / W, i % W) ? 2f : 0f;
        }
        ImageEvidence with = new ImageEvidence("a", H, W, seeds, null, Inputs.maps(maps, 2, H, W),
                Inputs.proposals(LEFT, 0.9, CORNER, 0.8), null);
        List<PseudoInstance> kept = oneClass.select(with);
        assertEquals(List.of(1, 0), kept.stream().map(PseudoInstance::classId).toList());
        assertEquals(List.of(LEFT, CORNER), kept.stream().map(PseudoInstance::mask).toList());
        assertTrue(oneClass.description().endsWith("; one class per object: classes overlapping at iou>=0.5 keep the "
                + "strongest class response"), oneClass.description());
    }
}
