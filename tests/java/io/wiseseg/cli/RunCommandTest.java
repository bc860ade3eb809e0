package io.wiseseg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wiseseg.data.AnnotatedImage;
import io.wiseseg.data.VocDataset;
import io.wiseseg.prm.PrmCheckpoint;
import io.wiseseg.testing.SlowOverlaps;
import io.wiseseg.testing.TinyVoc;
import io.wiseseg.util.TorchvisionWeights;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code wiseseg run} at toy size on a VOC-layout dataset the demo's generator did not make
 * (its own classes, non-square JPEGs, labels from XML): every stage runs, the oracles score as they
 * must, it resumes, and a changed setting is refused by name.
 */
class RunCommandTest {

    @Test
    void runsEveryStageOnAnotherDatasetAndResumes(@TempDir Path tmp) throws Exception {
        Path data = TinyVoc.write(tmp.resolve("voc"), 24, 6, 3);
        Path out = tmp.resolve("run");
        String[] args = {"run", "--dataset", data.toString(), "--out", out.toString(), "--epochs", "1",
            "--maskrcnn-epochs", "1", "--overlays", "2"};
        CliRun first = CliRun.run(args);
        assertEquals(0, first.code(), first.err());
        // sizes chosen from the 96×72 images: classifier at their longer side, Mask R-CNN at their
        // sides clamped to its 128 px minimum
        assertTrue(first.out().contains("settings: classifier 96 px, 1 epochs, output stride 16; rule iou; "
                + "Mask R-CNN 128..128 px, 1 epochs; with the upper bound"), first.out());
        assertTrue(first.out().contains("1/5 data: 30 images (24 train, 6 val)"), first.out());
        assertTrue(first.out().matches("(?s).*pseudo masks(\\s+\\d+\\.\\d){4}.*"), first.out());
        assertTrue(first.out().matches("(?s).*Mask R-CNN on pseudo masks \\(WISE\\)(\\s+\\d+\\.\\d){4}.*"), first.out());
        assertTrue(first.out().matches("(?s).*oracle: GT masks\\s+100\\.0\\s+100\\.0\\s+100\\.0\\s+100\\.0.*"), first.out());
        for (String f : new String[] {"run.json", "pseudo-iou-train.json", "pseudo-iou-val.json", "metrics-iou.json",
            "report-iou.html", "maskrcnn-iou/predictions-val.json", "maskrcnn-gt/predictions-val.json"}) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        String html = Files.readString(out.resolve("report-iou.html"));
        assertTrue(html.contains("<td>Mask R-CNN on pseudo masks (WISE)</td>"), html);
        proposalCeilingMatchesAPerPixelCount(data, out, first.out());
        objectsAloneMatchLocalisation(data, out, first.out());

        CliRun again = CliRun.run(args);
        assertEquals(0, again.code(), again.err());
        assertEquals(DemoCommandTest.table(first.out()), DemoCommandTest.table(again.out()));

        // the settings line names the CPU threads (here 3, no machine's default of ours), printed
        // before the folder's settings are compared; the JVM's count is put back for later tests
        int before = org.bytedeco.pytorch.global.torch.get_num_threads();
        CliRun other;
        try {
            other = CliRun.run("run", "--dataset", data.toString(), "--out", out.toString(), "--epochs", "2",
                    "--maskrcnn-epochs", "1", "--threads", "3");
        } finally {
            org.bytedeco.pytorch.global.torch.set_num_threads(before);
            io.wiseseg.kernels.Device.cpu().setNumThreads(before);
        }
        assertEquals(2, other.code());
        assertTrue(other.err().contains("other settings (classifierEpochs: 1 → 2)"), other.err());
        assertTrue(other.out().contains("with the upper bound; CPU threads: 3\n"), other.out());
        assertTrue(first.out().contains("with the upper bound; CPU threads: " + before + "\n"), first.out());
    }

