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
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Dynamic batching: requests wait in a bounded queue; one model thread takes the first, waits up
 * to {@code maxDelayMs} for up to {@code maxBatch - 1} more while their input pixels fit in
 * {@code maxBatchPixels} (the one that does not fit opens the next batch), drops those whose deadline has passed
 * or whose client has given up, and runs the rest through {@link Segmenter#segmentBatch} (which
 * keeps each image's result what it would be alone). {@code workers} model threads do this side by
 * side, each forming its own batches from the one queue (Triton's instance count): one by default,
 * since LibTorch spreads a large image over the cores; on a CPU, small images leave LibTorch's
 * threads mostly waiting for each other, and two workers of one thread each use two cores better.
 */
final class Batcher implements AutoCloseable {
    /** What a request gets back: its segments and how long it waited and ran. */
    record Result(List<Segment> segments, long queueNanos, long modelNanos, int batchSize) {}

    /** The model as the batcher sees it: {@link Segmenter#segmentBatch}, or a stand-in in tests. */
    @FunctionalInterface
    interface Model {
        List<List<Segment>> segmentBatch(List<RgbImage> images);

        /** What the image costs a batch: the pixels the network runs on ({@link Segmenter#inputPixels}). */
        default long inputPixels(RgbImage image) {
            return (long) image.width() * image.height();
        }
    }

    private record Job(RgbImage image, long arrivalNanos, long deadlineNanos, CompletableFuture<Result> result) {}

    private final Model model;
    private final int maxBatch;
    private final long maxBatchPixels;
    private final long maxDelayNanos;
    private final BlockingQueue<Job> queue;
    private final ServeMetrics metrics;
    private final List<Thread> workers = new ArrayList<>();
    /** Jobs a worker took from the queue that did not fit its last batch: they open its next one. */
    private final AtomicInteger carriedJobs = new AtomicInteger();
    private volatile boolean closing;

    Batcher(Model model, ServeSettings settings, ServeMetrics metrics) {
        this.model = model;
        this.maxBatch = settings.maxBatch();
        this.maxBatchPixels = settings.maxBatchPixels();
        this.maxDelayNanos = TimeUnit.MILLISECONDS.toNanos(settings.maxDelayMs());
        this.queue = new ArrayBlockingQueue<>(settings.queue());
        this.metrics = metrics;
        for (int i = 0; i < settings.workers(); i++) {
            String name = settings.workers() == 1 ? "wiseseg-model" : "wiseseg-model-" + (i + 1);
            workers.add(Thread.ofPlatform().name(name).daemon(true).start(new Worker()::run));
        }
    }

    /** Requests waiting for the model now. */
    int depth() {
        return queue.size() + carriedJobs.get();
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

    /** One model thread: forms a batch, runs it, and again, until closed and the queue is empty. */
    private final class Worker {
        /** Taken from the queue but over the last batch's pixel cap: it opens the next batch. */
        private Job carried;

        void run() {
            while (!closing || !queue.isEmpty() || carried != null) {
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
            if (carried != null) {
                carried.result().completeExceptionally(new RequestException(503, "the server is shutting down"));
                carry(null);
            }
            for (Job j; (j = queue.poll()) != null; ) {
                j.result().completeExceptionally(new RequestException(503, "the server is shutting down"));
            }
        }

        private List<Job> collect() throws InterruptedException {
            List<Job> batch = new ArrayList<>(maxBatch);
            Job first = carried;
            carry(null);
            if (first == null) {
                first = queue.poll(100, TimeUnit.MILLISECONDS); // wakes now and then to see closing
            }
            if (first == null) {
                return batch;
            }
            batch.add(first);
            long pixels = cost(first);
            long until = System.nanoTime() + maxDelayNanos;
            while (batch.size() < maxBatch && (maxBatchPixels == 0 || pixels < maxBatchPixels)) {
                long left = until - System.nanoTime();
                Job next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
                if (next == null) {
                    break;
                }
                long more = cost(next);
                if (maxBatchPixels > 0 && pixels + more > maxBatchPixels) {
                    carry(next); // first in line for this worker's next batch, so no later request overtakes it
                    break;
                }
                batch.add(next);
                pixels += more;
            }
            return batch;
        }

        private void carry(Job job) {
            if ((carried == null) != (job == null)) {
                carriedJobs.addAndGet(job == null ? -1 : 1);
            }
            carried = job;
        }
    }

    private long cost(Job job) {
        try {
            return model.inputPixels(job.image());
        } catch (RuntimeException e) {
            return Long.MAX_VALUE / 4; // the model will say what is wrong with the image; alone
        }
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

    /** Stops taking requests, runs those already queued, and stops the model threads. */
    @Override
    public void close() {
        closing = true;
        for (Thread worker : workers) {
            try {
                worker.join();
            } catch (InterruptedException e) {
                workers.forEach(Thread::interrupt);
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
