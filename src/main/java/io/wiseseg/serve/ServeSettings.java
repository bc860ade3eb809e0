package io.wiseseg.serve;

/**
 * How {@link InferenceServer} listens, batches and limits its requests: the flags of
 * {@code wiseseg serve}.
 *
 * @param host          the address to listen on; loopback ({@code 127.0.0.1}) unless told otherwise
 * @param port          the TCP port; 0 picks a free one ({@link InferenceServer#port()} tells which)
 * @param maxBatch      the most images the model runs at once; 1 turns batching off
 * @param maxDelayMs    how long the first request of a batch waits for others to join it
 * @param queue         the most requests waiting for the model; one more is refused with 429
 * @param timeoutMs     each request's deadline from its arrival: past it, 504 and its work dropped
 * @param maxBodyBytes  the largest request body; a larger one is refused with 413
 * @param maxPixels     the most pixels an image may have (checked in its header before decoding)
 */
public record ServeSettings(String host, int port, int maxBatch, int maxDelayMs, int queue, int timeoutMs,
        long maxBodyBytes, long maxPixels) {
    /** The model's name in the Open Inference Protocol's paths ({@code /v2/models/wiseseg}). */
    public static final String MODEL_NAME = "wiseseg";

    public ServeSettings {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("--host must name an address, e.g. 127.0.0.1");
        }
        check(port >= 0 && port <= 65535, "--port must be in 0..65535, got " + port);
        check(maxBatch >= 1, "--max-batch must be at least 1, got " + maxBatch);
        check(maxDelayMs >= 0, "--max-delay-ms must be at least 0, got " + maxDelayMs);
        check(queue >= 1, "--queue must be at least 1, got " + queue);
        check(timeoutMs >= 1, "--timeout-ms must be at least 1, got " + timeoutMs);
        check(maxBodyBytes >= 1024, "--max-body-mb must allow at least 1 KiB, got " + maxBodyBytes + " bytes");
        check(maxPixels >= 1, "--max-pixels must be at least 1, got " + maxPixels);
    }

    /** The defaults of {@code wiseseg serve}: loopback port 8080, batches of 4 within 5 ms, and so on. */
    public static ServeSettings defaults() {
        return new ServeSettings("127.0.0.1", 8080, 4, 5, 64, 10_000, 32L << 20, 40_000_000L);
    }

    /** These settings on another port. */
    public ServeSettings withPort(int p) {
        return new ServeSettings(host, p, maxBatch, maxDelayMs, queue, timeoutMs, maxBodyBytes, maxPixels);
    }

    /** These settings with another batch size and delay. */
    public ServeSettings withBatching(int batch, int delayMs) {
        return new ServeSettings(host, port, batch, delayMs, queue, timeoutMs, maxBodyBytes, maxPixels);
    }

    /** These settings with other queue, deadline and body limits. */
    public ServeSettings withLimits(int q, int timeout, long body) {
        return new ServeSettings(host, port, maxBatch, maxDelayMs, q, timeout, body, maxPixels);
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