    /**
     * The run's objects-alone check in metrics-iou.json and the findings: every val object shown
     * (counted here from the ground truth), and the same numbers as `localisation` gives the
     * run's classifier at the run's classifier size.
     */
    private static void objectsAloneMatchLocalisation(Path data, Path out, String printed) throws Exception {
        JsonNode alone = new ObjectMapper().readTree(out.resolve("metrics-iou.json").toFile())
                .get("pseudo masks").get("objectsAlone");
        long objects = VocDataset.open(data).annotated("val").stream()
                .flatMap(a -> a.instances().stream()).filter(i -> !i.mask().isEmpty()).count();
        assertEquals(objects, alone.get("objects").asLong(), alone.toString());
        CliRun loc = CliRun.run("localisation", "--checkpoint", out.resolve("prm").toString(), "--dataset",
                data.toString(), "--image-size", "96");
        assertEquals(0, loc.code(), loc.err());
        String line = String.format(Locale.ROOT, "objects shown alone (%d): class scored highest of all %d %.3f "
                + "(chance %.3f), of the image's labels %.3f (chance %.3f)", objects, alone.get("classes").asInt(),
                alone.get("accuracy").asDouble(), alone.get("chance").asDouble(),
                alone.get("accuracyAmongLabels").asDouble(), alone.get("chanceAmongLabels").asDouble());
        assertTrue(loc.out().contains(line), line + " not in\n" + loc.out());
        assertTrue(printed.contains(String.format(Locale.ROOT, "Classifier: shown alone (outside its box the mean "
                + "colour), %.1f%% of the val objects get their class scored highest of all %d classes",
                100 * alone.get("accuracy").asDouble(), alone.get("classes").asInt())), printed);
    }

    /** The val split's proposal ceiling in metrics-iou.json and the findings, against a per-pixel count. */
    private static void proposalCeilingMatchesAPerPixelCount(Path data, Path out, String printed) throws Exception {
        JsonNode ceiling = new ObjectMapper().readTree(out.resolve("metrics-iou.json").toFile())
                .get("pseudo masks").get("proposalCeiling");
        assertEquals(2, ceiling.size(), ceiling.toString());
        List<AnnotatedImage> val = VocDataset.open(data).annotated("val");
        String[] recalls = new String[2];
        for (int k = 0; k < 2; k++) {
            int limit = k == 0 ? 100 : 0;
            List<Double> best = SlowOverlaps.bestIous(val, out.resolve("proposals"), limit);
            JsonNode row = ceiling.get(k);
            assertEquals(limit, row.get("limit").asInt());
            assertEquals(best.size(), row.get("objects").asInt());
            assertEquals(best.stream().filter(b -> b >= 0.5).count(), row.get("covered").asLong(), row.toString());
            double mean = best.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            assertEquals(mean, row.get("meanBestIou").asDouble(), 1e-12, row.toString());
            recalls[k] = String.format(Locale.ROOT, "%.1f%%", 100 * row.get("recall").asDouble());
        }
        assertTrue(printed.contains("Proposals: " + recalls[0] + " of the val objects have one at mask IoU >= 0.5 "
                + "among their image's first 100 (" + recalls[1] + " among all); the pseudo masks hit "), printed);
    }

