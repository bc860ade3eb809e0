package io.wiseseg.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.data.ImageFiles;
import io.wiseseg.data.RgbImage;
import io.wiseseg.kernels.Device;
import io.wiseseg.testing.TinyRun;
import io.wiseseg.testing.TraceFile;
import io.wiseseg.util.Trace;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A library user's trace: {@link Trace} around {@link Segmenter} calls from two threads at once. */
class SegmenterTraceTest {
    @TempDir
    Path tmp;

    @Test
    void twoThreadsSegmentingAtOnceGiveTwoTidsOfNestedStageSpans() throws Exception {
        List<Path> files = TinyRun.images();
        Path file = tmp.resolve("trace.json");
        Trace.Recording recording = Trace.start();
        Thread a, b;
        try (Segmenter segmenter = Segmenter.load(TinyRun.dir(), Device.cpu())) {
            CyclicBarrier together = new CyclicBarrier(2);
            a = worker("segment-a", () -> {
                segmenter.segment(files.get(0)); // decodes the file itself
                together.await();
                segmenter.segment(files.get(1));
            });
            b = worker("segment-b", () -> {
                RgbImage one = ImageFiles.readRgb(files.get(2)), two = ImageFiles.readRgb(files.get(3));
                together.await();
                segmenter.segmentBatch(List.of(one, two));
            });
            a.join();
            b.join();
        } finally {
            recording.stop();
        }
        recording.write(file);
        assertTrue(failures.isEmpty(), failures.toString());

        TraceFile t = TraceFile.read(file);
        t.assertNested();
        long main = Thread.currentThread().threadId();
        assertEquals(Set.of(main, a.threadId(), b.threadId()), t.tids(), "the loading thread and the two workers");
        assertEquals("segment-a", t.threadNames().get(a.threadId()));
        assertEquals("segment-b", t.threadNames().get(b.threadId()));
        assertEquals(1, t.named("load model").size());
        assertEquals(main, t.named("load model").getFirst().tid());

        List<TraceFile.Span> segments = t.named("segment");
        assertEquals(2, segments.size(), t.spans().toString());
        for (TraceFile.Span s : segments) {
            assertEquals(a.threadId(), s.tid());
            for (String stage : TraceFile.DETECTOR_STAGES) {
                assertEquals(1, t.within(s, stage).size(), stage + " once inside " + s + ": " + t.spans());
            }
        }
        // a's calls decode their files inside their segment spans; b decoded before its batch, outside it
        for (TraceFile.Span s : segments) {
            assertEquals(1, t.within(s, "decode").size(), s.toString());
        }
        assertEquals(2, t.named("decode").stream().filter(d -> d.tid() == b.threadId()).count());

        List<TraceFile.Span> batches = t.named("segment batch");
        assertEquals(1, batches.size());
        TraceFile.Span batch = batches.getFirst();
        assertEquals(b.threadId(), batch.tid());
        assertEquals("2", batch.arg("images"));
        // equal sizes: one model run for both images, one mask paste per image
        assertEquals(1, t.within(batch, "rpn").size());
        assertEquals(2, t.within(batch, "mask paste").size());
        assertEquals(2, t.within(batch, "mask threshold").size());
    }

    interface Work {
        void run() throws Exception;
    }

    private final List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();

    private Thread worker(String name, Work work) {
        Thread t = new Thread(() -> {
            try {
                work.run();
            } catch (Exception | AssertionError e) {
                failures.add(e);
            }
        }, name);
        t.start();
        return t;
    }
}
