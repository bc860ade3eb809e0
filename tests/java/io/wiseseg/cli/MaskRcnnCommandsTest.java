package io.wiseseg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.data.CocoDataset;
import io.wiseseg.data.CocoJson;
import io.wiseseg.data.ProgressListener;
import io.wiseseg.data.SyntheticDataset;
import io.wiseseg.data.VocDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train-maskrcnn → predict → evaluate on a tiny synthetic dataset, and the commands' one-line errors. */
class MaskRcnnCommandsTest {

    private static CliRun run(String... args) {
        return CliRun.run(args);
    }

    @Test
    void trainPredictEvaluate(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("synth");
        SyntheticDataset.generate(data, new SyntheticDataset.Options(4, 64, 64, 2, 2, List.of("disc", "square"), 0.02,
                0.5, false), ProgressListener.NONE);
        Path out = tmp.resolve("run");
        CliRun t = run("train-maskrcnn", "--device", "cpu", "--dataset", data.toString(), "--out", out.toString(), "--model", "small",
                "--min-size", "64", "--max-size", "64", "--epochs", "1", "--batch-size", "2", "--lr", "0.01",
                "--warmup", "1", "--threads", "1");
        assertEquals(0, t.code(), t.err());
        assertTrue(Files.isRegularFile(out.resolve("model.pt")) && Files.isRegularFile(out.resolve("config.json")));
        CliRun r = run("train-maskrcnn", "--dataset", data.toString(), "--out", out.toString(), "--epochs", "2",
                "--batch-size", "2", "--lr", "0.01", "--resume", "--threads", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("epoch 2:") && !r.out().contains("epoch 1:"), r.out());
        Path preds = tmp.resolve("preds.json");
        CliRun p = run("predict", "--device", "cpu", "--checkpoint", out.toString(), "--dataset", data.toString(), "--split", "val",
                "--out", preds.toString(), "--threads", "1");
        assertEquals(0, p.code(), p.err());
        assertTrue(Files.readString(preds).startsWith("["));
        CliRun e = run("evaluate", "--dataset", data.toString(), "--split", "val", "--predictions", preds.toString());
        assertEquals(0, e.code(), e.err());
    }

    @Test
    void trainsOnCocoJsonLabels(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("synth");
        VocDataset voc = SyntheticDataset.generate(data, new SyntheticDataset.Options(3, 64, 64, 4, 2,
                List.of("disc", "square"), 0.02, 0.0, false), ProgressListener.NONE);
        // pseudo labels as the pseudo stage writes them: COCO JSON with RLE masks
        Path labels = tmp.resolve("pseudo.json");
        CocoJson.writeDataset(labels, new CocoDataset(voc.classes(), CocoDataset.defaultCategoryIds(voc.classes()),
                voc.annotated("train"), Map.of()));
        Path out = tmp.resolve("run");
        CliRun t = run("train-maskrcnn", "--dataset", data.toString(), "--labels", labels.toString(), "--out",
                out.toString(), "--model", "small", "--min-size", "64", "--max-size", "64", "--epochs", "1",
                "--warmup", "1", "--threads", "1");
        assertEquals(0, t.code(), t.err());
        assertTrue(t.out().contains("epoch 1:"), t.out());
        CliRun bad = run("train-maskrcnn", "--dataset", data.toString(), "--labels", tmp.resolve("none.json").toString(),
                "--out", out.toString(), "--model", "small");
        assertEquals(1, bad.err().strip().lines().count(), bad.err());
    }

