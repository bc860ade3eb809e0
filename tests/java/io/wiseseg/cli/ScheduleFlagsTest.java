package io.wiseseg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.data.ProgressListener;
import io.wiseseg.data.SyntheticDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * --iterations, --lr-steps and --lr-gamma of train-maskrcnn and train-classifier, and their
 * --maskrcnn-* / --classifier-* forms in run and demo: a bad schedule is one line naming the flag,
 * before any data is read; a run by iterations trains, records its schedule and refuses another on
 * --resume.
 */
class ScheduleFlagsTest {
    private static void assertOneLineError(String expected, String... args) {
        CliRun r = CliRun.run(args);
        assertEquals(2, r.code(), r.out() + r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertEquals("wiseseg: " + expected, r.err().strip());
    }

    @Test
    void badSchedulesAreOneLineErrors(@TempDir Path tmp) {
        String data = tmp.resolve("no-such-dataset").toString(), out = tmp.resolve("out").toString();
        for (String command : List.of("train-maskrcnn", "train-classifier")) {
            assertOneLineError("--iterations must be >= 1, got -5",
                    command, "--dataset", data, "--out", out, "--iterations", "-5");
            assertOneLineError("--iterations must be >= 1, got 0",
                    command, "--dataset", data, "--out", out, "--iterations", "0");
            assertOneLineError("--lr-steps must increase, got 500,400",
                    command, "--dataset", data, "--out", out, "--iterations", "1000", "--lr-steps", "500,400");
            assertOneLineError("--lr-steps must increase, got 500,500",
                    command, "--dataset", data, "--out", out, "--lr-steps", "500,500");
            assertOneLineError("--lr-steps must be below --iterations 1000, got 1000",
                    command, "--dataset", data, "--out", out, "--iterations", "1000", "--lr-steps", "600,1000");
            assertOneLineError("--lr-steps must be >= 1, got -3",
                    command, "--dataset", data, "--out", out, "--lr-steps", "-3");
            assertOneLineError("--lr-gamma must be > 0, got 0.0",
                    command, "--dataset", data, "--out", out, "--lr-gamma", "0");
            assertOneLineError("give one of --epochs and --iterations",
                    command, "--dataset", data, "--out", out, "--epochs", "3", "--iterations", "100");
        }
        assertOneLineError("--maskrcnn-iterations must be >= 1, got -1",
                "run", "--dataset", data, "--out", out, "--maskrcnn-iterations", "-1");
        assertOneLineError("--classifier-lr-steps must be below --classifier-iterations 50, got 50",
                "run", "--dataset", data, "--out", out, "--classifier-iterations", "50", "--classifier-lr-steps", "50");
        assertOneLineError("give one of --maskrcnn-epochs and --maskrcnn-iterations",
                "demo", "--out", out, "--maskrcnn-epochs", "4", "--maskrcnn-iterations", "900");
        assertOneLineError("--maskrcnn-lr-steps must increase, got 450,300",
                "demo", "--out", out, "--maskrcnn-iterations", "900", "--maskrcnn-lr-steps", "450,300");
        assertOneLineError("give one of --epochs and --classifier-iterations",
                "demo", "--out", out, "--epochs", "4", "--classifier-iterations", "900");
        assertTrue(Files.notExists(tmp.resolve("out")), "refused before anything was written");
    }

    @Test
    void trainMaskRcnnByIterationsResumesAndRefusesAnotherSchedule(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("synth");
        SyntheticDataset.generate(data, new SyntheticDataset.Options(4, 64, 64, 2, 2, List.of("disc", "square"), 0.02,
                0.5, false), ProgressListener.NONE);
        Path out = tmp.resolve("run");
        // 2 train images in batches of 2: 3 iterations are 3 epochs of one step
        String[] common = {"train-maskrcnn", "--dataset", data.toString(), "--out", out.toString(), "--model", "small",
            "--min-size", "64", "--max-size", "64", "--batch-size", "2", "--lr", "0.01", "--warmup", "1",
            "--threads", "1"};
        CliRun t = CliRun.run(concat(common, "--iterations", "3", "--lr-steps", "2", "--lr-gamma", "0.5"));
        assertEquals(0, t.code(), t.err());
        assertTrue(t.out().contains("3 iterations: 3 epochs of 1 steps") && t.out().contains("epoch 3:"), t.out());
        String config = Files.readString(out.resolve("config.json")).replaceAll("\\s", "");
        assertTrue(config.contains("\"iterations\":3") && config.contains("\"decaySteps\":[2]")
                && config.contains("\"decayFactor\":0.5"), config);
        CliRun again = CliRun.run(concat(common, "--iterations", "3", "--lr-steps", "2", "--lr-gamma", "0.5", "--resume"));
        assertEquals(0, again.code(), again.err());
        assertTrue(!again.out().contains("epoch 1:"), "a finished run trains no more: " + again.out());
        CliRun other = CliRun.run(concat(common, "--iterations", "4", "--lr-steps", "2", "--lr-gamma", "0.5", "--resume"));
        assertEquals(2, other.code(), other.out());
        assertEquals(1, other.err().strip().lines().count(), other.err());
        assertTrue(other.err().contains("cannot resume: the schedule differs") && other.err().contains("iterations: 3 → 4"),
                other.err());
    }

    @Test
    void trainClassifierByIterations(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("synth"), out = tmp.resolve("prm");
        assertEquals(0, CliRun.run("dataset", "synth", "--out", data.toString(), "--images", "8", "--size", "64",
                "--max-instances", "2", "--val-fraction", "0.25").code());
        String[] common = {"train-classifier", "--dataset", data.toString(), "--out", out.toString(), "--backbone",
            "resnet18", "--width", "8", "--image-size", "64", "--batch-size", "3", "--backbone-lr-factor", "1",
            "--train-batchnorm", "--checkpoint-every", "2"};
        // 6 train images in batches of 3: 5 iterations are two epochs and a step
        CliRun t = CliRun.run(concat(common, "--iterations", "5", "--lr-steps", "3"));
        assertEquals(0, t.code(), t.err());
        assertTrue(t.out().startsWith("trained 5 steps"), t.out());
        CliRun other = CliRun.run(concat(common, "--iterations", "5", "--lr-steps", "4", "--resume"));
        assertEquals(2, other.code(), other.out());
        assertTrue(other.err().contains("(lrSteps: [3] → [4])"), other.err());
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
