package io.wiseseg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wiseseg.prm.PrmCheckpoint;
import io.wiseseg.prm.TrainingRecipe;
import io.wiseseg.testing.TinyVoc;
import io.wiseseg.util.TorchvisionWeights;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train-classifier → peaks → localisation on a tiny synthetic dataset, and their one-line errors. */
class PrmCommandsTest {
    @TempDir
    Path tmp;


    private static CliRun run(String... args) {
        return CliRun.run(args);
    }

    @Test
    void trainThenPeaksThenLocalisation() throws Exception {
        Path data = tmp.resolve("synth"), runDir = tmp.resolve("run"), peaks = tmp.resolve("peaks");
        assertEquals(0, run("dataset", "synth", "--out", data.toString(), "--images", "12", "--size", "64",
                "--max-instances", "2", "--val-fraction", "0.25").code());
        CliRun train = run("train-classifier", "--device", "cpu", "--dataset", data.toString(), "--out", runDir.toString(), "--backbone",
                "resnet18", "--width", "8", "--image-size", "64", "--epochs", "2", "--batch-size", "3",
                "--backbone-lr-factor", "1", "--train-batchnorm", "--checkpoint-every", "2");
        assertEquals(0, train.code(), train.err());
        assertTrue(train.out().startsWith("trained 6 steps"), train.out());
        assertTrue(Files.isRegularFile(runDir.resolve("config.json")));
        CliRun resumed = run("train-classifier", "--dataset", data.toString(), "--out", runDir.toString(), "--backbone",
                "resnet18", "--width", "8", "--image-size", "64", "--epochs", "2", "--batch-size", "3",
                "--backbone-lr-factor", "1", "--train-batchnorm", "--checkpoint-every", "2", "--resume");
        assertEquals(0, resumed.code(), resumed.err());

        CliRun p = run("peaks", "--device", "cpu", "--checkpoint", runDir.toString(), "--image",
                data.resolve("JPEGImages/synth_000011.png").toString(), "--out", peaks.toString(),
                "--class-threshold", "-1000", "--peak-threshold", "-1000");
        assertEquals(0, p.code(), p.err());
        JsonNode json = new ObjectMapper().readTree(peaks.resolve("peaks.json").toFile());
        assertEquals(6, json.get("scores").size());
        assertTrue(json.get("peaks").size() > 0);
        for (JsonNode peak : json.get("peaks")) {
            assertTrue(Files.isRegularFile(peaks.resolve(peak.get("response_map").asText())));
        }

        CliRun loc = run("localisation", "--device", "cpu", "--checkpoint", runDir.toString(), "--dataset", data.toString(),
                "--peak-threshold", "0");
        assertEquals(0, loc.code(), loc.err());
        assertTrue(loc.out().contains("classification mAP") && loc.out().contains("instances with a peak"), loc.out());
        assertTrue(loc.out().matches("(?s).*objects shown alone \\(\\d+\\): class scored highest of all 6 .*"), loc.out());
        assertTrue(loc.out().contains("class threshold 0.0"), loc.out());
        assertTrue(loc.out().matches("(?s).*\n  small \\(mask under 32² px\\): (none|[0-9.]+ of \\d+), medium \\(to 96²\\): "
                + "(none|[0-9.]+ of \\d+), large: (none|[0-9.]+ of \\d+)\n.*"), loc.out());
        CliRun labelled = run("localisation", "--checkpoint", runDir.toString(), "--dataset", data.toString(),
                "--peak-threshold", "0", "--image-labels", "--points", "PEAK");
        assertEquals(0, labelled.code(), labelled.err());
        assertTrue(labelled.out().contains("classes from the image labels") && labelled.out().contains("points PEAK"),
                labelled.out());
    }