    /**
     * {@code --tune-fraction}: the search runs after the classifier on a quarter of the train
     * split, writes tune.json and a report section, and the pseudo masks are made with its choice.
     * The run's own settings blur the 96×72 images' response maps by σ = 0.04 × 96 ≈ 4 px, which
     * spreads them far past these small objects (measured on this CPU: AP50 0, ABO 6 on the tuning
     * images, against AP50 3 to 19, ABO 25 to 30 at σ = 0.02), so the choice is not the run's own.
     */
    @Test
    void tuneFractionChoosesThePseudoMaskSettingsOnTrainImagesAndUsesThem(@TempDir Path tmp) throws Exception {
        Path data = TinyVoc.write(tmp.resolve("voc"), 24, 6, 3);
        Path out = tmp.resolve("run");
        String[] args = {"run", "--dataset", data.toString(), "--out", out.toString(), "--epochs", "1",
            "--maskrcnn-epochs", "1", "--overlays", "1", "--no-upper-bound", "--map-blur", "0.04",
            "--tune-fraction", "0.25", "--tune-grid", "rule=iou;blur=0.02;fraction=0.5;proposals=1,100;merge=0"};
        CliRun first = CliRun.run(args);
        assertEquals(0, first.code(), first.err());
        assertTrue(first.out().contains("2b/5 pseudo-mask settings chosen on 6 tuning images (25 % of train, their GT "
                + "masks only): 3 candidates"), first.out());
        JsonNode tune = new ObjectMapper().readTree(out.resolve("tune.json").toFile());
        List<String> images = new ArrayList<>();
        tune.get("images").forEach(n -> images.add(n.asText()));
        assertEquals(6, images.size());
        List<String> val = Files.readAllLines(data.resolve("ImageSets/Segmentation/val.txt"));
        assertTrue(images.stream().noneMatch(val::contains), images.toString());
        assertEquals(3, tune.get("ranked").size());
        JsonNode best = tune.get("ranked").get(0);
        assertEquals(tune.get("chosen"), best.get("settings"));
        assertEquals(0, tune.get("ranked").get(2).get("candidate").asInt(), "the run's own settings last: " + tune);
        assertEquals(0.02, best.get("settings").get("ruleSettings").get("mapBlur").asDouble(), tune.toString());
        // the pseudo masks of both splits were made with the chosen settings
        String chosen = best.get("description").asText();
        String labeller = chosen.substring(0, chosen.lastIndexOf("; peaks > "));
        for (String split : new String[] {"train", "val"}) {
            assertEquals(labeller, Files.readString(out.resolve("pseudo-iou-" + split + ".json.parts/SETTINGS")).strip());
        }
        assertTrue(Files.readString(out.resolve("report-iou.html")).contains("Pseudo-mask settings chosen on 6 tuning "
                + "images of the train split"));
        assertTrue(Files.readString(out.resolve("run.json")).contains("\"tune\""));

        // resumed: the search is read back, not redone
        long written = Files.getLastModifiedTime(out.resolve("tune.json")).toMillis();
        CliRun again = CliRun.run(args);
        assertEquals(0, again.code(), again.err());
        assertEquals(written, Files.getLastModifiedTime(out.resolve("tune.json")).toMillis());
        assertEquals(DemoCommandTest.table(first.out()), DemoCommandTest.table(again.out()));

        // another fraction, or none, is another run
        args[args.length - 3] = "0.5";
        CliRun other = CliRun.run(args);
        assertEquals(2, other.code());
        assertTrue(other.err().contains("other settings (tune.fraction: 0.25 → 0.5)"), other.err());
        CliRun none = CliRun.run("run", "--dataset", data.toString(), "--out", out.toString(), "--epochs", "1",
                "--maskrcnn-epochs", "1", "--no-upper-bound", "--map-blur", "0.04", "--tune-fraction", "0");
        assertEquals(2, none.code());
        assertTrue(none.err().contains("other settings (tune: {\"fraction\":0.25,\"grid\":"), none.err());
        // and so is another ranking
        args[args.length - 3] = "0.25";
        List<String> f1 = new ArrayList<>(List.of(args));
        f1.addAll(List.of("--tune-metric", "f1"));
        CliRun ranked = CliRun.run(f1.toArray(String[]::new));
        assertEquals(2, ranked.code());
        assertTrue(ranked.err().contains("tune.metric"), ranked.err());
    }

