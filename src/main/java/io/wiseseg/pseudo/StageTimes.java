package io.wiseseg.pseudo;

import io.wiseseg.util.Trace;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Wall time spent per pipeline stage, summed over images, for the stage breakdown of a run; each
 * interval is also a span of the {@link Trace} being recorded, if any.
 */
public final class StageTimes {
    private static final String CATEGORY = "pseudo";

    private final Map<String, Long> nanos = new LinkedHashMap<>();
    private int images;

    /** Adds the time since {@code startNanos} to {@code stage}; returns now, to chain stages. */
    public long add(String stage, long startNanos) {
        return add(stage, stage, startNanos);
    }

    /** As {@link #add(String, long)}, with the trace span named {@code spanName} instead of the stage. */
    public long add(String stage, String spanName, long startNanos) {
        long now = System.nanoTime();
        nanos.merge(stage, now - startNanos, Long::sum);
        Trace.complete(spanName, CATEGORY, startNanos, now);
        return now;
    }

    public void countImage() {
        images++;
    }

    public int images() {
        return images;
    }

    /** e.g. "peaks + maps 41 ms, proposals 12 ms, selection 3 ms per image (2.1 images/s)". */
    public String summary() {
        if (images == 0) {
            return "no image labelled in this run";
        }
        StringBuilder sb = new StringBuilder();
        long total = 0;
        for (var e : nanos.entrySet()) {
            sb.append(sb.isEmpty() ? "" : ", ").append(e.getKey()).append(' ')
                    .append(String.format("%.0f ms", e.getValue() / 1e6 / images));
            total += e.getValue();
        }
        return sb.append(String.format(" per image (%.1f images/s over %d images)", images / (total / 1e9), images))
                .toString();
    }
}