    /**
     * A train-classifier run starts another one's backbone (pretraining on image labels elsewhere):
     * with the backbone's rate at 0 and BatchNorm frozen, the new run's backbone is the old one's,
     * tensor for tensor; a run of another width is refused in one line.
     */
    @Test
    void aClassifierRunStartsAnotherOnesBackbone() throws Exception {
        Path data = tmp.resolve("synth"), first = tmp.resolve("first"), second = tmp.resolve("second");
        assertEquals(0, run("dataset", "synth", "--out", data.toString(), "--images", "12", "--size", "64",
                "--max-instances", "2", "--val-fraction", "0.25").code());
        CliRun a = run("train-classifier", "--dataset", data.toString(), "--out", first.toString(), "--backbone",
                "resnet18", "--width", "8", "--image-size", "64", "--iterations", "3", "--batch-size", "3",
                "--backbone-lr-factor", "1", "--train-batchnorm", "--pretraining", "--max-grad-norm", "5");
        assertEquals(0, a.code(), a.err());
        assertEquals(TrainingRecipe.PRETRAINING.withMaxGradNorm(5), PrmCheckpoint.config(first).recipe());
        assertTrue(a.out().matches("(?s).*\ngradient norm before any limit: median [0-9.e+-]+, largest [0-9.e+-]+ at step [0-2]; "
                + "over the limit 5.00 at [0-3] of 3 steps\n.*"), a.out());
        assertEquals(0.001, PrmCheckpoint.config(first).lr(), "Adam's default rate");
        CliRun b = run("train-classifier", "--dataset", data.toString(), "--out", second.toString(), "--backbone",
                "resnet18", "--width", "8", "--image-size", "64", "--iterations", "2", "--batch-size", "3",
                "--weights", first.toString(), "--backbone-lr-factor", "0");
        assertEquals(0, b.code(), b.err());
        assertEquals(TrainingRecipe.PRM, PrmCheckpoint.config(second).recipe());
        assertEquals(0.01, PrmCheckpoint.config(second).lr(), "PRM's");
        // localisation also scores a max-pooled classifier as it was trained, and only such a one
        for (Path checkpoint : List.of(first, second)) {
            CliRun loc = run("localisation", "--checkpoint", checkpoint.toString(), "--dataset", data.toString(),
                    "--image-labels");
            assertEquals(0, loc.code(), loc.err());
            assertEquals(checkpoint == first, loc.out().contains("objects shown alone, scored by each map's maximum "
                    + "as this classifier was trained: "), loc.out());
            assertEquals(checkpoint == first, loc.out().contains("classification mAP, each map scored by its maximum "
                    + "as this classifier was trained: "), loc.out());
        }
        Map<String, Tensor> before = TorchvisionWeights.stateDict(PrmCheckpoint.loadNetwork(first).backbone());
        Map<String, Tensor> after = TorchvisionWeights.stateDict(PrmCheckpoint.loadNetwork(second).backbone());
        assertEquals(before.keySet(), after.keySet());
        for (String key : before.keySet()) {
            assertTrue(torch.equal(before.get(key), after.get(key)), key);
        }

        CliRun wide = run("train-classifier", "--dataset", data.toString(), "--out", tmp.resolve("wide").toString(),
                "--backbone", "resnet18", "--width", "16", "--image-size", "64", "--iterations", "1",
                "--batch-size", "3", "--weights", first.toString());
        assertEquals(2, wide.code(), wide.out());
        assertEquals("wiseseg: " + first + " (a train-classifier run) holds a resnet18 at width 8 but this model's "
                + "backbone is a resnet18 at width 16", wide.err().strip());
        assertEquals(1, wide.err().strip().lines().count(), wide.err());
        CliRun notARun = run("train-classifier", "--dataset", data.toString(), "--out", tmp.resolve("x").toString(),
                "--weights", data.toString());
        assertEquals(2, notARun.code());
        assertEquals("wiseseg: --weights: " + data + " is not a train-classifier run (no config.json and model.pt)",
                notARun.err().strip());
    }

    /** The summary of the gradient norms, on a hand-worked example: steps 10-13 with norms 1, 5, 2, 3. */
    @Test
    void gradientNormSummaryIsMedianLargestAndStepsOverTheLimit() {
        List<Double> norms = List.of(1.0, 5.0, 2.0, 3.0);
        assertEquals("gradient norm before any limit: median 2.50, largest 5.00 at step 11",
                TrainClassifierCommand.gradientNorms(norms, 10, 0));
        assertEquals("gradient norm before any limit: median 2.50, largest 5.00 at step 11; over the limit 2.50 at 2 of 4 "
                + "steps", TrainClassifierCommand.gradientNorms(norms, 10, 2.5));
        assertEquals("gradient norm before any limit: median 2.00, largest 5.00 at step 1",
                TrainClassifierCommand.gradientNorms(norms.subList(0, 3), 0, 0));
        assertEquals("", TrainClassifierCommand.gradientNorms(List.of(), 0, 1));
    }

    /** A learning rate far too high: one line naming the step, the loss and the checkpoint kept, exit 1. */
    @Test
    void aDivergedClassifierTrainingIsOneLine() throws Exception {
        Path data = tmp.resolve("diverge-data"), out = tmp.resolve("diverge");
        assertEquals(0, run("dataset", "synth", "--out", data.toString(), "--images", "12", "--size", "64",
                "--max-instances", "2", "--val-fraction", "0.25").code());
        CliRun t = run("train-classifier", "--dataset", data.toString(), "--out", out.toString(), "--backbone",
                "resnet18", "--width", "8", "--image-size", "64", "--iterations", "40", "--batch-size", "3",
                "--checkpoint-every", "1", "--lr", "1e12", "--backbone-lr-factor", "1", "--train-batchnorm");
        assertEquals(1, t.code(), t.out() + t.err());
        assertEquals(1, t.err().strip().lines().count(), t.err());
        var line = java.util.regex.Pattern.compile("wiseseg: classifier training diverged at step (\\d+) of 40: "
                + "(loss (NaN|-?Infinity)|class response maps not finite|weights not finite after its update); the checkpoint of step (\\d+) is in "
                + java.util.regex.Pattern.quote(out.toString()) + "; lower the learning rate \\(--lr\\) or limit the gradient norm \\(--max-grad-norm\\)").matcher(t.err().strip());
        assertTrue(line.matches(), t.err());
        assertEquals(line.group(1), line.group(4), "a checkpoint every step: the last one is the step before");
        // the checkpoint named is the one on disk, and the diverged step did not overwrite it
        assertTrue(Files.readString(out.resolve("state.json")).startsWith("{\"step\":" + line.group(1) + ","),
                "state.json of step " + line.group(1));
        for (Map.Entry<String, Tensor> w : TorchvisionWeights.stateDict(PrmCheckpoint.loadNetwork(out).backbone()).entrySet()) {
            assertTrue(torch.isfinite(w.getValue()).all().item_bool(), w.getKey() + " of the kept checkpoint");
        }
    }

