package io.wiseseg.serve;

/**
 * How {@link InferenceServer} listens, batches and limits its requests: the flags of
 * {@code wiseseg serve}.
 *
 * @param host          the address to listen on; loopback ({@code 127.0.0.1}) unless told otherwise
 * @param port          the TCP port; 0 picks a free one ({@link InferenceServer#port()} tells which)
 * @param maxBatch      the most images the model runs at once; 1 turns batching off
 * @param maxBatchPixels the most input pixels (after the model's resize and padding) one batch may
 *                      hold, 0 for no cap; an image above it runs alone. On a CPU a batch of large
 *                      images costs more per image than one at a time (R50-FPN at 800 px: 0.75× the
 *                      throughput), while small images gain from batching; {@link #CPU_BATCH_PIXELS}
 * @param workers       model threads, each forming and running its own batches from the one queue
 * @param maxDelayMs    how long the first request of a batch waits for others to join it
 * @param queue         the most requests waiting for the model; one more is refused with 429
 * @param timeoutMs     each request's deadline from its arrival: past it, 504 and its work dropped
 * @param maxBodyBytes  the largest request body; a larger one is refused with 413
 * @param maxPixels     the most pixels an image may have (checked in its header before decoding)
 */
public record ServeSettings(String host, int port, int maxBatch, long maxBatchPixels, int workers, int maxDelayMs,
        int queue, int timeoutMs, long maxBodyBytes, long maxPixels) {
    /** The model's name in the Open Inference Protocol's paths ({@code /v2/models/wiseseg}). */
    public static final String MODEL_NAME = "wiseseg";

    /**
     * The batch cap on a CPU: one 800×1088 input (R50-FPN's usual 800-pixel short side) fits, two
     * do not; forty 160×160 inputs (the demo model's) do.
     */
    public static final long CPU_BATCH_PIXELS = 1_000_000L;

    public ServeSettings {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("--host must name an address, e.g. 127.0.0.1");
        }
        check(port >= 0 && port <= 65535, "--port must be in 0..65535, got " + port);
        check(maxBatch >= 1, "--max-batch must be at least 1, got " + maxBatch);
        check(workers >= 1, "--workers must be at least 1, got " + workers);
        check(maxBatchPixels >= 0, "--max-batch-pixels must be at least 0 (0: no cap), got " + maxBatchPixels);
        check(maxDelayMs >= 0, "--max-delay-ms must be at least 0, got " + maxDelayMs);
        check(queue >= 1, "--queue must be at least 1, got " + queue);
        check(timeoutMs >= 1, "--timeout-ms must be at least 1, got " + timeoutMs);
        check(maxBodyBytes >= 1024, "--max-body-mb must allow at least 1 KiB, got " + maxBodyBytes + " bytes");
        check(maxPixels >= 1, "--max-pixels must be at least 1, got " + maxPixels);
    }

    /**
     * The defaults of {@code wiseseg serve} on a CPU: loopback port 8080, batches of 4 within 5 ms
     * and at most {@link #CPU_BATCH_PIXELS}, and so on.
     */
    public static ServeSettings defaults() {
        return new ServeSettings("127.0.0.1", 8080, 4, CPU_BATCH_PIXELS, 1, 5, 64, 10_000, 32L << 20, 40_000_000L);
    }

    /** These settings on another port. */
    public ServeSettings withPort(int p) {
        return new ServeSettings(host, p, maxBatch, maxBatchPixels, workers, maxDelayMs, queue, timeoutMs, maxBodyBytes, maxPixels);
    }

    /** These settings with another batch size and delay. */
    public ServeSettings withBatching(int batch, int delayMs) {
        return new ServeSettings(host, port, batch, maxBatchPixels, workers, delayMs, queue, timeoutMs, maxBodyBytes, maxPixels);
    }

    /** These settings with another cap on a batch's input pixels (0: none). */
    public ServeSettings withBatchPixels(long pixels) {
        return new ServeSettings(host, port, maxBatch, pixels, workers, maxDelayMs, queue, timeoutMs, maxBodyBytes, maxPixels);
    }

    /** These settings with another number of model threads. */
    public ServeSettings withWorkers(int n) {
        return new ServeSettings(host, port, maxBatch, maxBatchPixels, n, maxDelayMs, queue, timeoutMs, maxBodyBytes, maxPixels);
    }

    /** These settings with other queue, deadline and body limits. */
    public ServeSettings withLimits(int q, int timeout, long body) {
        return new ServeSettings(host, port, maxBatch, maxBatchPixels, workers, maxDelayMs, q, timeout, body, maxPixels);
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
