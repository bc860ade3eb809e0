package io.wiseseg.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.data.ImageFiles;
import io.wiseseg.data.RgbImage;
import io.wiseseg.data.SyntheticDataset;
import io.wiseseg.kernels.Device;
import io.wiseseg.testing.SameSegments;
import io.wiseseg.testing.TinyRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Segmenter: what it returns, its errors, its threads, its native memory and its close(). */
class SegmenterTest {
    private static Segmenter segmenter;
    private static List<Path> images;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() {
        images = TinyRun.images();
        segmenter = Segmenter.load(TinyRun.dir(), Device.cpu());
    }

    @AfterAll
    static void close() {
        segmenter.close();
    }

    @Test
    void segmentsWithTheRunsClassNamesAtTheImagesSize() throws IOException {
        assertEquals(SyntheticDataset.CLASSES, segmenter.classes());
        int found = 0;
        for (Path image : images) {
            RgbImage rgb = ImageFiles.readRgb(image);
            List<Segment> fromFile = segmenter.segment(image);
            assertEquals(fromFile, segmenter.segment(Files.readAllBytes(image)), "bytes vs file: " + image);
            assertEquals(fromFile, segmenter.segment(rgb), "pixels vs file: " + image);
            float last = Float.MAX_VALUE;
            for (Segment s : fromFile) {
                assertEquals(segmenter.classes().name(s.classId()), s.className());
                assertTrue(s.score() > 0 && s.score() <= last, "scores in (0, 1], best first: " + s.score());
                last = s.score();
                assertEquals(rgb.height(), s.mask().height());
                assertEquals(rgb.width(), s.mask().width());
                assertTrue(s.box().x1() >= 0 && s.box().x2() <= rgb.width() && s.box().width() > 0, s.box().toString());
                assertEquals(s.classId(), s.instance().classId());
            }
            found += fromFile.size();
        }
        assertTrue(found > 0, "the tiny run found nothing in its own training images");
    }

    @Test
    void badInputFailsNamingTheFileOrTheProblem() throws IOException {
        Path missing = tmp.resolve("missing.jpg");
        assertMessage(missing + ": file not found", () -> segmenter.segment(missing));

        byte[] jpeg = Files.readAllBytes(images.get(0));
        Path truncated = tmp.resolve("truncated.jpg");
        Files.write(truncated, Arrays.copyOf(jpeg, jpeg.length / 2));
        assertMessage(truncated + ": truncated JPEG", () -> segmenter.segment(truncated));
        assertMessage("encoded image (" + jpeg.length / 2 + " bytes): truncated JPEG",
                () -> segmenter.segment(Arrays.copyOf(jpeg, jpeg.length / 2)));

        Path text = Files.writeString(tmp.resolve("notes.jpg"), "not an image");
        assertMessage(text + ": not a JPEG or PNG file", () -> segmenter.segment(text));
        assertMessage("encoded image (0 bytes): empty file", () -> segmenter.segment(new byte[0]));
        assertMessage("cannot segment an image of 0x0 pixels", () -> segmenter.segment(new RgbImage(0, 0, new byte[0])));
        // a header that says JPEG, a body that is not one
        byte[] garbage = new byte[200];
        new java.util.Random(3).nextBytes(garbage);
        garbage[0] = (byte) 0xFF;
        garbage[1] = (byte) 0xD8;
        garbage[2] = (byte) 0xFF;
        garbage[198] = (byte) 0xFF;
        garbage[199] = (byte) 0xD9;
        assertMessage("encoded image (200 bytes): ", () -> segmenter.segment(garbage));
    }

    @Test
    void oddImageSizesDoNotBreakTheModel() {
        for (int[] size : new int[][] {{1, 1}, {1, 300}, {300, 1}, {7, 5}}) {
            List<Segment> out = segmenter.segment(new RgbImage(size[0], size[1], new byte[size[0] * size[1] * 3]));
            for (Segment s : out) {
                assertEquals(size[1], s.mask().height());
                assertEquals(size[0], s.mask().width());
            }
        }
    }