    @Test
    void trainsOnAPseudoLabelResultsList(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("synth");
        VocDataset voc = SyntheticDataset.generate(data, new SyntheticDataset.Options(3, 64, 64, 5, 2,
                List.of("disc", "square"), 0.02, 0.0, false), ProgressListener.NONE);
        // the list form that `wiseseg pseudo` and the demo write
        Path labels = tmp.resolve("pseudo-train.json");
        CocoJson.writeResults(labels, io.wiseseg.eval.Baselines.groundTruthMasks(voc.annotated("train")),
                voc.classes());
        CliRun t = run("train-maskrcnn", "--dataset", data.toString(), "--labels", labels.toString(), "--out",
                tmp.resolve("run").toString(), "--model", "small", "--min-size", "64", "--max-size", "64",
                "--epochs", "1", "--warmup", "1", "--threads", "1");
        assertEquals(0, t.code(), t.err());
        assertTrue(t.out().contains("epoch 1:"), t.out());
    }

    /** A learning rate far too high blows the weights up: one line naming the step and the loss terms, exit 1. */
    @Test
    void aDivergedTrainingIsOneLine(@TempDir Path tmp) {
        Path data = fourImages(tmp);
        Path out = tmp.resolve("run");
        CliRun t = run("train-maskrcnn", "--dataset", data.toString(), "--out", out.toString(), "--model", "small",
                "--min-size", "64", "--max-size", "64", "--epochs", "8", "--batch-size", "2", "--lr", "50",
                "--warmup", "0", "--threads", "1");
        assertEquals(1, t.code(), t.out() + t.err());
        assertEquals(1, t.err().strip().lines().count(), t.err());
        assertTrue(t.err().matches("wiseseg: Mask R-CNN training diverged at step \\d+ of 16: loss (NaN|-?Infinity) "
                + "\\(RPN objectness .*, mask .*\\); the last finished epoch's checkpoint is in " + java.util.regex.Pattern.quote(out.toString())
                + "; lower the learning rate or limit the gradient norm \\(train-maskrcnn --max-grad-norm\\)\\s*"), t.err());
    }

    /**
     * The same run as the diverging one above (lr 50) with each step's gradient norm limited to
     * 1e-6 (a step then moves the weights by at most lr × 1e-6 besides weight decay) finishes with
     * finite losses and records the limit; a negative limit is one line, exit 2.
     */
    @Test
    void aGradientNormLimitKeepsThatRunFinite(@TempDir Path tmp) throws Exception {
        Path data = fourImages(tmp);
        Path out = tmp.resolve("run");
        CliRun t = run("train-maskrcnn", "--dataset", data.toString(), "--out", out.toString(), "--model", "small",
                "--min-size", "64", "--max-size", "64", "--epochs", "8", "--batch-size", "2", "--lr", "50",
                "--warmup", "0", "--threads", "1", "--max-grad-norm", "1e-6");
        assertEquals(0, t.code(), t.out() + t.err());
        assertTrue(t.out().contains("epoch 8:") && !t.out().contains("NaN"), t.out());
        assertEquals(1e-6, new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.resolve("config.json").toFile())
                .path("training").path("maxGradNorm").asDouble(), 0.0);
        CliRun bad = run("train-maskrcnn", "--dataset", data.toString(), "--out", tmp.resolve("bad").toString(),
                "--model", "small", "--max-grad-norm", "-1");
        assertEquals(2, bad.code(), bad.err()); // a user error, as every bad argument
        assertEquals("wiseseg: --max-grad-norm must be a number >= 0 (0: no limit), got -1.0", bad.err().strip());
    }

    private static Path fourImages(Path tmp) {
        Path data = tmp.resolve("synth");
        SyntheticDataset.generate(data, new SyntheticDataset.Options(4, 64, 64, 2, 2, List.of("disc", "square"), 0.02,
                0.0, false), ProgressListener.NONE);
        return data;
    }

    @Test
    void missingCheckpointIsOneLine(@TempDir Path tmp) {
        CliRun p = run("predict", "--checkpoint", tmp.toString(), "--images", tmp.toString(), "--out",
                tmp.resolve("p.json").toString());
        assertEquals(1, p.err().strip().lines().count(), p.err());
        assertTrue(p.err().contains("not a train-maskrcnn folder"), p.err());
    }
}
