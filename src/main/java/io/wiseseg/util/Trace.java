package io.wiseseg.util;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where the time goes, as a Chrome trace-event file (the JSON that ui.perfetto.dev and
 * chrome://tracing open): one complete event ({@code "ph":"X"}) per span, on the Java thread that
 * ran it, plus the threads' names as metadata events.
 *
 * <p>Code marks its stages with spans; they cost one volatile read and nothing else while no
 * recording is on and no range sink is set (below):
 * <pre>{@code
 * try (Trace.Span s = Trace.span("rpn", "maskrcnn")) {
 *     ...
 * }
 * }</pre>
 * Code that already times itself with {@link System#nanoTime} records the same interval with
 * {@link #complete} instead of timing it twice.
 *
 * <p>A program (or {@code --trace FILE} of the CLI) records with
 * <pre>{@code
 * Trace.Recording recording = Trace.start();
 * ... segmenter.segment(image) on any number of threads ...
 * recording.stop().write(Path.of("trace.json"));
 * }</pre>
 * One recording at a time per process; spans of every thread go into it. Events are buffered in
 * memory (at most {@link #MAX_EVENTS}; later ones are counted, not kept) and written in one go,
 * atomically ({@link AtomicFiles}).
 *
 * <p>Spans also go, recording or not, to a {@link RangeSink} once one is set ({@link #rangesTo}):
 * the CUDA kernels set NVTX's when the process makes its first CUDA device, so Nsight Systems
 * shows the same spans by name. {@link #complete} does not reach it: a range cannot start in the
 * past.
 */
public final class Trace {
    /** The most events one recording keeps (about 100 MB); the file says how many it dropped. */
    public static final int MAX_EVENTS = 1_000_000;

    /** The category of spans that name none. */
    public static final String DEFAULT_CATEGORY = "wiseseg";

    /** An open span: closing it records it. Spans of one thread close in the reverse order of opening. */
    public interface Span extends AutoCloseable {
        /** Adds an argument shown with the span (e.g. the image id); returns this span. */
        Span arg(String key, Object value);

        /** Ends the span; never throws. */
        @Override
        void close();
    }

    private static final Span OFF = new Span() {
        @Override
        public Span arg(String key, Object value) {
            return this;
        }

        @Override
        public void close() {}
    };

    /**
     * Named ranges nested per thread, as a profiler keeps them (NVTX): a span pushes its name on
     * the thread that opens it and pops it when it closes, on that same thread.
     */
    public interface RangeSink {
        void push(String name);

        void pop();

        /**
         * Called before a recorded span reads its end time: a GPU's sink waits here for the work
         * the span queued on the device, so that recorded durations cover it (device-synchronised
         * timings). Not called for spans that are not recorded.
         */
        default void settle() {}
    }

    /** A sink and the span that pops it, which every span shares while no recording is on: no allocation. */
    private static final class Ranges {
        final RangeSink sink;
        final Span pop = new Span() {
            @Override
            public Span arg(String key, Object value) {
                return this;
            }

            @Override
            public void close() {
                sink.pop();
            }
        };

        Ranges(RangeSink sink) {
            this.sink = sink;
        }

        /**
         * Pushes {@code name} unless this is a virtual thread: it may resume on another carrier
         * thread, and a profiler's range stack is the carrier's, so the pop could land on another
         * stack. (The model's work runs on platform threads.)
         */
        boolean push(String name) {
            if (Thread.currentThread().isVirtual()) {
                return false;
            }
            sink.push(name);
            return true;
        }
    }

    /** Where spans go: both null when off (then {@link #NONE}), so a span costs one volatile read. */
    private record Sinks(Recording recording, Ranges ranges) {
        static Sinks of(Recording recording, Ranges ranges) {
            return recording == null && ranges == null ? NONE : new Sinks(recording, ranges);
        }
    }

    private static final Sinks NONE = new Sinks(null, null);
    private static volatile Sinks sinks = NONE;

    private Trace() {}

    /** A span of the default category; a shared no-op when no recording is on and no range sink is set. */
    public static Span span(String name) {
        return span(name, DEFAULT_CATEGORY);
    }

    /**
     * A span named {@code name} in {@code category} (e.g. "maskrcnn"); a shared no-op when no
     * recording is on and no range sink is set.
     */
    public static Span span(String name, String category) {
        Sinks s = sinks;
        if (s == NONE) {
            return OFF;
        }
        Ranges ranges = s.ranges != null && s.ranges.push(name) ? s.ranges : null;
        if (s.recording == null) {
            return ranges == null ? OFF : ranges.pop;
        }
        return s.recording.new OpenSpan(name, category, System.nanoTime(), ranges);
    }

    /**
     * Records a span that already ran on this thread, from {@code startNanos} to {@code endNanos}
     * ({@link System#nanoTime} values): for code that times its stages itself.
     */
    public static void complete(String name, String category, long startNanos, long endNanos) {
        Recording r = sinks.recording;
        if (r != null) {
            r.add(name, category, startNanos, endNanos, null);
        }
    }

    /** Whether a recording is on (spans are kept). */
    public static boolean enabled() {
        return sinks.recording != null;
    }

    /**
     * From now on every span also pushes a range to {@code sink} on open and pops it on close, for
     * the rest of the process: the CUDA kernels call this once, with NVTX's.
     *
     * @throws IllegalStateException when a sink is already set
     */
    public static synchronized void rangesTo(RangeSink sink) {
        Objects.requireNonNull(sink, "sink");
        if (sinks.ranges != null) {
            throw new IllegalStateException("spans already go to the range sink " + sinks.ranges.sink);
        }
        sinks = Sinks.of(sinks.recording, new Ranges(sink));
    }

    /** For tests: sets the range sink, null for none, and returns the previous one (or null). */
    static synchronized RangeSink replaceRanges(RangeSink sink) {
        RangeSink previous = sinks.ranges == null ? null : sinks.ranges.sink;
        sinks = Sinks.of(sinks.recording, sink == null ? null : new Ranges(sink));
        return previous;
    }

    /**
     * Starts recording the spans of every thread.
     *
     * @throws IllegalStateException when a recording is already on
     */
    public static synchronized Recording start() {
        if (sinks.recording != null) {
            throw new IllegalStateException("a trace is already being recorded");
        }
        Recording r = new Recording(System.nanoTime());
        sinks = Sinks.of(r, sinks.ranges);
        return r;
    }

    private record Event(String name, String category, long startNanos, long endNanos, long tid,
            Map<String, Object> args) {}

    /** The spans recorded between {@link Trace#start} and {@link #stop}. */
    public static final class Recording implements AutoCloseable {
        private final long originNanos;
        private final ConcurrentLinkedQueue<Event> events = new ConcurrentLinkedQueue<>();
        private final Map<Long, String> threads = new ConcurrentHashMap<>();
        private final AtomicLong kept = new AtomicLong();
        private final AtomicLong dropped = new AtomicLong();

        private Recording(long originNanos) {
            this.originNanos = originNanos;
        }

        /** Stops recording (spans still open are not kept); returns this recording. */
        public Recording stop() {
            synchronized (Trace.class) {
                if (sinks.recording == this) {
                    sinks = Sinks.of(null, sinks.ranges);
                }
            }
            return this;
        }

        /** Same as {@link #stop}. */
        @Override
        public void close() {
            stop();
        }

        /** The events kept so far (metadata events not counted). */
        public long eventCount() {
            return kept.get();
        }

        /** Events not kept because the recording held {@link #MAX_EVENTS}. */
        public long droppedCount() {
            return dropped.get();
        }

        /** How many threads recorded spans. */
        public int threadCount() {
            return threads.size();
        }

        /**
         * Writes the events recorded so far as a Chrome trace-event JSON file, atomically (a
         * crash leaves the previous file or none). May be called while recording goes on.
         */
        public void write(Path file) throws IOException {
            Objects.requireNonNull(file, "file");
            List<Event> snapshot = new ArrayList<>(events);
            Map<Long, String> names = new LinkedHashMap<>(threads);
            long pid = ProcessHandle.current().pid();
            AtomicFiles.write(file, tmp -> {
                try (JsonGenerator g = new JsonFactory().createGenerator(tmp.toFile(), JsonEncoding.UTF8)) {
                    g.writeStartObject();
                    g.writeArrayFieldStart("traceEvents");
                    metadata(g, "process_name", pid, pid, "wiseseg");
                    for (Map.Entry<Long, String> t : names.entrySet()) {
                        metadata(g, "thread_name", pid, t.getKey(), t.getValue());
                    }
                    for (Event e : snapshot) {
                        long ts = micros(e.startNanos()), end = Math.max(ts, micros(e.endNanos()));
                        g.writeStartObject();
                        g.writeStringField("name", e.name());
                        g.writeStringField("cat", e.category());
                        g.writeStringField("ph", "X");
                        g.writeNumberField("ts", ts);
                        g.writeNumberField("dur", end - ts);
                        g.writeNumberField("pid", pid);
                        g.writeNumberField("tid", e.tid());
                        if (e.args() != null && !e.args().isEmpty()) {
                            g.writeObjectFieldStart("args");
                            for (Map.Entry<String, Object> a : e.args().entrySet()) {
                                writeValue(g, a.getKey(), a.getValue());
                            }
                            g.writeEndObject();
                        }
                        g.writeEndObject();
                    }
                    g.writeEndArray();
                    g.writeStringField("displayTimeUnit", "ms");
                    g.writeObjectFieldStart("otherData");
                    g.writeStringField("producer", "wiseseg");
                    g.writeNumberField("dropped_events", dropped.get());
                    g.writeEndObject();
                    g.writeEndObject();
                }
            });
        }

        /** Whole microseconds since the recording started; floor, so a child never ends after its parent. */
        private long micros(long nanos) {
            return Math.floorDiv(Math.max(0, nanos - originNanos), 1000L);
        }

        private static void metadata(JsonGenerator g, String name, long pid, long tid, String value) throws IOException {
            g.writeStartObject();
            g.writeStringField("name", name);
            g.writeStringField("ph", "M");
            g.writeNumberField("ts", 0);
            g.writeNumberField("pid", pid);
            g.writeNumberField("tid", tid);
            g.writeObjectFieldStart("args");
            g.writeStringField("name", value);
            g.writeEndObject();
            g.writeEndObject();
        }

        private static void writeValue(JsonGenerator g, String key, Object v) throws IOException {
            switch (v) {
                case null -> g.writeNullField(key);
                case Integer i -> g.writeNumberField(key, i);
                case Long l -> g.writeNumberField(key, l);
                case Double d when Double.isFinite(d) -> g.writeNumberField(key, d);
                case Float f when Float.isFinite(f) -> g.writeNumberField(key, f);
                case Boolean b -> g.writeBooleanField(key, b);
                default -> g.writeStringField(key, String.valueOf(v));
            }
        }

        private void add(String name, String category, long startNanos, long endNanos, Map<String, Object> args) {
            if (kept.incrementAndGet() > MAX_EVENTS) {
                kept.decrementAndGet();
                dropped.incrementAndGet();
                return;
            }
            Thread t = Thread.currentThread();
            long tid = t.threadId();
            if (!threads.containsKey(tid)) {
                String n = t.getName();
                threads.putIfAbsent(tid, n.isEmpty() ? (t.isVirtual() ? "virtual thread #" : "thread #") + tid : n);
            }
            events.add(new Event(name, category, startNanos, endNanos, tid, args));
        }

        private final class OpenSpan implements Span {
            private final String name, category;
            private final long startNanos;
            private final Ranges pushed; // the sink this span pushed a range to, or null
            private Map<String, Object> args;

            OpenSpan(String name, String category, long startNanos, Ranges pushed) {
                this.name = name;
                this.category = category;
                this.startNanos = startNanos;
                this.pushed = pushed;
            }

            @Override
            public Span arg(String key, Object value) {
                if (args == null) {
                    args = new LinkedHashMap<>(4);
                }
                args.put(key, value);
                return this;
            }

            @Override
            public void close() {
                if (pushed != null && sinks.recording == Recording.this) {
                    pushed.sink.settle();
                }
                long endNanos = System.nanoTime();
                if (pushed != null) {
                    pushed.sink.pop();
                }
                if (sinks.recording == Recording.this) { // stopped: not kept
                    add(name, category, startNanos, endNanos, args);
                }
            }
        }
    }
}
