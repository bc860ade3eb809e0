package io.wiseseg.data;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Draws and writes a synthetic dataset's images on several threads. Each image depends only on
 * the seed and its index, so the files are the same whatever the order or the number of threads.
 */
final class ImageWriters {
    /** Draws and writes one image. */
    interface OneImage {
        void write(int index) throws IOException;
    }

    private ImageWriters() {
    }

    /** One thread per processor the JVM may use. */
    static int defaultThreads() {
        return Runtime.getRuntime().availableProcessors();
    }

    /**
     * Writes images 0..count-1 on {@code threads} threads, reporting each finished one (the count
     * only grows). The first failure stops the others from starting another image, and is thrown
     * only once every thread has stopped: nothing writes into the dataset after this returns.
     */
    static void writeAll(int count, int threads, OneImage image, ProgressListener listener) throws IOException {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Object report = new Object();
        long[] done = {0};
        listener.progress("generate", 0, count);
        Runnable work = () -> {
            for (int i = next.getAndIncrement(); i < count && failure.get() == null; i = next.getAndIncrement()) {
                try {
                    image.write(i);
                } catch (IOException | RuntimeException | Error e) {
                    failure.compareAndSet(null, e);
                    return;
                }
                synchronized (report) { // one report at a time, each with the count as it stands then
                    listener.progress("generate", ++done[0], count);
                }
            }
        };
        List<Thread> workers = new ArrayList<>();
        for (int t = 1; t < Math.min(threads, count); t++) {
            workers.add(Thread.ofPlatform().name("dataset-synth-" + t).start(work));
        }
        work.run(); // the caller's thread is one of them
        for (Thread worker : workers) {
            boolean interrupted = false;
            while (true) {
                try {
                    worker.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // wait anyway: the worker may still be writing a file
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        Throwable f = failure.get();
        if (f instanceof IOException e) {
            throw e;
        } else if (f instanceof RuntimeException e) {
            throw e;
        } else if (f instanceof Error e) {
            throw e;
        }
    }
}
