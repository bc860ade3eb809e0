package io.wiseseg.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

/**
 * Draws and writes a synthetic dataset's images on all cores. Each image depends only on the seed
 * and its index, so the files are the same whatever the order or the number of threads.
 */
final class ImageWriters {
    /** Draws and writes one image. */
    interface OneImage {
        void write(int index) throws IOException;
    }

    private ImageWriters() {
    }

    /** Writes images 0..count-1, reporting each finished one (the count only grows). */
    static void writeAll(int count, OneImage image, ProgressListener listener) throws IOException {
        AtomicLong done = new AtomicLong();
        Object report = new Object();
        listener.progress("generate", 0, count);
        try {
            IntStream.range(0, count).parallel().forEach(i -> {
                try {
                    image.write(i);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                // one report at a time, each with the count as it stands then: never backwards
                synchronized (report) {
                    listener.progress("generate", done.incrementAndGet(), count);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
