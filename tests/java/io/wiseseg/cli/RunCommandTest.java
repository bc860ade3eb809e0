package io.wiseseg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.testing.TinyVoc;
import java.nio.file.Files;
import java.nio.file.Path;
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

    @Test
    void refusesAMissingSplitInOneLine(@TempDir Path tmp) throws Exception {
        Path data = TinyVoc.write(tmp.resolve("voc"), 4, 2, 1);
        CliRun r = CliRun.run("run", "--dataset", data.toString(), "--out", tmp.resolve("run").toString(),
                "--eval-split", "test");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("no split 'test' (has [train, val])"), r.err());
    }
}
