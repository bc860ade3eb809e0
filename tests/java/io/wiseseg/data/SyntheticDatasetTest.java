package io.wiseseg.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticDatasetTest {
    private static final SyntheticDataset.Options SMALL = SyntheticDataset.Options.defaults().withImages(12);

    @TempDir
    Path tmp;

    private static Map<String, byte[]> files(Path root) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.filter(Files::isRegularFile).toList()) {
                out.put(root.relativize(p).toString(), Files.readAllBytes(p));
            }
        }
        return out;
    }

    @Test
    void sameSeedWritesIdenticalBytesAndAnotherSeedDoesNot() throws Exception {
        // one thread, then four: the images are drawn in parallel, and the files must not show it
        SyntheticDataset.generate(tmp.resolve("a"), SMALL, ProgressListener.NONE, 1);
        SyntheticDataset.generate(tmp.resolve("b"), SMALL, ProgressListener.NONE, 4);
        SyntheticDataset.generate(tmp.resolve("c"), SMALL.withSeed(1), ProgressListener.NONE);
        Map<String, byte[]> a = files(tmp.resolve("a")), b = files(tmp.resolve("b")), c = files(tmp.resolve("c"));
        assertEquals(a.keySet(), b.keySet());
        assertEquals(12 * 4 + 3 + 2, a.size());
        for (String name : a.keySet()) {
            assertArrayEquals(a.get(name), b.get(name), name);
        }
        assertEquals(a.keySet().stream().filter(n -> !n.equals("synthetic.txt")).toList(),
                c.keySet().stream().filter(n -> !n.equals("synthetic.txt")).toList());
        String image = "JPEGImages/synth_000000.png";
        assertFalse(java.util.Arrays.equals(a.get(image), c.get(image)));
        assertFalse(java.util.Arrays.equals(a.get("SegmentationObject/synth_000003.png"),
                c.get("SegmentationObject/synth_000003.png")));
    }

    /**
     * A file that cannot be written stops the generation with the dataset named; the other threads
     * stop too, and none writes after the call returns (the temporary folder is deleted cleanly).
     */
    @Test
    void aFailedWriteNamesTheDatasetAndStopsEveryThread() throws Exception {
        Path out = tmp.resolve("blocked");
        Files.createDirectories(out.resolve("JPEGImages").resolve("synth_000005.png"));
        SyntheticDataset.Options many = SMALL.withImages(400);
        DatasetException e = org.junit.jupiter.api.Assertions.assertThrows(DatasetException.class,
                () -> SyntheticDataset.generate(out, many, ProgressListener.NONE, 4));
        assertTrue(e.getMessage().contains(out.toString()) && e.getMessage().contains("cannot write"),
                e.getMessage());
        Map<String, byte[]> right = files(out);
        Thread.sleep(300);
        assertEquals(right.keySet(), files(out).keySet(), "files written after the failure was reported");
        assertTrue(right.size() < 4 * 400, "the other threads went on to the end: " + right.size() + " files");
    }

    @Test
    void vocDatasetReadsBackWhatWasGenerated() {
        VocDataset voc = SyntheticDataset.generate(tmp.resolve("s"), SMALL, ProgressListener.NONE);
        assertEquals(SyntheticDataset.CLASSES, voc.classes());
        assertEquals(List.of("train", "trainval", "val"), voc.splits());
        assertEquals(10, voc.ids("train").size());
        assertEquals(2, voc.ids("val").size());
        List<AnnotatedImage> all = voc.annotated("trainval");
        for (int i = 0; i < all.size(); i++) {
            SyntheticDataset.Generated g = SyntheticDataset.render(SMALL, i);
            AnnotatedImage a = all.get(i);
            assertEquals(g.id(), a.image().id());
            assertEquals(g.instances(), a.instances(), g.id());
            int[] labels = g.instances().stream().mapToInt(Instance::classId).sorted().distinct().toArray();
            assertArrayEquals(labels, a.image().labels(), g.id());
            assertEquals(0, a.voidMask().area());
            RgbImage read = voc.readImage(a.image());
            assertArrayEquals(g.image().rgb(), read.rgb(), g.id());
        }
    }

    @Test
    void jpegImagesAreReadableToo() {
        SyntheticDataset.Options o = new SyntheticDataset.Options(2, 64, 48, 5, 4, List.of("disc", "ring"),
                0.02, 0.5, true);
        VocDataset voc = SyntheticDataset.generate(tmp.resolve("j"), o, ProgressListener.NONE);
        LabelledImage img = voc.image("synth_000001");
        assertTrue(img.imagePath().toString().endsWith(".jpg"));
        RgbImage read = voc.readImage(img);
        assertEquals(64, read.width());
        assertEquals(48, read.height());
        for (Instance inst : voc.annotate(img).instances()) {
            assertTrue(inst.classId() == 0 || inst.classId() == 4);
        }
    }

    /**
     * The benchmark must reward real masks: a box filled as a mask should overlap the true mask
     * far less than perfectly, and scenes must have varied counts, sizes and classes.
     */
    @Test
    void boxesAreAPoorSubstituteForMasks() {
        SyntheticDataset.Options o = SyntheticDataset.Options.defaults().withImages(60);
        double iouSum = 0;
        int n = 0, small = 0;
        int[] perClass = new int[6];
        List<Integer> counts = new ArrayList<>();
        for (int i = 0; i < o.images(); i++) {
            SyntheticDataset.Generated g = SyntheticDataset.render(o, i);
            counts.add(g.instances().size());
            for (Instance inst : g.instances()) {
                Box b = inst.box();
                iouSum += inst.mask().area() / (double) b.area(); // the mask lies inside its box
                n++;
                small += inst.mask().area() < 32 * 32 ? 1 : 0;
                perClass[inst.classId()]++;
            }
        }
        double meanIou = iouSum / n;
        assertTrue(meanIou < 0.7, "mean IoU(box, mask) = " + meanIou);
        assertTrue(small > n / 3, "small objects: " + small + " of " + n);
        assertTrue(counts.stream().allMatch(c -> c >= 1 && c <= 8));
        assertTrue(counts.stream().distinct().count() >= 5, "instance counts " + counts);
        for (int c : perClass) {
            assertTrue(c > 0, "every class appears");
        }
    }

    /**
     * The simple family's pixels and label maps are pinned: adding another family (or touching the
     * shared writers) must not change what the demo and its committed results were made from.
     * The digest is of the first six default images as rendered at commit 19fa2fe.
     */
    @Test
    void theSimpleFamilyIsPinned() throws Exception {
        java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
        for (int i = 0; i < 6; i++) {
            SyntheticDataset.Generated g = SyntheticDataset.render(SyntheticDataset.Options.defaults(), i);
            md.update(g.image().rgb());
            md.update(g.objectIds());
            md.update(g.classIds());
        }
        assertEquals("a9d77d329de30815883d045e5b6497176df4e72998798154e27b690699dd4705",
                java.util.HexFormat.of().formatHex(md.digest()));
    }
}
