package io.wiseseg.pipeline;

import io.wiseseg.data.ProgressListener;

/**
 * What a long pipeline run reports: progress within a stage (images labelled, training steps)
 * and a one-line summary when a stage ends. The pipeline never prints; the command line renders
 * progress as bars and prints the summaries, a server or a batch job logs them.
 */
public interface RunListener extends ProgressListener {
    /** Ignores everything. */
    RunListener NONE = new RunListener() {
        @Override
        public void progress(String task, long done, long total) {
        }
    };

    /** A stage ended; {@code summary} says what it made and where (one line, no newline). */
    default void stageDone(String summary) {
    }

    /** A listener that forwards progress to {@code progress} and summaries to {@code summaries}. */
    static RunListener of(ProgressListener progress, java.util.function.Consumer<String> summaries) {
        return new RunListener() {
            @Override
            public void progress(String task, long done, long total) {
                progress.progress(task, done, total);
            }

            @Override
            public void stageDone(String summary) {
                summaries.accept(summary);
            }
        };
    }
}
