package io.wiseseg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.testing.TinyRun;
import io.wiseseg.testing.TraceFile;
import io.wiseseg.util.Trace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --trace FILE}: the file the long commands write, read back as a trace viewer would. */
class TraceOptionTest {
    @TempDir
    Path tmp;

    /** A predict on the tiny run: one image span per file, each holding its decode and the detector's stages. */
    @Test
    void predictWritesNestedSpansOfEveryStagePerImage() throws Exception {
        Path run = TinyRun.dir();
        List<Path> files = TinyRun.images();
        Path trace = tmp.resolve("predict.json");
        CliRun r = CliRun.run("predict", "--checkpoint", run.toString(), "--images", files.getFirst().getParent().toString(),
                "--out", tmp.resolve("preds.json").toString(), "--threads", "1", "--trace", trace.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("wiseseg: wrote " + trace + " ("), r.err());
        assertFalse(Trace.enabled(), "the recording ends with the command");

        TraceFile t = TraceFile.read(trace);
        t.assertNested();
        long me = Thread.currentThread().threadId(); // the command ran on this thread
        assertEquals(Set.of(me), t.tids());
        assertEquals(Thread.currentThread().getName(), t.threadNames().get(me));
        Set<String> expected = new HashSet<>(List.of("load model", "image", "decode", "segment", "encode"));
        expected.addAll(TraceFile.DETECTOR_STAGES);
        assertTrue(t.names().containsAll(expected), "missing " + difference(expected, t.names()));

        List<TraceFile.Span> images = t.named("image");
        assertEquals(files.size(), images.size());
        for (int i = 0; i < files.size(); i++) {
            String name = files.get(i).getFileName().toString();
            TraceFile.Span image = images.get(i);
            assertEquals(name.substring(0, name.lastIndexOf('.')), image.arg("id"));
            assertEquals(1, t.within(image, "decode").size(), image.toString());
            List<TraceFile.Span> segment = t.within(image, "segment");
            assertEquals(1, segment.size(), image.toString());
            for (String stage : TraceFile.DETECTOR_STAGES) {
                assertEquals(1, t.within(segment.getFirst(), stage).size(), stage + " in " + image);
            }
            TraceFile.Span roi = t.within(segment.getFirst(), "roi heads").getFirst();
            for (String head : List.of("box head", "box selection", "mask head")) {
                assertEquals(1, t.within(roi, head).size(), head + " inside roi heads");
            }
        }
        TraceFile.Span encode = t.named("encode").getFirst();
        assertTrue(images.stream().allMatch(i -> i.end() <= encode.ts()), "the results file is written after the images");
    }

    /** The classifier's training steps and the pseudo-mask stages, on a classifier trained for one epoch. */
    @Test
    void trainClassifierAndPseudoWriteTheirStages() throws Exception {
        Path data = tmp.resolve("synth"), prm = tmp.resolve("prm");
        assertEquals(0, CliRun.run("dataset", "synth", "--out", data.toString(), "--images", "6", "--size", "64",
                "--max-instances", "2", "--val-fraction", "0.34").code());
        Path trainTrace = tmp.resolve("train.json");
        CliRun train = CliRun.run("train-classifier", "--dataset", data.toString(), "--out", prm.toString(), "--backbone",
                "resnet18", "--width", "8", "--image-size", "64", "--epochs", "1", "--batch-size", "2",
                "--backbone-lr-factor", "1", "--train-batchnorm", "--trace", trainTrace.toString());
        assertEquals(0, train.code(), train.err());
        TraceFile t = TraceFile.read(trainTrace);
        t.assertNested();
        long trainImages = Files.readAllLines(data.resolve("ImageSets/Segmentation/train.txt")).stream()
                .filter(s -> !s.isBlank()).count();
        List<TraceFile.Span> steps = t.named("train step");
        assertEquals((trainImages + 1) / 2, steps.size(), "one epoch of " + trainImages + " images in batches of 2");
        for (TraceFile.Span step : steps) {
            for (String part : List.of("batch input", "forward", "backward", "optimizer step")) {
                assertEquals(1, t.within(step, part).size(), part + " in " + step);
            }
            assertEquals(Integer.parseInt(step.arg("images")), t.within(t.within(step, "batch input").getFirst(), "decode")
                    .size(), "each image of the batch decoded: " + step);
        }
        assertFalse(t.named("checkpoint").isEmpty());

        Path pseudoTrace = tmp.resolve("pseudo.json");
        CliRun pseudo = CliRun.run("pseudo", "--dataset", data.toString(), "--split", "val", "--checkpoint", prm.toString(),
                "--peak-threshold", "0", "--out", tmp.resolve("pseudo-val.json").toString(), "--trace", pseudoTrace.toString());
        assertEquals(0, pseudo.code(), pseudo.err());
        TraceFile p = TraceFile.read(pseudoTrace);
        p.assertNested();
        List<String> valIds = Files.readAllLines(data.resolve("ImageSets/Segmentation/val.txt")).stream()
                .filter(s -> !s.isBlank()).toList();
        List<TraceFile.Span> images = p.named("image");
        assertEquals(valIds, images.stream().map(i -> i.arg("id")).toList());
        for (TraceFile.Span image : images) {
            TraceFile.Span evidence = one(p, image, "evidence");
            one(p, evidence, "image input");
            one(p, evidence, "decode");
            TraceFile.Span maps = one(p, evidence, "peaks + response maps");
            for (String stage : List.of("classifier forward", "peaks", "peak response maps")) {
                one(p, maps, stage);
            }
            one(p, evidence, "proposals");
            one(p, image, "scoring + selection");
            one(p, image, "encode");
        }
    }

    @Test
    void aTraceIntoAMissingFolderFailsBeforeTheCommandRuns() {
        Path nowhere = tmp.resolve("no/such/folder/t.json");
        CliRun r = CliRun.run("predict", "--checkpoint", tmp.toString(), "--images", tmp.toString(), "--out",
                tmp.resolve("p.json").toString(), "--trace", nowhere.toString());
        assertEquals(2, r.code());
        assertEquals("wiseseg: --trace " + nowhere + ": no such folder " + nowhere.getParent() + "\n", r.err());
        assertFalse(Files.exists(tmp.resolve("p.json")));
    }

    @Test
    void aFailingCommandStillWritesItsTrace() throws Exception {
        Path trace = tmp.resolve("failed.json");
        CliRun r = CliRun.run("predict", "--checkpoint", tmp.toString(), "--images", tmp.toString(), "--out",
                tmp.resolve("p.json").toString(), "--trace", trace.toString());
        assertEquals(2, r.code()); // not a run folder
        assertTrue(r.err().contains("not a train-maskrcnn folder"), r.err());
        assertTrue(TraceFile.read(trace).spans().stream().allMatch(s -> s.name().equals("load model")));
        assertFalse(Trace.enabled());
    }

    private static TraceFile.Span one(TraceFile t, TraceFile.Span parent, String name) {
        List<TraceFile.Span> in = t.within(parent, name);
        assertEquals(1, in.size(), name + " once in " + parent + ": " + in);
        return in.getFirst();
    }

    private static Set<String> difference(Set<String> a, Set<String> b) {
        Set<String> d = new HashSet<>(a);
        d.removeAll(b);
        return d;
    }
}