    /**
     * {@code --tune-metric f1}: the candidates ranked by F1 of their precision and object recall
     * on the tuning images (recorded in tune.json and run.json), the best first.
     */
    @Test
    void tuneMetricF1RanksTheCandidatesByF1(@TempDir Path tmp) throws Exception {
        Path data = TinyVoc.write(tmp.resolve("voc"), 24, 6, 3);
        Path out = tmp.resolve("run");
        CliRun r = CliRun.run("run", "--dataset", data.toString(), "--out", out.toString(), "--epochs", "1",
                "--maskrcnn-epochs", "1", "--overlays", "0", "--no-upper-bound", "--tune-fraction", "0.25",
                "--tune-grid", "rule=iou;blur=0.02;fraction=0.3,0.7;proposals=1,100;merge=0", "--tune-metric", "f1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("candidates, best F1 "), r.out());
        JsonNode tune = new ObjectMapper().readTree(out.resolve("tune.json").toFile());
        assertEquals("f1", tune.get("metric").asText());
        double previous = Double.POSITIVE_INFINITY;
        for (JsonNode row : tune.get("ranked")) {
            double p = row.get("precision").asDouble(), rc = row.get("recall").asDouble(), f = row.get("f1").asDouble();
            assertEquals(p + rc == 0 ? 0 : 2 * p * rc / (p + rc), f, 1e-12, row.toString());
            assertTrue(f <= previous, "ranked by F1: " + tune);
            previous = f;
        }
        assertEquals("f1", new ObjectMapper().readTree(out.resolve("run.json").toFile()).get("tune").get("metric")
                .asText());
    }

    @Test
    void aBadTuneFractionOrGridIsOneLine(@TempDir Path tmp) throws Exception {
        Path data = TinyVoc.write(tmp.resolve("voc"), 4, 2, 1);
        for (String[] bad : new String[][] {{"--tune-fraction", "1.5"}, {"--tune-fraction", "-0.1"},
            {"--tune-fraction", "NaN"}, {"--tune-fraction", "0.5", "--tune-grid", "blur=-1"},
            {"--tune-fraction", "0", "--tune-grid", "blur=0.1"}, {"--tune-fraction", "0.5", "--tune-metric", "ap"},
            {"--tune-fraction", "0", "--tune-metric", "f1"}}) {
            List<String> args = new ArrayList<>(List.of("run", "--dataset", data.toString(), "--out",
                    tmp.resolve("run").toString()));
            args.addAll(List.of(bad));
            CliRun r = CliRun.run(args.toArray(String[]::new));
            assertEquals(2, r.code(), String.join(" ", bad) + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().contains("--tune-"), r.err());
            assertFalse(Files.exists(tmp.resolve("run/run.json")), "refused before any work");
        }
    }

    @Test
    void refusesAMissingSplitInOneLine(@TempDir Path tmp) throws Exception {
        Path data = TinyVoc.write(tmp.resolve("voc"), 4, 2, 1);
        CliRun r = CliRun.run("run", "--dataset", data.toString(), "--out", tmp.resolve("run").toString(),
                "--eval-split", "test");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("no split 'test' (has [train, val])"), r.err());
    }
    /**
     * {@code --classifier-weights RUN}: the run's classifier starts from another classifier's
     * backbone (one short step later its convolutions are still within a few percent of the
     * start; from a fresh initialisation they would differ by about sqrt(2) of their norm), and
     * the folder records it. A folder that is not such a run, or holds another backbone, is one line.
     */
    @Test
    void classifierWeightsStartTheRunsClassifierFromAnotherRun(@TempDir Path tmp) throws Exception {
        Path data = TinyVoc.write(tmp.resolve("voc"), 12, 4, 2);
        Path pre = tmp.resolve("pre"), out = tmp.resolve("run");
        CliRun p = CliRun.run("train-classifier", "--dataset", data.toString(), "--out", pre.toString(), "--backbone",
                "resnet18", "--width", "16", "--image-size", "64", "--iterations", "2", "--batch-size", "4",
                "--output-stride", "16", "--backbone-lr-factor", "1", "--train-batchnorm", "--seed", "7");
        assertEquals(0, p.code(), p.err()); // another seed than the run's: another initialisation
        CliRun r = CliRun.run("run", "--dataset", data.toString(), "--out", out.toString(), "--classifier-weights",
                pre.toString(), "--classifier-iterations", "1", "--maskrcnn-iterations", "1", "--no-upper-bound",
                "--overlays", "0", "--tune-fraction", "0");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("output stride 16, backbone from " + pre + ";"), r.out());
        assertEquals(pre.toAbsolutePath().toString(),
                new ObjectMapper().readTree(out.resolve("run.json").toFile()).path("classifierWeights").asText());
        Map<String, Tensor> start = TorchvisionWeights.stateDict(PrmCheckpoint.loadNetwork(pre).backbone());
        Map<String, Tensor> trained = TorchvisionWeights.stateDict(PrmCheckpoint.loadNetwork(out.resolve("prm")).backbone());
        for (String key : List.of("conv1.weight", "layer1.0.conv1.weight", "layer4.1.conv2.weight")) {
            double change = trained.get(key).sub(start.get(key)).norm().item_double() / start.get(key).norm().item_double();
            assertTrue(change < 0.2, key + " moved by " + change + " of its norm");
        }

