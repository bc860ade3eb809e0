package io.wiseseg.serve;

import io.wiseseg.data.RgbImage;
import io.wiseseg.pipeline.Segment;
import io.wiseseg.pipeline.Segmenter;
import io.wiseseg.util.Trace;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Dynamic batching: requests wait in a bounded queue; one model thread takes the first, waits up
 * to {@code maxDelayMs} for up to {@code maxBatch - 1} more, drops those whose deadline has passed
 * or whose client has given up, and runs the rest through {@link Segmenter#segmentBatch} (which
 * keeps each image's result what it would be alone). One model thread, because LibTorch already
 * spreads one batch over the cores; a second would only compete for them.
 */
final class Batcher implements AutoCloseable {
    /** What a request gets back: its segments and how long it waited and ran. */
    record Result(List<Segment> segments, long queueNanos, long modelNanos, int batchSize) {}

    /** The model as the batcher sees it: {@link Segmenter#segmentBatch}, or a stand-in in tests. */
    @FunctionalInterface
    interface Model {
        List<List<Segment>> segmentBatch(List<RgbImage> images);
    }

    private record Job(RgbImage image, long arrivalNanos, long deadlineNanos, CompletableFuture<Result> result) {}

    private final Model model;
    private final int maxBatch;
    private final long maxDelayNanos;
    private final BlockingQueue<Job> queue;
    private final ServeMetrics metrics;
    private final Thread worker;
    private volatile boolean closing;

    Batcher(Model model, ServeSettings settings, ServeMetrics metrics) {
        this.model = model;
        this.maxBatch = settings.maxBatch();
        this.maxDelayNanos = TimeUnit.MILLISECONDS.toNanos(settings.maxDelayMs());
        this.queue = new ArrayBlockingQueue<>(settings.queue());
        this.metrics = metrics;
        this.worker = Thread.ofPlatform().name("wiseseg-model").daemon(true).unstarted(this::run);
        worker.start();
    }

    /** Requests waiting for the model now. */
    int depth() {
        return queue.size();
    }

    /**
     * Queues an image; the future completes with its result, or exceptionally with a
     * {@link RequestException} (504 when its deadline passed before its batch ran).
     *
     * @throws RequestException 429 when the queue is full, 503 once closing
     */
    CompletableFuture<Result> submit(RgbImage image, long arrivalNanos, long deadlineNanos) {
        if (closing) {
            throw new RequestException(503, "the server is shutting down");
        }
        Job job = new Job(image, arrivalNanos, deadlineNanos, new CompletableFuture<>());
        if (!queue.offer(job)) {
            throw new RequestException(429, "the queue is full (" + (queue.size() + queue.remainingCapacity())
                    + " requests waiting); retry later");
        }
        return job.result();
    }

    private void run() {
        while (!closing || !queue.isEmpty()) {
            List<Job> batch;
            try {
                batch = collect();
            } catch (InterruptedException e) {
                break;
            }
            if (!batch.isEmpty()) {
                runBatch(batch);
            }
        }
        // closed and interrupted: whatever is left gets a clear answer instead of a hang
        for (Job j; (j = queue.poll()) != null; ) {
            j.result().completeExceptionally(new RequestException(503, "the server is shutting down"));
        }
    }

    private List<Job> collect() throws InterruptedException {
        List<Job> batch = new ArrayList<>(maxBatch);
        Job first = queue.poll(100, TimeUnit.MILLISECONDS); // wakes now and then to see closing
        if (first == null) {
            return batch;
        }
        batch.add(first);
        long until = System.nanoTime() + maxDelayNanos;
        while (batch.size() < maxBatch) {
            long left = until - System.nanoTime();
            Job next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
            if (next == null) {
                break;
            }
            batch.add(next);
        }
        return batch;
    }

    private void runBatch(List<Job> batch) {
        long start = System.nanoTime();
        List<Job> live = new ArrayList<>(batch.size());
        for (Job j : batch) {
            if (j.result().isDone()) { // its request gave up (deadline) while it waited
                metrics.dropped();
            } else if (start > j.deadlineNanos()) {
                metrics.dropped();
                j.result().completeExceptionally(deadline());
            } else {
                live.add(j);
            }
        }
        if (live.isEmpty()) {
            return;
        }
        metrics.batch(live.size());
        try (Trace.Span s = Trace.span("batch", "serve").arg("images", live.size())) {
            List<List<Segment>> out = model.segmentBatch(live.stream().map(Job::image).toList());
            long modelNanos = System.nanoTime() - start;
            for (int i = 0; i < live.size(); i++) {
                Job j = live.get(i);
                j.result().complete(new Result(out.get(i), start - j.arrivalNanos(), modelNanos, live.size()));
            }
        } catch (RuntimeException e) {
            // a model failure fails this batch's requests (500, with the message); the server goes on
            for (Job j : live) {
                j.result().completeExceptionally(e);
            }
        }
    }

    static RequestException deadline() {
        return new RequestException(504, "the request's deadline passed before the model could run it");
    }

    /** Stops taking requests, runs those already queued, and stops the model thread. */
    @Override
    public void close() {
        closing = true;
        try {
            worker.join();
        } catch (InterruptedException e) {
            worker.interrupt();
            Thread.currentThread().interrupt();
        }
    }
}
