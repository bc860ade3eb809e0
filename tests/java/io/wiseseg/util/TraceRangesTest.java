package io.wiseseg.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.wiseseg.testing.TraceFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Trace}'s spans as profiler ranges (NVTX once a CUDA device exists), seen by a sink that
 * records what it receives in place of NVTX.
 */
class TraceRangesTest {
    @TempDir
    Path tmp;

    /** Every call it gets, as "thread: push name" or "thread: pop". */
    private static final class RecordingSink implements Trace.RangeSink {
        final List<String> calls = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void push(String name) {
            calls.add(Thread.currentThread().getName() + ": push " + name);
        }

        @Override
        public void pop() {
            calls.add(Thread.currentThread().getName() + ": pop");
        }

        int settled;

        @Override
        public void settle() {
            settled++;
        }
    }

    private final RecordingSink sink = new RecordingSink();
    private Trace.RangeSink before; // the process's own sink (NVTX's on a machine with a GPU)
    private Trace.Recording recording;

    @BeforeEach
    void useTheRecordingSink() {
        before = Trace.replaceRanges(sink);
    }

    @AfterEach
    void restore() {
        if (recording != null) {
            recording.stop();
        }
        Trace.replaceRanges(before);
    }

    /** outer { inner {} second {} } */
    private static void nestedSpans() {
        try (Trace.Span outer = Trace.span("outer", "test").arg("image", 7)) {
            Trace.span("inner").close();
            try (Trace.Span second = Trace.span("second", "test")) {
                second.arg("k", "v");
            }
        }
    }

    private static List<String> expectedNesting() {
        String me = Thread.currentThread().getName() + ": ";
        return List.of(me + "push outer", me + "push inner", me + "pop", me + "push second", me + "pop", me + "pop");
    }

    @Test
    void withoutARecordingSpansStillPushAndPopInOrderAndAllocateNothing() {
        assertFalse(Trace.enabled());
        nestedSpans();
        assertEquals(expectedNesting(), sink.calls);
        assertEquals(0, sink.settled, "no recording: nothing to time, so no device wait");
        Trace.Span a = Trace.span("a"), b = Trace.span("b", "cat").arg("k", 1);
        assertSame(a, b, "spans that only push and pop share one object");
        b.close();
        a.close();
    }

    @Test
    void withARecordingSpansPushAndPopAndAreKept() throws Exception {
        recording = Trace.start();
        nestedSpans();
        assertEquals(expectedNesting(), sink.calls);
        assertEquals(3, sink.settled, "each recorded span waits for its device work before its end time");
        // timed after the nested spans ended (a span over the last millisecond could overlap the
        // end of "outer" when they ran fast, which is a timing flake, not nesting)
        long t0 = System.nanoTime();
        Thread.sleep(2);
        Trace.complete("timed elsewhere", "test", t0, System.nanoTime()); // already over: no range
        assertEquals(6, sink.calls.size());
        Path file = tmp.resolve("t.json");
        recording.stop().write(file);
        TraceFile read = TraceFile.read(file);
        read.assertNested();
        assertEquals(Set.of("outer", "inner", "second", "timed elsewhere"), read.names());
    }

    @Test
    void aSpanOpenWhenTheRecordingStartsOrStopsStillPopsWhatItPushed() {
        Trace.Span before = Trace.span("before");
        recording = Trace.start();
        Trace.Span during = Trace.span("during");
        recording.stop();
        before.close();
        during.close();
        String me = Thread.currentThread().getName() + ": ";
        assertEquals(List.of(me + "push before", me + "push during", me + "pop", me + "pop"), sink.calls);
        assertEquals(0, recording.eventCount(), "neither closed while recording");
    }

    @Test
    void eachPlatformThreadPushesOnItsOwnAndVirtualThreadsPushNothing() throws Exception {
        Runnable work = () -> {
            try (Trace.Span s = Trace.span("work")) {
                Trace.span("child").close();
            }
        };
        Thread a = new Thread(work, "ranges-a");
        a.start();
        a.join();
        // a virtual thread may resume on another carrier, whose range stack would get the pop
        Thread v = Thread.ofVirtual().name("ranges-virtual").start(work);
        v.join();
        assertEquals(List.of("ranges-a: push work", "ranges-a: push child", "ranges-a: pop", "ranges-a: pop"),
                sink.calls);
    }

    @Test
    void withoutARangeSinkNothingIsPushedAndSpansAreTheSharedNoOpAgain() {
        Trace.replaceRanges(null); // as in a process that never made a CUDA device
        Trace.Span a = Trace.span("a"), b = Trace.span("b");
        assertSame(a, b);
        nestedSpans();
        recording = Trace.start();
        nestedSpans();
        recording.stop();
        assertEquals(3, recording.eventCount());
        assertEquals(List.of(), sink.calls, "the sink that was replaced gets nothing");
    }

    @Test
    void theProcessSinkIsSetOnce() {
        Trace.replaceRanges(null);
        Trace.rangesTo(sink);
        assertThrows(IllegalStateException.class, () -> Trace.rangesTo(new RecordingSink()));
        Trace.span("one").close();
        assertEquals(2, sink.calls.size());
    }
}