        Path notARun = data, missing = tmp.resolve("none"), narrow = tmp.resolve("narrow");
        Files.createDirectories(narrow);
        Files.copy(pre.resolve("model.pt"), narrow.resolve("model.pt"));
        Files.writeString(narrow.resolve("config.json"),
                Files.readString(pre.resolve("config.json")).replace("\"width\" : 16", "\"width\" : 8"));
        for (Path bad : List.of(notARun, missing, narrow)) {
            CliRun refused = CliRun.run("run", "--dataset", data.toString(), "--out", tmp.resolve("r2").toString(),
                    "--classifier-weights", bad.toString());
            assertEquals(2, refused.code(), refused.err());
            assertEquals(1, refused.err().strip().lines().count(), refused.err());
            assertTrue(refused.err().startsWith("wiseseg: --classifier-weights: " + bad), refused.err());
            assertFalse(Files.exists(tmp.resolve("r2")), "refused before any work");
        }
        assertTrue(CliRun.run("run", "--dataset", data.toString(), "--out", tmp.resolve("r2").toString(),
                "--classifier-weights", narrow.toString()).err().contains("holds a resnet18 at width 8"));
    }

    /**
     * {@code --classifier-backbone-lr-factor F}: the classifier's backbone steps at F × the head's
     * rate. At 0 a pretrained backbone's weights come out of the run's classifier stage bit for bit
     * (SGD's step, weight decay included, is the rate times the update); at the default 1 they
     * move. The folder records a factor other than 1 (runs made before the setting resume), a
     * change is refused by name, and a negative factor is one line before any work.
     */
    @Test
    void classifierBackboneLrFactorScalesTheBackbonesSteps(@TempDir Path tmp) throws Exception {
        Path data = TinyVoc.write(tmp.resolve("voc"), 12, 4, 2);
        Path pre = tmp.resolve("pre");
        CliRun p = CliRun.run("train-classifier", "--dataset", data.toString(), "--out", pre.toString(), "--backbone",
                "resnet18", "--width", "16", "--image-size", "64", "--iterations", "2", "--batch-size", "4",
                "--output-stride", "16", "--backbone-lr-factor", "1", "--train-batchnorm", "--seed", "7");
        assertEquals(0, p.code(), p.err());
        Map<String, Tensor> start = TorchvisionWeights.stateDict(PrmCheckpoint.loadNetwork(pre).backbone());
        Map<String, Double> moved = new java.util.HashMap<>();
        for (String factor : List.of("0", "1")) {
            Path out = tmp.resolve("run" + factor);
            List<String> args = new ArrayList<>(List.of("run", "--dataset", data.toString(), "--out", out.toString(),
                    "--classifier-weights", pre.toString(), "--classifier-iterations", "2", "--maskrcnn-iterations", "1",
                    "--no-upper-bound", "--overlays", "0", "--tune-fraction", "0"));
            if (factor.equals("0")) {
                args.addAll(List.of("--classifier-backbone-lr-factor", "0"));
            }
            CliRun r = CliRun.run(args.toArray(String[]::new));
            assertEquals(0, r.code(), r.err());
            assertEquals(factor.equals("0"), r.out().contains("backbone from " + pre + ", backbone lr × 0.0;"), r.out());
            JsonNode recorded = new ObjectMapper().readTree(out.resolve("run.json").toFile());
            assertEquals(factor.equals("0"), recorded.has("classifierBackboneLrFactor"), recorded.toString());
            Map<String, Tensor> trained = TorchvisionWeights.stateDict(
                    PrmCheckpoint.loadNetwork(out.resolve("prm")).backbone());
            double most = 0;
            for (String key : List.of("conv1.weight", "layer1.0.conv1.weight", "layer3.1.conv2.weight",
                    "layer4.1.conv2.weight", "layer2.0.bn1.weight")) {
                most = Math.max(most, trained.get(key).sub(start.get(key)).abs().max().item_double());
            }
            moved.put(factor, most);
        }
        assertEquals(0.0, moved.get("0"), "factor 0 left the backbone where it started");
        assertTrue(moved.get("1") > 1e-4, "factor 1 trains the backbone: moved " + moved.get("1"));

        CliRun other = CliRun.run("run", "--dataset", data.toString(), "--out", tmp.resolve("run0").toString(),
                "--classifier-weights", pre.toString(), "--classifier-iterations", "2", "--maskrcnn-iterations", "1",
                "--no-upper-bound", "--overlays", "0", "--tune-fraction", "0", "--classifier-backbone-lr-factor", "0.1");
        assertEquals(2, other.code(), other.err());
        assertTrue(other.err().contains("classifierBackboneLrFactor: 0.0 → 0.1"), other.err());
        CliRun negative = CliRun.run("run", "--dataset", data.toString(), "--out", tmp.resolve("r2").toString(),
                "--classifier-backbone-lr-factor", "-0.5");
        assertEquals(2, negative.code(), negative.err());
        assertEquals(1, negative.err().strip().lines().count(), negative.err());
        assertTrue(negative.err().startsWith("wiseseg: --classifier-backbone-lr-factor: "), negative.err());
        assertFalse(Files.exists(tmp.resolve("r2")), "refused before any work");
    }

    /**
     * {@code --maskrcnn-min-scale S}: printed in the settings line, recorded in the folder (only
     * when not 1, so earlier runs resume), a change refused by name, a scale outside (0, 1] one
     * line before any work.
     */
    @Test
    void maskRcnnMinScaleIsRecordedAndChecked(@TempDir Path tmp) throws Exception {
        Path data = TinyVoc.write(tmp.resolve("voc"), 8, 4, 2);
        Path out = tmp.resolve("run");
        List<String> args = new ArrayList<>(List.of("run", "--dataset", data.toString(), "--out", out.toString(),
                "--classifier-iterations", "2", "--maskrcnn-iterations", "2", "--no-upper-bound", "--overlays", "0",
                "--tune-fraction", "0"));
        args.addAll(List.of("--maskrcnn-min-scale", "0.5"));
        CliRun r = CliRun.run(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains(", scales 0.5..1;"), r.out());
        assertEquals(0.5, new ObjectMapper().readTree(out.resolve("run.json").toFile()).get("maskRcnnMinScale")
                .asDouble());
        args.set(args.size() - 1, "0.7");
        CliRun other = CliRun.run(args.toArray(String[]::new));
        assertEquals(2, other.code(), other.err());
        assertTrue(other.err().contains("maskRcnnMinScale: 0.5 → 0.7"), other.err());
        args.set(args.size() - 1, "0");
        args.set(4, tmp.resolve("r2").toString());
        CliRun zero = CliRun.run(args.toArray(String[]::new));
        assertEquals(2, zero.code(), zero.err());
        assertEquals("wiseseg: --maskrcnn-min-scale: must be in (0, 1], got 0.0", zero.err().strip());
        assertFalse(Files.exists(tmp.resolve("r2")), "refused before any work");
    }
}
