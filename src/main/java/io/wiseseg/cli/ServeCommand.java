package io.wiseseg.cli;

import io.wiseseg.pipeline.Segmenter;
import io.wiseseg.serve.InferenceServer;
import io.wiseseg.serve.ServeSettings;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code wiseseg serve}: a trained Mask R-CNN behind HTTP (the Open Inference Protocol and
 * {@code POST /v1/segment}) until SIGTERM or Ctrl-C, which stop it gracefully: no new
 * connections, the requests in flight answered, exit code 0.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve a trained Mask R-CNN (a train-maskrcnn output folder) over HTTP: the Open Inference "
                + "Protocol (V2) at /v2, raw images at POST /v1/segment, a page at /, metrics at /metrics.")
final class ServeCommand implements Callable<Integer> {
    // Helidon's start-up and shutdown chatter (INFO) says less than our own lines; its warnings
    // stay. A static field: JUL keeps loggers only weakly, and a collected one forgets its level.
    private static final java.util.logging.Logger HELIDON = java.util.logging.Logger.getLogger("io.helidon");

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    TraceOption trace;

    @picocli.CommandLine.Mixin
    DeviceOption deviceOption;

    @Option(names = "--checkpoint", required = true, paramLabel = "RUN",
            description = "A train-maskrcnn --out folder (config.json + model.pt).")
    Path checkpoint;

    @Option(names = "--host", defaultValue = "127.0.0.1",
            description = "Address to listen on (default: ${DEFAULT-VALUE}, this machine only; 0.0.0.0 for every interface).")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "TCP port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--max-batch", defaultValue = "4",
            description = "Most images per model run; 1 turns batching off (default: ${DEFAULT-VALUE}).")
    int maxBatch;

    @Option(names = "--max-batch-pixels", paramLabel = "PIXELS",
            description = "Most input pixels (after the model's resize and padding) in one batch; an image above it "
                    + "runs alone; 0: no cap (default: " + ServeSettings.CPU_BATCH_PIXELS + " on the CPU, where a batch "
                    + "of large images costs more per image than one at a time; no cap on a GPU).")
    Long maxBatchPixels;

    @Option(names = "--workers", defaultValue = "1",
            description = "Model threads, each running its own batches from the one queue (default: ${DEFAULT-VALUE}). "
                    + "On a CPU with small images, --workers 2 --threads 1 keeps two cores busier than one worker with "
                    + "two threads; LibTorch uses --threads threads in each.")
    int workers;

    @Option(names = "--max-delay-ms", defaultValue = "5",
            description = "How long a request waits for others to join its batch (default: ${DEFAULT-VALUE}).")
    int maxDelayMs;

    @Option(names = "--queue", defaultValue = "64",
            description = "Most requests waiting for the model; more get 429 (default: ${DEFAULT-VALUE}).")
    int queue;

    @Option(names = "--timeout-ms", defaultValue = "10000",
            description = "Each request's deadline; past it 504 and its work is dropped (default: ${DEFAULT-VALUE}).")
    int timeoutMs;

    @Option(names = "--max-body-mb", defaultValue = "32",
            description = "Largest request body in MiB; larger gets 413 (default: ${DEFAULT-VALUE}).")
    int maxBodyMb;

    @Option(names = "--max-pixels", defaultValue = "40000000",
            description = "Most pixels an image may have, checked before decoding (default: ${DEFAULT-VALUE}).")
    long maxPixels;

    @picocli.CommandLine.Mixin
    ThreadsOption threads;

    @Override
    public Integer call() throws InterruptedException {
        threads.value(); // a bad count is refused before any work
        PrintWriter out = spec.commandLine().getOut();
        HELIDON.setLevel(java.util.logging.Level.WARNING);
        io.wiseseg.kernels.Device device = deviceOption.resolve();
        long batchPixels = maxBatchPixels != null ? maxBatchPixels
                : device.kind() == io.wiseseg.kernels.Device.Kind.CPU ? ServeSettings.CPU_BATCH_PIXELS : 0;
        ServeSettings settings;
        try {
            settings = new ServeSettings(host, port, maxBatch, batchPixels, workers, maxDelayMs, queue, timeoutMs,
                    (long) maxBodyMb << 20, maxPixels);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
        Segmenter segmenter = LoadedSegmenter.load(checkpoint, threads, device);
        CountDownLatch stop = new CountDownLatch(1);
        // SIGTERM (docker stop, systemd, kubelet) and Ctrl-C end the wait below, so the server
        // closes gracefully and the command returns 0, instead of the JVM dying with 143
        sun.misc.Signal.handle(new sun.misc.Signal("TERM"), s -> stop.countDown());
        sun.misc.Signal.handle(new sun.misc.Signal("INT"), s -> stop.countDown());
        try (segmenter) {
            InferenceServer server;
            try {
                server = InferenceServer.start(segmenter, settings);
            } catch (IllegalStateException e) {
                throw new UserException(e.getMessage());
            }
            try (server) {
                out.printf("wiseseg serve: listening on http://%s:%d/ (model %s, %d classes); warming up%n",
                        host.contains(":") ? "[" + host + "]" : host, server.port(), ServeSettings.MODEL_NAME,
                        segmenter.classes().size());
                out.printf("wiseseg serve: %s, %d model thread%s%n", settings.maxBatch() == 1 ? "batching off (--max-batch 1)"
                        : "batches of up to " + settings.maxBatch() + " images and "
                        + (settings.maxBatchPixels() == 0 ? "any number of" : settings.maxBatchPixels())
                        + " input pixels, formed within " + settings.maxDelayMs() + " ms",
                        settings.workers(), settings.workers() == 1 ? "" : "s");
                try {
                    server.awaitReady();
                } catch (IllegalStateException e) {
                    throw new UserException(e.getMessage());
                }
                out.println("wiseseg serve: ready");
                stop.await();
                out.println("wiseseg serve: stopping (answering the requests in flight)");
            }
        }
        out.println("wiseseg serve: stopped");
        return 0;
    }
}
