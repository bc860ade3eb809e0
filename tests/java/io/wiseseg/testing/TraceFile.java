package io.wiseseg.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A Chrome trace-event file read back and checked against the format's rules, as a viewer
 * (Perfetto, chrome://tracing) reads it: a JSON object with a {@code traceEvents} array; every
 * complete event ({@code "ph":"X"}) with a name, a category, integer microseconds {@code ts} and
 * {@code dur >= 0}, a pid and a tid; thread names as {@code "ph":"M"} {@code thread_name} events.
 */
public record TraceFile(List<Span> spans, Map<Long, String> threadNames, long pid, JsonNode root) {
    /** The Mask R-CNN's stages, one span each per segmented image. */
    public static final List<String> DETECTOR_STAGES = List.of("transform", "backbone + fpn", "rpn", "roi heads",
            "box head", "box selection", "mask head", "mask paste", "mask threshold");

    /** One complete event. */
    public record Span(String name, String category, long ts, long dur, long tid, JsonNode args) {
        public long end() {
            return ts + dur;
        }

        /** Whether {@code other} lies within this span's interval on the same thread. */
        public boolean contains(Span other) {
            return other.tid == tid && other.ts >= ts && other.end() <= end();
        }

        public String arg(String key) {
            return args == null || args.get(key) == null ? null : args.get(key).asText();
        }
    }

    /** Reads and checks the file; fails the test on any breach of the format. */
    public static TraceFile read(Path file) throws IOException {
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        assertTrue(root.isObject() && root.get("traceEvents") != null && root.get("traceEvents").isArray(),
                file + ": no traceEvents array");
        List<Span> spans = new ArrayList<>();
        Map<Long, String> names = new LinkedHashMap<>();
        Set<Long> pids = new java.util.HashSet<>();
        for (JsonNode e : root.get("traceEvents")) {
            for (String field : List.of("name", "ph", "pid", "tid")) {
                assertTrue(e.hasNonNull(field), "event without " + field + ": " + e);
            }
            assertTrue(e.get("pid").isIntegralNumber() && e.get("tid").isIntegralNumber(), "pid/tid not integers: " + e);
            pids.add(e.get("pid").asLong());
            switch (e.get("ph").asText()) {
                case "X" -> {
                    for (String field : List.of("cat", "ts", "dur")) {
                        assertTrue(e.hasNonNull(field), "complete event without " + field + ": " + e);
                    }
                    assertTrue(e.get("ts").isIntegralNumber() && e.get("dur").isIntegralNumber(), "ts/dur not integers: " + e);
                    assertTrue(e.get("ts").asLong() >= 0 && e.get("dur").asLong() >= 0, "negative ts or dur: " + e);
                    assertFalse(e.get("name").asText().isEmpty(), "empty name: " + e);
                    spans.add(new Span(e.get("name").asText(), e.get("cat").asText(), e.get("ts").asLong(),
                            e.get("dur").asLong(), e.get("tid").asLong(), e.get("args")));
                }
                case "M" -> {
                    if (e.get("name").asText().equals("thread_name")) {
                        String name = e.path("args").path("name").asText("");
                        assertFalse(name.isEmpty(), "thread_name without args.name: " + e);
                        assertTrue(names.put(e.get("tid").asLong(), name) == null, "two names for one thread: " + e);
                    }
                }
                default -> fail("unexpected phase " + e.get("ph") + ": " + e);
            }
        }
        assertEquals(1, pids.size(), "one process: " + pids);
        for (Span s : spans) {
            assertTrue(names.containsKey(s.tid()), "no thread_name for tid " + s.tid());
        }
        return new TraceFile(spans, names, pids.iterator().next(), root);
    }

    public List<Span> named(String name) {
        return spans.stream().filter(s -> s.name().equals(name)).toList();
    }

    public Set<String> names() {
        return spans.stream().map(Span::name).collect(Collectors.toSet());
    }

    public Set<Long> tids() {
        return spans.stream().map(Span::tid).collect(Collectors.toSet());
    }

    /** The spans of {@code name} that lie within {@code parent}. */
    public List<Span> within(Span parent, String name) {
        return spans.stream().filter(s -> s != parent && s.name().equals(name) && parent.contains(s)).toList();
    }

    /**
     * Fails unless the spans of each thread nest: any two are disjoint or one holds the other
     * (touching ends count as disjoint), as try-with-resources spans must.
     */
    public void assertNested() {
        Map<Long, List<Span>> byThread = spans.stream().collect(Collectors.groupingBy(Span::tid));
        for (var e : byThread.entrySet()) {
            List<Span> sorted = new ArrayList<>(e.getValue());
            sorted.sort(Comparator.comparingLong(Span::ts).thenComparing(Comparator.comparingLong(Span::dur).reversed()));
            Deque<Span> open = new ArrayDeque<>();
            for (Span s : sorted) {
                while (!open.isEmpty() && open.peek().end() <= s.ts()) {
                    open.pop();
                }
                if (!open.isEmpty() && s.end() > open.peek().end()) {
                    fail("thread " + e.getKey() + ": " + s + " overlaps " + open.peek() + " without nesting in it");
                }
                open.push(s);
            }
        }
    }
}
