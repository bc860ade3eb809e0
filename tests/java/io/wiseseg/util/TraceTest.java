package io.wiseseg.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.testing.TraceFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Trace} on its own: what it records, from which threads, and the file it writes. */
class TraceTest {
    @TempDir
    Path tmp;

    private Trace.Recording recording;

    @AfterEach
    void stop() {
        if (recording != null) {
            recording.stop();
        }
    }

    @Test
    void offIsOneSharedNoOpThatRecordsNothing() throws Exception {
        assertFalse(Trace.enabled());
        Trace.Span a = Trace.span("a"), b = Trace.span("b", "cat").arg("k", 1);
        assertSame(a, b); // no allocation per span while off
        a.close();
        recording = Trace.start();
        assertTrue(Trace.enabled());
        assertEquals(0, recording.eventCount(), "spans made while off are not kept");
        b.close(); // a no-op span closed during a recording is still nothing
        assertEquals(0, recording.eventCount());
    }

    @Test
    void nestedSpansOfOneThreadAreWrittenAsCompleteEventsWithItsIdAndName() throws Exception {
        recording = Trace.start();
        long before = System.nanoTime();
        try (Trace.Span outer = Trace.span("outer", "test").arg("image", "img_1").arg("n", 3)) {
            try (Trace.Span inner = Trace.span("inner", "test")) {
                Thread.sleep(3);
            }
            try (Trace.Span second = Trace.span("second")) {
                Thread.sleep(2);
            }
        }
        long after = System.nanoTime();
        Trace.complete("timed elsewhere", "test", before, after);
        Path file = tmp.resolve("t.json");
        recording.stop().write(file);

        TraceFile t = TraceFile.read(file);
        t.assertNested();
        assertEquals(4, t.spans().size(), t.spans().toString());
        assertEquals(ProcessHandle.current().pid(), t.pid());
        long me = Thread.currentThread().threadId();
        assertEquals(java.util.Set.of(me), t.tids());
        assertEquals(Thread.currentThread().getName(), t.threadNames().get(me));
        TraceFile.Span outer = t.named("outer").getFirst(), inner = t.named("inner").getFirst();
        TraceFile.Span second = t.named("second").getFirst(), whole = t.named("timed elsewhere").getFirst();
        assertEquals("test", outer.category());
        assertEquals(Trace.DEFAULT_CATEGORY, second.category());
        assertEquals("img_1", outer.arg("image"));
        assertEquals(3, outer.args().get("n").asInt());
        assertTrue(outer.contains(inner) && outer.contains(second) && whole.contains(outer), t.spans().toString());
        assertTrue(inner.end() <= second.ts(), "inner ended before second began: " + inner + " " + second);
        assertTrue(inner.dur() >= 3000 && second.dur() >= 2000, "slept 3 and 2 ms: " + inner + " " + second);
        assertTrue(outer.dur() >= inner.dur() + second.dur(), outer.toString());
        assertEquals(0, t.root().path("otherData").path("dropped_events").asLong(-1));
    }

    @Test
    void twoThreadsGiveTwoTidsWithTheirNames() throws Exception {
        recording = Trace.start();
        CyclicBarrier together = new CyclicBarrier(2);
        Runnable work = () -> {
            try (Trace.Span s = Trace.span("work")) {
                together.await(); // both spans open at once
                try (Trace.Span c = Trace.span("child")) {
                    Thread.sleep(1);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        Thread a = new Thread(work, "trace-test-a"), b = new Thread(work, "trace-test-b");
        Thread v = Thread.ofVirtual().unstarted(() -> Trace.span("virtual").close()); // virtual threads have no name
        a.start();
        b.start();
        v.start();
        a.join();
        b.join();
        v.join();
        Path file = tmp.resolve("two.json");
        recording.stop().write(file);

        TraceFile t = TraceFile.read(file);
        t.assertNested();
        assertEquals(java.util.Set.of(a.threadId(), b.threadId(), v.threadId()), t.tids());
        assertEquals("trace-test-a", t.threadNames().get(a.threadId()));
        assertEquals("trace-test-b", t.threadNames().get(b.threadId()));
        assertEquals("virtual thread #" + v.threadId(), t.threadNames().get(v.threadId()));
        List<TraceFile.Span> work2 = t.named("work");
        assertEquals(2, work2.size());
        assertTrue(work2.get(0).ts() < work2.get(1).end() && work2.get(1).ts() < work2.get(0).end(),
                "the two threads' spans overlap in time: " + work2);
        for (TraceFile.Span w : work2) {
            assertEquals(1, t.within(w, "child").size(), "each thread's child inside its own span: " + t.spans());
        }
    }

    /** The nesting check the other tests rely on fails on spans that overlap without nesting. */
    @Test
    void overlappingSpansOfOneThreadFailTheNestingCheck() throws Exception {
        recording = Trace.start();
        long t = System.nanoTime();
        Trace.complete("a", "test", t, t + 10_000_000);
        Trace.complete("b", "test", t + 5_000_000, t + 15_000_000);
        Path file = tmp.resolve("overlap.json");
        recording.stop().write(file);
        TraceFile read = TraceFile.read(file);
        assertThrows(org.opentest4j.AssertionFailedError.class, read::assertNested);
    }

    @Test
    void stoppedRecordingKeepsNothingMoreAndOnlyOneRecordsAtATime() throws Exception {
        recording = Trace.start();
        assertThrows(IllegalStateException.class, Trace::start);
        Trace.Span open = Trace.span("open at stop");
        Trace.span("kept").close();
        recording.stop();
        open.close();
        Trace.span("after").close();
        Trace.complete("after too", "test", System.nanoTime(), System.nanoTime());
        assertEquals(1, recording.eventCount());
        Trace.Recording next = Trace.start(); // stopped: another may start
        next.stop();
        Path file = tmp.resolve("stopped.json");
        recording.write(file);
        assertEquals(java.util.Set.of("kept"), TraceFile.read(file).names());
        assertTrue(Files.readString(file).contains("\"traceEvents\""));
    }
}
