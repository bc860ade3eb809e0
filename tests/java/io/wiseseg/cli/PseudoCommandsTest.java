package io.wiseseg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.VocDataset;
import io.wiseseg.proposals.Proposal;
import io.wiseseg.proposals.ProposalFiles;
import io.wiseseg.testing.SlowOverlaps;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PseudoCommandsTest {
    static final Path VOC = Path.of(System.getProperty("wiseseg.test.resources", "tests/resources")).resolve("voc-mini");

    @TempDir
    Path tmp;


    private static CliRun run(String... args) {
        return CliRun.run(args);
    }

    @Test
    void proposalsThenPseudoMasks() throws Exception {
        Path props = tmp.resolve("props");
        CliRun p = run("proposals", "--dataset", VOC.toString(), "--split", "trainval", "--out", props.toString(),
                "--mode", "single");
        assertEquals(0, p.code(), p.err());
        assertTrue(p.out().contains("computed"), p.out());
        CliRun again = run("proposals", "--dataset", VOC.toString(), "--split", "trainval", "--out", props.toString(),
                "--mode", "single");
        assertTrue(again.out().contains(": 0 computed"), again.out());
        proposalRecallMatchesAPerPixelCount(props);
        CliRun other = run("proposals", "--dataset", VOC.toString(), "--split", "trainval", "--out", props.toString(),
                "--mode", "fast");
        assertEquals(2, other.code());
        assertTrue(other.err().startsWith("wiseseg: " + props), other.err());

        // one point in the middle of each 40x30 image, class 1 (aeroplane) as the reference writes it
        Path points = tmp.resolve("points.json");
        StringBuilder json = new StringBuilder("{");
        for (String id : Files.readAllLines(VOC.resolve("ImageSets/Segmentation/trainval.txt"))) {
            if (!id.isBlank()) {
                json.append(json.length() > 1 ? "," : "").append('"').append(id.strip())
                        .append("\": [{\"cls\": 1, \"h\": 30, \"w\": 40, \"x\": 0.5, \"y\": 0.5}]");
            }
        }
        Files.writeString(points, json.append('}').toString());
        Path out = tmp.resolve("pseudo.json");
        CliRun pseudo = run("pseudo", "--dataset", VOC.toString(), "--split", "trainval", "--points", points.toString(),
                "--proposals", props.toString(), "--out", out.toString());
        assertEquals(0, pseudo.code(), pseudo.err());
        JsonNode results = new ObjectMapper().readTree(out.toFile());
        // every image gets one mask (the whole-image proposal holds every point): the best one holding (15, 20)
        assertEquals(2, results.size(), results.toString());
        ProposalFiles files = new ProposalFiles(props);
        for (JsonNode r : results) {
            assertEquals(1, r.get("category_id").asInt());
            String id = r.get("image_id").asText();
            float best = files.proposals(new LabelledImage(id, Path.of(id), 40, 30, new int[0]), () -> null).stream()
                    .filter(q -> q.mask().get(15, 20)).map(Proposal::score).max(Float::compare).orElseThrow();
            assertEquals(best, (float) r.get("score").asDouble(), id);
        }
    }

    /** {@code proposals --evaluate}'s "all" row against the best IoUs counted pixel by pixel. */
    private void proposalRecallMatchesAPerPixelCount(Path props) throws Exception {
        CliRun eval = run("proposals", "--dataset", VOC.toString(), "--split", "trainval", "--out", props.toString(),
                "--mode", "single", "--evaluate");
        assertEquals(0, eval.code(), eval.err());
        List<Double> best = SlowOverlaps.bestIous(VocDataset.open(VOC).annotated("trainval"), props, 0);
        int objects = best.size(), covered = (int) best.stream().filter(b -> b >= 0.5).count();
        double sum = best.stream().mapToDouble(Double::doubleValue).sum();
        assertTrue(objects > 0);
        String all = eval.out().lines().filter(l -> l.startsWith("  all ")).findFirst().orElseThrow(() -> new AssertionError(eval.out()));
        assertEquals(String.format(java.util.Locale.ROOT, "%.1f%% %.1f%% (%d of %d objects)", 100.0 * covered / objects,
                100 * sum / objects, covered, objects), all.substring(5).strip().replaceAll(" +", " "), eval.out());
        assertTrue(eval.out().contains("  10 "), eval.out());
    }

    @Test
    void pseudoMasksFromATrainedClassifier(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("synth"), runDir = tmp.resolve("run"), out = tmp.resolve("pseudo.json");
        assertEquals(0, run("dataset", "synth", "--out", data.toString(), "--images", "8", "--size", "64",
                "--max-instances", "2", "--val-fraction", "0.25").code());
        CliRun train = run("train-classifier", "--dataset", data.toString(), "--out", runDir.toString(), "--backbone",
                "resnet18", "--width", "8", "--image-size", "64", "--epochs", "1", "--batch-size", "3",
                "--backbone-lr-factor", "1", "--train-batchnorm");
        assertEquals(0, train.code(), train.err());
        for (String rule : new String[] {"iou", "prm"}) {
            Path file = tmp.resolve("pseudo-" + rule + ".json");
            CliRun p = run("pseudo", "--device", "cpu", "--dataset", data.toString(), "--split", "val", "--checkpoint", runDir.toString(),
                    "--rule", rule, "--peak-threshold", "0", "--out", file.toString(), "--evaluate");
            assertEquals(0, p.code(), p.err());
            assertTrue(p.out().contains("wrote pseudo masks of 2 images"), p.out());
            assertTrue(p.out().contains("AP50") && p.out().contains("ABO"), p.out());
            // after the AP tables, the pseudo masks against the objects
            assertTrue(p.out().indexOf("pseudo masks against the objects") > p.out().indexOf("AP50"), p.out());
            assertTrue(p.out().matches("(?s).*object recall\\s+\\d+\\.\\d %  \\(\\d+ of \\d+ objects hit\\).*"), p.out());
            assertTrue(p.out().matches("(?s).*duplicates\\s+\\d+  \\(.*"), p.out());
            assertTrue(Files.readString(file).startsWith("["));
            // selective search ran once per image and was cached beside the output
            try (var cached = Files.list(tmp.resolve("pseudo-" + rule + ".json.proposals"))) {
                assertTrue(cached.anyMatch(f -> f.getFileName().toString().endsWith(".json")));
            }
        }
        // --merge-iou 1: seeds of one class that chose the same proposal become one pseudo mask
        Path merged = tmp.resolve("pseudo-merged.json");
        CliRun m = run("pseudo", "--dataset", data.toString(), "--split", "val", "--checkpoint", runDir.toString(),
                "--peak-threshold", "0", "--merge-iou", "1", "--out", merged.toString());
        assertEquals(0, m.code(), m.err());
        assertTrue(Files.readString(tmp.resolve("pseudo-merged.json.parts").resolve("SETTINGS"))
                .contains("; merge same-class iou>=1.0"));
        assertTrue(new ObjectMapper().readTree(merged.toFile()).size()
                <= new ObjectMapper().readTree(tmp.resolve("pseudo-iou.json").toFile()).size());
        CliRun badMerge = run("pseudo", "--dataset", data.toString(), "--split", "val", "--checkpoint",
                runDir.toString(), "--merge-iou", "1.5", "--out", merged.toString());
        assertEquals(2, badMerge.code());
        assertTrue(badMerge.err().contains("--merge-iou must be in (0, 1], got 1.5"), badMerge.err());
        // --class-conflict-iou: one class per object, recorded with the settings; no two kept masks of
        // different classes overlap at that IoU
        Path oneClass = tmp.resolve("pseudo-one-class.json");
        CliRun oc = run("pseudo", "--dataset", data.toString(), "--split", "val", "--checkpoint", runDir.toString(),
                "--peak-threshold", "0", "--class-conflict-iou", "0.5", "--out", oneClass.toString());
        assertEquals(0, oc.code(), oc.err());
        assertTrue(Files.readString(tmp.resolve("pseudo-one-class.json.parts").resolve("SETTINGS"))
                .contains("; one class per object: classes overlapping at iou>=0.5"));
        var dataset = io.wiseseg.data.VocDataset.open(data);
        var blank = new io.wiseseg.data.CocoDataset(dataset.classes(),
                io.wiseseg.data.CocoDataset.defaultCategoryIds(dataset.classes()), dataset.annotated("val"),
                java.util.Map.of());
        for (var image : io.wiseseg.data.CocoJson.readResults(oneClass, blank)) {
            var in = image.instances();
            for (int i = 0; i < in.size(); i++) {
                for (int j = i + 1; j < in.size(); j++) {
                    assertTrue(in.get(i).classId() == in.get(j).classId() || in.get(i).mask().iou(in.get(j).mask()) < 0.5,
                            image.imageId());
                }
            }
        }
        CliRun badClasses = run("pseudo", "--dataset", data.toString(), "--split", "val", "--checkpoint",
                runDir.toString(), "--class-conflict-iou", "0", "--out", oneClass.toString());
        assertEquals(2, badClasses.code());
        assertTrue(badClasses.err().contains("--class-conflict-iou must be in (0, 1], got 0.0"), badClasses.err());
        // with image labels, every pseudo mask is of a class the image is labelled with
        Path labelled = tmp.resolve("pseudo-labels.json");
        CliRun l = run("pseudo", "--dataset", data.toString(), "--split", "val", "--checkpoint", runDir.toString(),
                "--image-labels", "--peak-threshold", "1e9", "--out", labelled.toString());
        assertEquals(0, l.code(), l.err());
        io.wiseseg.data.VocDataset voc = io.wiseseg.data.VocDataset.open(data);
        var images = voc.annotated("val");
        var predictions = io.wiseseg.data.CocoJson.readResults(labelled, new io.wiseseg.data.CocoDataset(voc.classes(),
                io.wiseseg.data.CocoDataset.defaultCategoryIds(voc.classes()), images, java.util.Map.of()));
        for (int i = 0; i < images.size(); i++) {
            var li = images.get(i).image();
            java.util.Set<Integer> classes = new java.util.TreeSet<>();
            predictions.get(i).instances().forEach(in -> classes.add(in.classId()));
            // a threshold no peak passes: each labelled class keeps its strongest peak, one seed each
            assertEquals(li.labels().length, predictions.get(i).instances().size() + unselected(predictions.get(i), li),
                    "image " + li.id());
            for (int c : classes) {
                assertTrue(li.hasLabel(c), "image " + li.id() + " has a pseudo mask of unlabelled class " + c);
            }
        }
        // the classifier's backbone must match the Mask R-CNN's (small: ResNet-18 at width 16)
        CliRun mismatch = run("train-maskrcnn", "--dataset", data.toString(), "--out", tmp.resolve("mr").toString(),
                "--model", "small", "--backbone-from-classifier", runDir.toString(), "--epochs", "1");
        assertEquals(2, mismatch.code());
        assertTrue(mismatch.err().contains("width 8") && mismatch.err().contains("width 16"), mismatch.err());
        CliRun oracle = run("pseudo", "--dataset", data.toString(), "--split", "val", "--oracle-points",
                "--out", tmp.resolve("oracle.json").toString(), "--evaluate");
        assertEquals(0, oracle.code(), oracle.err());
        assertTrue(oracle.out().contains("AP50"), oracle.out());
        CliRun bad = run("pseudo", "--dataset", data.toString(), "--split", "val", "--points",
                tmp.resolve("x.json").toString(), "--rule", "iou", "--proposals", tmp.toString(), "--out", out.toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("needs peak response maps"), bad.err());
    }

    /** Seeds whose best IoU was 0 get no mask: count the labelled classes left without one. */
    private static int unselected(io.wiseseg.data.ImagePrediction p, io.wiseseg.data.LabelledImage li) {
        java.util.Set<Integer> got = new java.util.HashSet<>();
        p.instances().forEach(in -> got.add(in.classId()));
        int missing = 0;
        for (int c : li.labels()) {
            missing += got.contains(c) ? 0 : 1;
        }
        return missing;
    }
}