    @Test
    void badInputsAreOneLineErrors() {
        CliRun missing = run("peaks", "--checkpoint", tmp.resolve("none").toString(), "--image", "x.png", "--out",
                tmp.toString());
        assertEquals(2, missing.code());
        assertEquals("wiseseg: --image: no such file: x.png", missing.err().strip());
        CliRun weights = run("train-classifier", "--dataset", tmp.toString(), "--out", tmp.resolve("o").toString(),
                "--weights", tmp.resolve("w.pth").toString());
        assertEquals(2, weights.code());
        assertEquals("wiseseg: --weights: no such file: " + tmp.resolve("w.pth"), weights.err().strip());
        CliRun both = run("train-classifier", "--dataset", tmp.toString(), "--out", tmp.resolve("o").toString(),
                "--pretraining", "--loss", "soft-margin");
        assertEquals(2, both.code());
        assertEquals("wiseseg: --pretraining sets --loss itself: give one or the other", both.err().strip());
        CliRun pooling = run("train-classifier", "--dataset", tmp.toString(), "--out", tmp.resolve("o").toString(),
                "--pooling", "mean");
        assertEquals(2, pooling.code());
        assertEquals("wiseseg: --pooling: unknown value 'mean' (one of peaks, max)", pooling.err().strip());
        CliRun limit = run("train-classifier", "--dataset", tmp.toString(), "--out", tmp.resolve("o").toString(),
                "--pretraining", "--max-grad-norm", "-1");
        assertEquals(2, limit.code());
        assertEquals("wiseseg: --max-grad-norm must be a number >= 0 (0: no limit), got -1.0", limit.err().strip());
        assertFalse(Files.exists(tmp.resolve("o")), "refused before anything was written");
    }

    /** The softmax loss spreads each image's target over its labels: an image without one is named, not trained on. */
    @Test
    void theSoftmaxLossRefusesAnImageWithoutLabels() throws Exception {
        Path data = TinyVoc.write(tmp.resolve("unlabelled"), 4, 1, 3);
        Files.writeString(data.resolve("Annotations/img_0002.xml"), "<annotation><filename>img_0002.jpg</filename>"
                + "<size><width>96</width><height>72</height><depth>3</depth></size></annotation>\n");
        Path out = tmp.resolve("softmax");
        CliRun r = run("train-classifier", "--dataset", data.toString(), "--out", out.toString(), "--backbone",
                "resnet18", "--width", "8", "--image-size", "64", "--iterations", "1", "--loss", "softmax");
        assertEquals(2, r.code(), r.out() + r.err());
        assertEquals("wiseseg: the softmax loss needs a label on every image; img_0002 in split 'train' of "
                + data.toAbsolutePath() + " has none", r.err().strip());
    }

    /** PRM's backbone factor of 0.01 suits ImageNet weights; from scratch it would leave the backbone random. */
    @Test
    void theBackboneLearnsAtTheFullRateFromScratchByDefault() throws Exception {
        assertEquals(1.0, parsed("--dataset", "d", "--out", "o").backboneLrFactor());
        assertEquals(0.01, parsed("--dataset", "d", "--out", "o", "--weights", "w.pth").backboneLrFactor());
        assertEquals(0.1, parsed("--dataset", "d", "--out", "o", "--backbone-lr-factor", "0.1").backboneLrFactor());
        assertEquals(0.5, parsed("--dataset", "d", "--out", "o", "--weights", "w.pth", "--backbone-lr-factor", "0.5")
                .backboneLrFactor());
        // and what a run from scratch records
        Path data = tmp.resolve("synth"), runDir = tmp.resolve("run");
        assertEquals(0, run("dataset", "synth", "--out", data.toString(), "--images", "8", "--size", "64",
                "--max-instances", "2", "--val-fraction", "0.25").code());
        CliRun train = run("train-classifier", "--dataset", data.toString(), "--out", runDir.toString(), "--backbone",
                "resnet18", "--width", "8", "--image-size", "64", "--iterations", "1", "--batch-size", "2");
        assertEquals(0, train.code(), train.err());
        assertEquals(1.0, new ObjectMapper().readTree(runDir.resolve("config.json").toFile()).get("backboneLrFactor")
                .asDouble());
    }

    private static TrainClassifierCommand parsed(String... args) {
        TrainClassifierCommand c = new TrainClassifierCommand();
        new picocli.CommandLine(c).parseArgs(args);
        return c;
    }
}
