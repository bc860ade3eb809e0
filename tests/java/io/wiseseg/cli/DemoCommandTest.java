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
        CliRun first = run("demo", "--out", out.toString(), "--images", "30", "--epochs", "1", "--overlays", "2");
        assertEquals(0, first.code(), first.err());
        assertTrue(first.out().contains("1/4 data: 30 synthetic images"), first.out());
        assertTrue(first.out().matches("(?s).*oracle: GT masks\\s+100\\.0\\s+100\\.0\\s+100\\.0\\s+100\\.0.*"), first.out());
        assertTrue(Files.isRegularFile(out.resolve("pseudo-iou-val.json")));
        assertTrue(Files.isRegularFile(out.resolve("pseudo-iou-train.json")));
        assertTrue(Files.isRegularFile(out.resolve("metrics-iou.json")));
        try (var pngs = Files.list(out.resolve("overlays-iou"))) {
            assertEquals(2, pngs.count());
        }
        // a second run reuses data, checkpoint and pseudo masks and prints the same table
        CliRun again = run("demo", "--out", out.toString(), "--images", "30", "--epochs", "1", "--overlays", "2");
        assertEquals(0, again.code(), again.err());
        assertEquals(table(first.out()), table(again.out()));
        // other settings in the same folder are refused in one line
        CliRun other = run("demo", "--out", out.toString(), "--images", "40", "--epochs", "1");
        assertEquals(2, other.code());
        assertTrue(other.err().contains("other settings"), other.err());
    }

    private static String table(String out) {
        return out.substring(out.indexOf("val ("), out.indexOf("4/4"));
    }
}
