package io.wiseseg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wiseseg.testing.TinyVoc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

        CliRun again = CliRun.run(args);
        assertEquals(0, again.code(), again.err());
        assertEquals(DemoCommandTest.table(first.out()), DemoCommandTest.table(again.out()));

        CliRun other = CliRun.run("run", "--dataset", data.toString(), "--out", out.toString(), "--epochs", "2",
                "--maskrcnn-epochs", "1");
        assertEquals(2, other.code());
        assertTrue(other.err().contains("other settings (classifierEpochs: 1 → 2)"), other.err());
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
    }

    @Test
    void aBadTuneFractionOrGridIsOneLine(@TempDir Path tmp) throws Exception {
        Path data = TinyVoc.write(tmp.resolve("voc"), 4, 2, 1);
        for (String[] bad : new String[][] {{"--tune-fraction", "1.5"}, {"--tune-fraction", "-0.1"},
            {"--tune-fraction", "NaN"}, {"--tune-fraction", "0.5", "--tune-grid", "blur=-1"},
            {"--tune-fraction", "0", "--tune-grid", "blur=0.1"}}) {
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
}
