package io.wiseseg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo end to end at toy size: every stage runs, the oracles score as they must, it resumes. */
class DemoCommandTest {

    private static CliRun run(String... args) {
        return CliRun.run(args);
    }

    @Test
    void runsEveryStageAndResumes(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("demo");
        String[] args = {"demo", "--out", out.toString(), "--images", "30", "--epochs", "1", "--maskrcnn-epochs", "1",
            "--overlays", "2"};
        CliRun first = run(args);
        assertEquals(0, first.code(), first.err());
        assertTrue(first.out().contains("1/5 data: 30 images (27 train, 3 val)"), first.out());
        assertTrue(first.out().matches("(?s).*Mask R-CNN on pseudo masks \\(WISE\\)(\\s+\\d+\\.\\d){4}.*"), first.out());
        assertTrue(first.out().matches("(?s).*Mask R-CNN on GT masks \\(upper bound\\)(\\s+\\d+\\.\\d){4}.*"), first.out());
        assertTrue(first.out().contains("WISE's claim"), first.out());
        assertTrue(first.out().matches("(?s).*pseudo masks against the objects.*precision\\s+(\\d+\\.\\d %|-).*"), first.out());
        assertTrue(Files.readString(out.resolve("metrics-iou.json")).contains("\"duplicates\""));
        assertTrue(first.out().matches("(?s).*oracle: GT masks\\s+100\\.0\\s+100\\.0\\s+100\\.0\\s+100\\.0.*"), first.out());
        assertTrue(Files.isRegularFile(out.resolve("pseudo-iou-val.json")));
        assertTrue(Files.isRegularFile(out.resolve("pseudo-iou-train.json")));
        assertTrue(Files.isRegularFile(out.resolve("metrics-iou.json")));
        // no merge (the default) leaves run.json as it was before the setting existed: old folders resume
        assertTrue(!Files.readString(out.resolve("run.json")).contains("mergeIou"));
        assertTrue(!Files.readString(out.resolve("run.json")).contains("classConflictIou")); // likewise
        // the pseudo-mask settings are chosen on a tenth of the train images by default (issue #16)
        assertTrue(first.out().contains("2b/5"), first.out());
        assertTrue(Files.isRegularFile(out.resolve("tune.json")));
        assertTrue(Files.readString(out.resolve("run.json")).replaceAll("\\s", "").contains("\"tune\":{\"fraction\":0.1,"),
                Files.readString(out.resolve("run.json")));
        try (var pngs = Files.list(out.resolve("overlays-iou"))) {
            assertEquals(2, pngs.count());
        }
        for (String run : new String[] {"maskrcnn-iou", "maskrcnn-gt"}) {
            assertTrue(Files.isRegularFile(out.resolve(run).resolve("model.pt")), run);
            assertTrue(Files.isRegularFile(out.resolve(run).resolve("predictions-val.json")), run);
        }
        String html = Files.readString(out.resolve("report-iou.html"));
        assertTrue(html.contains("<td>Mask R-CNN on pseudo masks (WISE)</td>"), html);
        assertTrue(html.contains("src=\"overlays-iou/"), html);
        assertTrue(html.contains("<td>object recall</td>"), html);
        // `run` on the demo's data with the demo's settings is the demo: the same table
        CliRun run = run("run", "--device", "cpu", "--dataset", out.resolve("data").toString(), "--out", tmp.resolve("run").toString(),
                "--classifier-size", "160", "--min-size", "160", "--max-size", "160", "--epochs", "1",
                "--maskrcnn-epochs", "1", "--overlays", "2");
        assertEquals(0, run.code(), run.err());
        assertEquals(table(first.out()), table(run.out()));
        // a second run reuses data, checkpoints, pseudo masks and predictions and prints the same table
        CliRun again = run(args);
        assertEquals(0, again.code(), again.err());
        assertEquals(table(first.out()), table(again.out()));
        // other settings in the same folder are refused in one line
        CliRun other = run("demo", "--out", out.toString(), "--images", "40", "--epochs", "1");
        assertEquals(2, other.code());
        assertTrue(other.err().contains("other settings"), other.err());
    }

    /** The results table and the findings: what a run printed from its table header on. */
    static String table(String out) {
        return out.substring(out.indexOf("\nval ("));
    }
}