    /**
     * Two threads segmenting at once get what one thread gets alone. The reference also runs on
     * a pool thread, so that both sides see the same LibTorch thread settings.
     */
    @Test
    void concurrentCallsGetTheSequentialResults() throws Exception {
        List<RgbImage> rgb = images.stream().map(ImageFiles::readRgb).toList();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<List<Segment>> expected = pool.submit(() -> rgb.stream().map(segmenter::segment).toList()).get();
            List<Callable<List<List<Segment>>>> work = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                int shift = t;
                work.add(() -> {
                    List<List<Segment>> got = new ArrayList<>(rgb.size());
                    rgb.forEach(i -> got.add(null));
                    for (int round = 0; round < 3; round++) { // the two threads in different orders
                        for (int k = 0; k < rgb.size(); k++) {
                            int i = (k + shift * 2 + round) % rgb.size();
                            List<Segment> s = segmenter.segment(rgb.get(i));
                            if (got.get(i) != null && !got.get(i).equals(s)) {
                                throw new AssertionError("image " + i + " changed between calls of one thread");
                            }
                            got.set(i, s);
                        }
                    }
                    return got;
                });
            }
            for (Future<List<List<Segment>>> f : pool.invokeAll(work)) {
                assertEquals(expected, f.get());
            }
        } finally {
            pool.shutdown();
        }
    }

    /**
     * A batch gets, image by image, what one call per image gets, to float32 rounding (the batch's
     * GEMMs sum in another order; {@link SameSegments}). The tiny run's four 64×64 images and a
     * 64×48 crop of one (resized to 48×64, padded to 64×64 as the others, with the same pooling
     * scales) run as one padded batch. A black 7×5 image and a black 64×45 one are padded to
     * 64×64 too, but from 45 rows their stride-4 pooling scale rounds to 1/2, not 1/4 (alone,
     * either finds 100 instances, which a batch with a 64×64 image would change): they run as a
     * second batch. Pool threads on both sides, as above.
     */
    @Test
    void aBatchGetsTheOneAtATimeResults() throws Exception {
        List<RgbImage> batch = new ArrayList<>(images.stream().map(ImageFiles::readRgb).toList());
        RgbImage first = batch.get(0);
        byte[] cropped = Arrays.copyOf(first.rgb(), 48 * 64 * 3); // the top 48 rows: another padded size
        batch.add(1, new RgbImage(64, 48, cropped));
        batch.add(new RgbImage(7, 5, new byte[7 * 5 * 3]));
        batch.add(2, new RgbImage(64, 45, new byte[64 * 45 * 3]));
        batch.add(batch.get(3)); // the same image twice in one batch
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            List<List<Segment>> alone = pool.submit(() -> batch.stream().map(segmenter::segment).toList()).get();
            io.wiseseg.util.Trace.Recording recording = io.wiseseg.util.Trace.start();
            List<List<Segment>> together;
            try {
                together = pool.submit(() -> segmenter.segmentBatch(batch)).get();
            } finally {
                recording.stop();
            }
            Path trace = tmp.resolve("batch-trace.json");
            recording.write(trace);
            List<io.wiseseg.testing.TraceFile.Span> runs = io.wiseseg.testing.TraceFile.read(trace).named("rpn");
            assertEquals(2, runs.size(), "two padded batches: " + runs);
            assertEquals(batch.size(), together.size());
            for (int i = 0; i < batch.size(); i++) {
                SameSegments.check(alone.get(i), together.get(i), "image " + i + " of the batch");
            }
            assertTrue(alone.stream().mapToInt(List::size).sum() > 0, "nothing found: the test would prove nothing");
        } finally {
            pool.shutdown();
        }
        assertEquals(List.of(), segmenter.segmentBatch(List.of()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> segmenter.segmentBatch(List.of(first, new RgbImage(0, 3, new byte[0]))));
        assertEquals("cannot segment image 1 of the batch: it has 0x3 pixels", e.getMessage());
    }

    @Test
    void manyCallsLeaveNoNativeObjectsBehind() {
        RgbImage rgb = ImageFiles.readRgb(images.get(3));
        segmenter.segment(rgb);
        long before = Pointer.totalCount();
        for (int i = 0; i < 50; i++) {
            segmenter.segment(rgb);
        }
        long after = Pointer.totalCount();
        assertTrue(after <= before, "live JavaCPP pointers " + before + " -> " + after + " over 50 calls");
    }

    @Test
    void closeFreesTheModelAndLaterCallsFail() {
        RgbImage rgb = ImageFiles.readRgb(images.get(0));
        long before = Pointer.totalCount();
        Segmenter own = Segmenter.load(TinyRun.dir(), Device.cpu());
        long loaded = Pointer.totalCount();
        own.segment(rgb);
        own.close();
        long closed = Pointer.totalCount();
        assertTrue(loaded > before + 100, "loading made " + (loaded - before) + " native objects");
        assertTrue(closed <= before, "live JavaCPP pointers: " + before + " before load, " + loaded + " loaded, "
                + closed + " after close");
        own.close(); // a second close does nothing
        assertThrows(IllegalStateException.class, () -> own.segment(rgb));
        assertThrows(IllegalStateException.class, () -> own.segment(images.get(0)));
        assertThrows(IllegalStateException.class, () -> own.segment(new byte[] {1}));
    }

    @Test
    void aLoadInsideTheCallersScopeOutlivesIt() {
        RgbImage rgb = ImageFiles.readRgb(images.get(3));
        Segmenter own;
        try (org.bytedeco.javacpp.PointerScope callers = new org.bytedeco.javacpp.PointerScope()) {
            own = Segmenter.load(TinyRun.dir(), Device.cpu());
        }
        try (own) {
            assertEquals(segmenter.segment(rgb), own.segment(rgb));
        }
    }

    @Test
    void badRunsFailInOneLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Segmenter.load(tmp, Device.cpu()));
        assertEquals(tmp + ": not a train-maskrcnn folder (no config.json)", e.getMessage());
    }

    private static void assertMessage(String start, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().startsWith(start), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }
}
