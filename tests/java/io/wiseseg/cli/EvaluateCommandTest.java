package io.wiseseg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wiseseg.data.AnnotatedImage;
import io.wiseseg.data.CocoJson;
import io.wiseseg.data.ImagePrediction;
import io.wiseseg.data.Instance;
import io.wiseseg.data.ProgressListener;
import io.wiseseg.data.SyntheticDataset;
import io.wiseseg.data.VocDataset;
import io.wiseseg.eval.Baselines;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvaluateCommandTest {
    @TempDir
    static Path tmp;
    static Path data;
    static VocDataset voc;

    @BeforeAll
    static void synth() {
        data = tmp.resolve("synth");
        voc = SyntheticDataset.generate(data, SyntheticDataset.Options.defaults().withImages(24).withSeed(11)
                .withSize(96, 96), ProgressListener.NONE);
    }


    private static CliRun run(String... args) {
        return CliRun.run(args);
    }

    private static double mean(Path report, String protocol, String column) throws Exception {
        JsonNode root = new ObjectMapper().readTree(report.resolve("metrics.json").toFile());
        return root.get(protocol).get("mean").get(column).asDouble();
    }

    @Test
    void groundTruthScoresPerfectAndBoxesScoreClearlyLower() throws Exception {
        Path gt = tmp.resolve("gt"), box = tmp.resolve("box");
        CliRun a = run("evaluate", "--dataset", data.toString(), "--split", "trainval", "--baseline", "gt_masks",
                "--report", gt.toString());
        assertEquals(0, a.code(), a.err());
        CliRun b = run("evaluate", "--dataset", data.toString(), "--split", "trainval", "--baseline", "gt_boxes",
                "--report", box.toString());
        assertEquals(0, b.code(), b.err());
        String ap50 = columnLike(gt, "reference", "50");
        assertEquals(1.0, mean(gt, "reference", ap50), 1e-12);
        double boxAp50 = mean(box, "reference", ap50);
        String ap75 = columnLike(gt, "reference", "75");
        double boxAp75 = mean(box, "reference", ap75);
        // the synthetic shapes fill their boxes poorly: box-as-mask must lose clearly
        assertTrue(boxAp75 < 0.5, "box-as-mask AP75 " + boxAp75);
        assertTrue(boxAp50 < 0.9, "box-as-mask AP50 " + boxAp50);
        assertTrue(a.out().contains("baseline gt_masks"), a.out());
    }

    @Test
    void predictionsFileRoundTripsAndShuffledLabelsScoreLow() throws Exception {
        List<AnnotatedImage> truth = voc.annotated("trainval");
        Path exact = tmp.resolve("exact.json"), shuffled = tmp.resolve("shuffled.json");
        CocoJson.writeResults(exact, Baselines.groundTruthMasks(truth), voc.classes());
        // every instance relabelled with the next class: right masks, wrong classes
        List<ImagePrediction> wrong = new ArrayList<>();
        for (AnnotatedImage a : truth) {
            List<Instance> in = new ArrayList<>();
            for (Instance i : a.instances()) {
                in.add(new Instance((i.classId() + 1) % voc.classes().size(), i.mask(), i.box(), 0.9f));
            }
            wrong.add(new ImagePrediction(a.image().id(), a.image().height(), a.image().width(), in));
        }
        CocoJson.writeResults(shuffled, wrong, voc.classes());
        Path r1 = tmp.resolve("r1"), r2 = tmp.resolve("r2");
        assertEquals(0, run("evaluate", "--dataset", data.toString(), "--split", "trainval", "--predictions",
                exact.toString(), "--report", r1.toString(), "--protocol", "reference,vocr,abo").code());
        assertEquals(0, run("evaluate", "--dataset", data.toString(), "--split", "trainval", "--predictions",
                shuffled.toString(), "--report", r2.toString(), "--protocol", "reference,abo").code());
        String ap50 = columnLike(r1, "reference", "50");
        assertEquals(1.0, mean(r1, "reference", ap50), 1e-12);
        assertEquals(0.0, mean(r2, "reference", ap50), 1e-12);
        // ABO ignores classes: the masks are still perfect
        String abo = columnLike(r2, "abo", "");
        assertEquals(1.0, mean(r2, "abo", abo), 1e-12);
    }

    @Test
    void showDrawsPredictionsOfOneImageFromAWholeResultsFile() throws Exception {
        List<AnnotatedImage> truth = voc.annotated("trainval");
        Path exact = tmp.resolve("all.json");
        CocoJson.writeResults(exact, Baselines.groundTruthMasks(truth), voc.classes());
        AnnotatedImage third = truth.get(2);
        Path png = tmp.resolve("pred.png");
        CliRun r = run("show", "--dataset", data.toString(), "--image", third.image().id(), "--predictions",
                exact.toString(), "--out", png.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("(" + third.instances().size() + " instances)"), r.out());
        assertTrue(Files.size(png) > 0);
    }

    @Test
    void badInputIsOneLineNamingTheFile() throws Exception {
        Path broken = tmp.resolve("broken.json");
        Files.writeString(broken, "[{\"image_id\": ");
        CliRun r = run("evaluate", "--dataset", data.toString(), "--split", "trainval", "--predictions", broken.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains(broken.toString()), r.err());
        CliRun s = run("evaluate", "--dataset", data.toString(), "--split", "nope", "--baseline", "gt_masks");
        assertEquals(2, s.code());
        assertTrue(s.err().contains("no split 'nope'"), s.err());
    }

    /** The first column of a protocol whose name contains {@code part} (e.g. "AP50"). */
    private static String columnLike(Path report, String protocol, String part) throws Exception {
        JsonNode cols = new ObjectMapper().readTree(report.resolve("metrics.json").toFile()).get(protocol).get("columns");
        for (JsonNode c : cols) {
            if (c.asText().contains(part)) {
                return c.asText();
            }
        }
        throw new AssertionError("no column with " + part + " in " + cols);
    }
}
