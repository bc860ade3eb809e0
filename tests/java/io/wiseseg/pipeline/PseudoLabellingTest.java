package io.wiseseg.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.data.CocoDataset;
import io.wiseseg.data.CocoJson;
import io.wiseseg.data.ImagePrediction;
import io.wiseseg.data.Instance;
import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.ProgressListener;
import io.wiseseg.data.SyntheticDataset;
import io.wiseseg.data.VocDataset;
import io.wiseseg.prm.PrmConfig;
import io.wiseseg.prm.PrmTrainer;
import io.wiseseg.proposals.ProposalCache;
import io.wiseseg.proposals.SelectiveSearch;
import io.wiseseg.pseudo.RuleSettings;
import io.wiseseg.testing.TinyVoc;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pseudo-labelling stage: one image labelled alone equals the same image labelled within its
 * split (written, read back), for seeds from ground-truth centres and from a trained classifier;
 * wrong combinations fail with a message that says what is wrong.
 */
class PseudoLabellingTest {
    @TempDir
    Path tmp;

    @Test
    void oneImageEqualsItsSplitsResultFromGroundTruthCentres() throws Exception {
        VocDataset voc = VocDataset.open(TinyVoc.write(tmp.resolve("voc"), 2, 4, 9));
        PseudoLabelling labelling = PseudoLabelling.fromGroundTruthCentres(proposals(), settings("wise"));
        List<ImagePrediction> split = labelSplit(labelling, voc);
        int total = 0;
        for (int i = 0; i < split.size(); i++) {
            LabelledImage image = voc.labelled("val").get(i);
            assertSame(split.get(i), labelling.label(voc, image));
            total += split.get(i).instances().size();
        }
        // every TinyVoc image has 1-2 objects, and each centre seed picks one proposal
        assertTrue(total >= split.size(), "pseudo masks: " + total);
    }

    @Test
    void oneImageEqualsItsSplitsResultFromAClassifier() throws Exception {
        VocDataset voc = VocDataset.open(TinyVoc.write(tmp.resolve("voc"), 8, 3, 4));
        PrmConfig config = new PrmConfig("resnet18", 8, TinyVoc.CLASSES, null, voc.root().toString(), "train", 2, 4,
                96, 1.25, 0.5, 0.02, 1.0, true, 0.9, 1e-4, 0, 100, 16);
        PrmTrainer.Trained trained = ClassifierTraining.train(voc, config, tmp.resolve("prm"), ProgressListener.NONE);
        PseudoLabelling labelling = PseudoLabelling.fromClassifier(trained.network(), config, proposals(),
                settings("iou"));
        List<ImagePrediction> split = labelSplit(labelling, voc);
        for (int i = 0; i < split.size(); i++) {
            assertSame(split.get(i), labelling.label(voc, voc.labelled("val").get(i)));
        }
        assertTrue(!labelling.timesSummary().isEmpty(), "a labelled split has per-image times");

        // the same classifier on a dataset of other classes is refused by name
        VocDataset other = SyntheticDataset.generate(tmp.resolve("synth"), new SyntheticDataset.Options(4, 64, 64, 1, 2,
                List.of("disc", "square"), 0.02, 0.5, false), ProgressListener.NONE);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> labelling.labelSplit(other, "val", tmp.resolve("o.json"), ProgressListener.NONE));
        assertTrue(e.getMessage().contains("classes [apple, brick, coin] differ from the dataset's [disc, square,"),
                e.getMessage());
    }

    @Test
    void aRuleThatNeedsMapsIsRefusedForPointsBeforeTheFileIsRead() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PseudoLabelling.fromPoints(tmp.resolve("missing.json"), proposals(), settings("iou")));
        assertTrue(e.getMessage().contains("rule iou needs peak response maps"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> settings("no-such-rule"));
    }

    @Test
    void theMergeIsOffByDefaultAndItsIouChecked() {
        assertEquals(PseudoLabelling.Settings.NO_MERGE, PseudoLabelling.Settings.defaults().mergeIou());
        assertEquals(PseudoLabelling.Settings.NO_MERGE, settings("iou").mergeIou());
        assertEquals(0.7, settings("iou").withMergeIou(0.7).mergeIou());
        for (double bad : new double[] {-0.1, 1.5, Double.NaN}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> settings("iou").withMergeIou(bad));
            assertTrue(e.getMessage().contains("merge IoU"), e.getMessage());
        }
        PseudoLabelling merging = PseudoLabelling.fromGroundTruthCentres(proposals(), settings("wise").withMergeIou(1));
        assertTrue(merging.description().endsWith("; merge same-class iou>=1.0"), merging.description());
        assertTrue(!PseudoLabelling.fromGroundTruthCentres(proposals(), settings("wise")).description().contains("merge"));
        // one class per object: off by default, its IoU checked, and it needs a classifier's class maps
        assertEquals(PseudoLabelling.Settings.NO_CLASS_CONFLICTS, PseudoLabelling.Settings.defaults().classConflictIou());
        assertEquals(0.5, settings("iou").withClassConflictIou(0.5).classConflictIou());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> settings("iou").withClassConflictIou(1.2));
        assertTrue(bad.getMessage().contains("class-conflict IoU must be in (0, 1]"), bad.getMessage());
        IllegalArgumentException noMaps = assertThrows(IllegalArgumentException.class,
                () -> PseudoLabelling.fromGroundTruthCentres(proposals(), settings("wise").withClassConflictIou(0.5)));
        assertTrue(noMaps.getMessage().contains("needs a classifier's class maps"), noMaps.getMessage());
    }

    private ProposalCache proposals() {
        try {
            return new ProposalCache(tmp.resolve("proposals"), new SelectiveSearch(SelectiveSearch.Options.fast()));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static PseudoLabelling.Settings settings(String rule) {
        return new PseudoLabelling.Settings(rule, RuleSettings.defaults(), 0f, true, false);
    }

    private List<ImagePrediction> labelSplit(PseudoLabelling labelling, VocDataset voc) throws Exception {
        Path file = tmp.resolve("pseudo-val.json");
        labelling.labelSplit(voc, "val", file, ProgressListener.NONE);
        return CocoJson.readResults(file, new CocoDataset(voc.classes(), CocoDataset.defaultCategoryIds(voc.classes()),
                voc.annotated("val"), Map.of()));
    }

    /** Same image, and instance by instance the same class, mask and (float32, as written) score. */
    private static void assertSame(ImagePrediction written, ImagePrediction alone) {
        assertEquals(written.imageId(), alone.imageId());
        assertEquals(written.instances().size(), alone.instances().size(), written.imageId());
        for (int k = 0; k < alone.instances().size(); k++) {
            Instance a = written.instances().get(k), b = alone.instances().get(k);
            assertEquals(a.classId(), b.classId());
            assertEquals(a.mask(), b.mask());
            assertEquals(a.score(), b.score(), 1e-6f * Math.max(1f, Math.abs(b.score())));
        }
    }
}
