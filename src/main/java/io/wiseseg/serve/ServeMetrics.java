package io.wiseseg.serve;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

/**
 * The server's meters, scraped as Prometheus text at {@code GET /metrics}:
 * {@code wiseseg_requests_total{endpoint,status}}; latency histograms
 * {@code wiseseg_request_seconds} (arrival to answer) and its stages {@code wiseseg_queue_seconds},
 * {@code wiseseg_decode_seconds}, {@code wiseseg_model_seconds}, {@code wiseseg_encode_seconds};
 * {@code wiseseg_batch_size}; {@code wiseseg_dropped_total} (work dropped at its deadline); gauges
 * {@code wiseseg_queue_depth} and {@code wiseseg_in_flight}.
 */
final class ServeMetrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Timer request, queue, decode, model, encode;
    private final DistributionSummary batchSize;
    private final Counter dropped;

    ServeMetrics(int maxBatch, IntSupplier queueDepth) {
        request = latency("wiseseg.request", "arrival to answer, for requests that ran the model");
        queue = latency("wiseseg.queue", "time waiting for the model (queue and batch forming)");
        decode = latency("wiseseg.decode", "reading the body and decoding the image");
        model = latency("wiseseg.model", "the model's run of the request's batch");
        encode = latency("wiseseg.encode", "turning the segments into the response");
        double[] sizes = new double[maxBatch];
        for (int i = 0; i < maxBatch; i++) {
            sizes[i] = i + 1;
        }
        batchSize = DistributionSummary.builder("wiseseg.batch.size").description("images per model run")
                .serviceLevelObjectives(sizes).register(registry);
        dropped = Counter.builder("wiseseg.dropped").description("requests dropped before the model ran them")
                .register(registry);
        Gauge.builder("wiseseg.queue.depth", queueDepth::getAsInt).description("requests waiting for the model")
                .register(registry);
        Gauge.builder("wiseseg.in.flight", inFlight::get).description("requests being served").register(registry);
    }

    private Timer latency(String name, String description) {
        return Timer.builder(name).description(description).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(60))
                .register(registry);
    }

    void started() {
        inFlight.incrementAndGet();
    }

    /** One finished request of {@code endpoint} with its HTTP status (499: the client went away). */
    void finished(String endpoint, int status) {
        inFlight.decrementAndGet();
        count(endpoint, status);
    }

    /** A request answered before routing (e.g. a malformed request line or an oversize body). */
    void count(String endpoint, int status) {
        Counter.builder("wiseseg.requests").description("requests answered, by endpoint and HTTP status")
                .tag("endpoint", endpoint).tag("status", Integer.toString(status)).register(registry).increment();
    }

    void stages(long queueNanos, long decodeNanos, long modelNanos, long encodeNanos, long totalNanos) {
        queue.record(Duration.ofNanos(queueNanos));
        decode.record(Duration.ofNanos(decodeNanos));
        model.record(Duration.ofNanos(modelNanos));
        encode.record(Duration.ofNanos(encodeNanos));
        request.record(Duration.ofNanos(totalNanos));
    }

    void batch(int size) {
        batchSize.record(size);
    }

    void dropped() {
        dropped.increment();
    }

    /** Prometheus text format 0.0.4. */
    String scrape() {
        return registry.scrape();
    }
}
