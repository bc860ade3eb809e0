package io.wiseseg.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wiseseg.testing.TinyVoc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code wiseseg run --rounds 1} at toy size: the round's files, its row in the table, the report
 * and the metrics; a run killed in the round resumes there (the earlier stages untouched) and
 * prints the same table; {@code --rounds} 0 on the folder prints WISE's rows only.
 */
class SelfTrainingRunTest {

    @Test
    void runsARoundReportsItAndResumesInIt(@TempDir Path tmp) throws Exception {
        Path data = TinyVoc.write(tmp.resolve("voc"), 24, 6, 3);
        Path out = tmp.resolve("run");
        String[] args = {"run", "--dataset", data.toString(), "--out", out.toString(), "--epochs", "1",
            "--maskrcnn-epochs", "1", "--overlays", "0", "--no-upper-bound", "--rounds", "1",
            // the toy Mask R-CNN (one epoch on 24 images) scores nothing 0.5: every image would fall back
            "--round-score", "0.05"};
        CliRun first = CliRun.run(args);
        assertEquals(0, first.code(), first.err());
        String table = DemoCommandTest.table(first.out());
        assertTrue(table.matches("(?s).*\\nself-training round 1(\\s+\\d+\\.\\d){4}\\n.*"), first.out());
        assertTrue(table.contains("Self-training round 1 against WISE at AP50"), table);
        assertTrue(first.out().contains("self-training round 1: "), first.out());
        Path masks = out.resolve("pseudo-iou-train-r1.json"), round = out.resolve("maskrcnn-iou-r1");
        for (Path f : new Path[] {masks, out.resolve("pseudo-iou-train-r1-fallbacks.txt"),
            round.resolve("model.pt"), round.resolve("predictions-val.json")}) {
            assertTrue(Files.isRegularFile(f), f.toString());
        }
        // the round's masks come from the model on some images at least (not all fallbacks)
        long fellBack = Files.readAllLines(out.resolve("pseudo-iou-train-r1-fallbacks.txt")).size();
        assertTrue(fellBack < 24, fellBack + " of 24 images kept round 0's masks");
        JsonNode metrics = new ObjectMapper().readTree(out.resolve("metrics-iou.json").toFile());
        JsonNode row = metrics.get("self-training round 1");
        assertTrue(row != null && row.has("reference") && row.has("abo"), metrics.toString());
        assertEquals(24, row.get("trainingMasks").get("images").asInt(), row.toString()); // on the train split
        assertTrue(row.has("trainImagesKeepingPreviousMasks"), row.toString());
        assertEquals(24, metrics.get("Mask R-CNN on pseudo masks (WISE)").get("trainingMasks").get("images").asInt());
        String html = Files.readString(out.resolve("report-iou.html"));
        assertTrue(html.contains("<td>self-training round 1</td>"), html);
        assertTrue(html.contains("<th>round 0 (WISE)</th><th>round 1</th>"), html);
        JsonNode runJson = new ObjectMapper().readTree(out.resolve("run.json").toFile());
        assertEquals(1, runJson.get("selfTraining").get("rounds").asInt(), runJson.toString());

        // killed half way through the round (its masks or its Mask R-CNN not yet written): the
        // rerun predicts the same masks again with round 0's model and trains the round's
        // Mask R-CNN again, and nothing before the round
        byte[] roundMasks = Files.readAllBytes(masks);
        FileTime wiseTime = Files.getLastModifiedTime(out.resolve("maskrcnn-iou/model.pt"));
        delete(round);
        Files.delete(masks);
        CliRun again = CliRun.run(args);
        assertEquals(0, again.code(), again.err());
        assertArrayEquals(roundMasks, Files.readAllBytes(masks));
        assertEquals(table, DemoCommandTest.table(again.out()));
        assertEquals(wiseTime, Files.getLastModifiedTime(out.resolve("maskrcnn-iou/model.pt")));
        assertTrue(Files.isRegularFile(round.resolve("predictions-val.json")));

        // no rounds on the same folder: WISE's rows only, as they were
        String[] wiseOnly = java.util.Arrays.copyOf(args, args.length - 4);
        CliRun wise = CliRun.run(wiseOnly);
        assertEquals(0, wise.code(), wise.err());
        assertFalse(wise.out().contains("self-training round"), wise.out());
        for (String line : DemoCommandTest.table(wise.out()).strip().split("\n\n")[0].split("\n")) {
            assertTrue(table.contains(line + "\n"), line); // every row of the results table as it was
        }

        // another score threshold would mix rounds made two ways
        String[] otherScore = args.clone();
        otherScore[args.length - 1] = "0.7";
        CliRun other = CliRun.run(otherScore);
        assertEquals(2, other.code());
        assertTrue(other.err().contains("other settings (selfTraining.roundScore: 0.05 → 0.7)"), other.err());
        String[] tunedArgs = args.clone();
        tunedArgs[args.length - 1] = "tuned";
        CliRun refused = CliRun.run(tunedArgs);
        assertEquals(2, refused.code());
        assertTrue(refused.err().contains("(selfTraining.roundScore: 0.05 → \"tuned\")"), refused.err());

        // the threshold chosen on the tuning images: the same WISE run without its round, in a copy
        Path tuned = copyWithoutRounds(out, tmp.resolve("tuned"));
        tunedArgs[4] = tuned.toString();
        CliRun t = CliRun.run(tunedArgs);
        assertEquals(0, t.code(), t.err());
        JsonNode choice = new ObjectMapper().readTree(tuned.resolve("pseudo-iou-train-r1-score.json").toFile());
        JsonNode tune = new ObjectMapper().readTree(tuned.resolve("tune.json").toFile());
        assertEquals(tune.get("images"), choice.get("images")); // the settings search's images
        assertEquals(7, choice.get("candidates").size(), choice.toString());
        double chosen = choice.get("chosen").asDouble(), bestF1 = -1;
        for (JsonNode c : choice.get("candidates")) {
            bestF1 = Math.max(bestF1, c.get("f1").asDouble());
        }
        for (JsonNode c : choice.get("candidates")) {
            if (c.get("score").asDouble() == chosen) {
                assertEquals(bestF1, c.get("f1").asDouble(), choice.toString());
            }
        }
        assertTrue(t.out().contains(String.format(java.util.Locale.ROOT, "score threshold %.1f chosen on %d tuning images",
                chosen, choice.get("images").size())), t.out());
        JsonNode tunedRow = new ObjectMapper().readTree(tuned.resolve("metrics-iou.json").toFile())
                .get("self-training round 1");
        assertEquals(chosen, tunedRow.get("scoreThreshold").asDouble(), tunedRow.toString());
        assertEquals(choice, tunedRow.get("scoreChoice"));
        assertEquals("tuned", new ObjectMapper().readTree(tuned.resolve("run.json").toFile()).get("selfTraining")
                .get("roundScore").asText());
        // every mask taken from the model (not a fallback image's) is scored at least the chosen threshold
        java.util.Set<String> fellBackIds = new java.util.HashSet<>(
                Files.readAllLines(tuned.resolve("pseudo-iou-train-r1-fallbacks.txt")));
        for (JsonNode m : new ObjectMapper().readTree(tuned.resolve("pseudo-iou-train-r1.json").toFile())) {
            if (!fellBackIds.contains(m.get("image_id").asText())) {
                assertTrue(m.get("score").asDouble() >= chosen - 1e-6, m.toString());
            }
        }

        // ignored regions: the same round (threshold 0.05) in another copy, with its other predictions
        // scored 0.01 or more as ignored regions; the same training masks, another Mask R-CNN
        Path ignoring = copyWithoutRounds(out, tmp.resolve("ignoring"));
        String[] ignoreArgs = java.util.Arrays.copyOf(args, args.length + 2);
        ignoreArgs[4] = ignoring.toString();
        ignoreArgs[args.length] = "--round-ignore";
        ignoreArgs[args.length + 1] = "0.01";
        CliRun ig = CliRun.run(ignoreArgs);
        assertEquals(0, ig.code(), ig.err());
        assertArrayEquals(roundMasks, Files.readAllBytes(ignoring.resolve("pseudo-iou-train-r1.json")));
        JsonNode ignored = new ObjectMapper().readTree(ignoring.resolve("pseudo-iou-train-r1-ignore.json").toFile());
        assertEquals(24, ignored.get("images").size(), ignored.toString()); // every training image, maybe with none
        int regions = 0;
        for (JsonNode boxes : ignored.get("images")) {
            regions += boxes.size();
        }
        assertTrue(regions > 0, "the toy model's low-scored predictions give ignored regions");
        JsonNode ignoredRow = new ObjectMapper().readTree(ignoring.resolve("metrics-iou.json").toFile())
                .get("self-training round 1").get("ignoredRegions");
        assertEquals(regions, ignoredRow.get("regions").asInt(), ignoredRow.toString());
        assertTrue(ig.out().contains(regions + " ignored regions (predictions scored >= 0.01 not kept)"), ig.out());
        // the regions reach the training: without them this round retrains to the same predictions
        // (the resumed round above did), with them to others
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(round.resolve("predictions-val.json")),
                Files.readAllBytes(ignoring.resolve("maskrcnn-iou-r1/predictions-val.json"))));
        CliRun mixed = CliRun.run(java.util.Arrays.copyOf(ignoreArgs, args.length));
        assertEquals(2, mixed.code());
        assertTrue(mixed.err().contains("(selfTraining.ignoreScore: 0.01 → null)"), mixed.err());
    }

    /** A copy of a run folder without its self-training rounds (files, and run.json's block). */
    private static Path copyWithoutRounds(Path from, Path to) throws Exception {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : files.toList()) {
                String rel = from.relativize(p).toString();
                if (rel.contains("-r1")) {
                    continue;
                }
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to.resolve(rel));
                } else {
                    Files.copy(p, to.resolve(rel));
                }
            }
        }
        var json = (com.fasterxml.jackson.databind.node.ObjectNode) new ObjectMapper().readTree(
                to.resolve("run.json").toFile());
        json.remove("selfTraining");
        Files.writeString(to.resolve("run.json"), json.toPrettyString());
        return to;
    }

    /** A bad round option is refused in one line, before the run folder exists. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--round-score  | best | --round-score must be a number in [0, 1] or 'tuned', got 'best'",
        "--round-ignore | 2    | --round-ignore must be a number in [0, 1], got 2.0"})
    void refusesABadRoundOptionInOneLine(String option, String value, String message, @TempDir Path tmp)
            throws Exception {
        Path data = TinyVoc.write(tmp.resolve("voc"), 4, 2, 1);
        CliRun r = CliRun.run("run", "--dataset", data.toString(), "--out", tmp.resolve("run").toString(), "--rounds",
                "1", option, value);
        assertEquals(2, r.code());
        assertEquals("wiseseg: " + message, r.err().strip());
        assertFalse(Files.exists(tmp.resolve("run")));
    }

    @Test
    void refusesNegativeRoundsInOneLine(@TempDir Path tmp) throws Exception {
        Path data = TinyVoc.write(tmp.resolve("voc"), 4, 2, 1);
        for (String command : new String[] {"run", "demo"}) {
            CliRun r = command.equals("run")
                    ? CliRun.run("run", "--dataset", data.toString(), "--out", tmp.resolve("run").toString(), "--rounds", "-1")
                    : CliRun.run("demo", "--out", tmp.resolve("demo").toString(), "--rounds", "-1");
            assertEquals(2, r.code(), command);
            assertEquals("wiseseg: --rounds must be >= 0, got -1", r.err().strip(), command);
            assertFalse(Files.exists(tmp.resolve(command)), command); // refused before any work
        }
    }

    private static void delete(Path dir) throws Exception {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
