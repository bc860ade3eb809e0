package io.wiseseg.data;

/**
 * Receives progress of long dataset work (generation, scanning). The data package never prints:
 * the command line renders these calls as a progress bar.
 */
@FunctionalInterface
public interface ProgressListener {
    /** Ignores all progress. */
    ProgressListener NONE = (task, done, total) -> { };

    /** {@code done} of {@code total} units of {@code task} are finished; called with 0 first. */
    void progress(String task, long done, long total);
}
