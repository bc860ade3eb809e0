package io.wiseseg.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.HttpMediaType;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.DirectHandlers;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.wiseseg.data.Box;
import io.wiseseg.data.ClassSet;
import io.wiseseg.data.ImageFiles;
import io.wiseseg.data.RgbImage;
import io.wiseseg.data.Rle;
import io.wiseseg.pipeline.Segment;
import io.wiseseg.pipeline.Segmenter;
import io.wiseseg.util.Trace;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code wiseseg serve}: a trained Mask R-CNN behind HTTP, on Helidon SE's web server (a virtual
 * thread per request). It speaks the Open Inference Protocol's REST API ("V2": KServe, Triton and
 * Seldon share it) for the model {@value ServeSettings#MODEL_NAME}, and {@code POST /v1/segment}
 * (a raw JPEG or PNG body, COCO results back) for curl users; V2 tensors go as JSON or, with the
 * protocol's binary tensor data extension ({@link V2Binary}), as raw bytes. Requests meet a
 * {@link Batcher} (bounded queue: 429 when full; per-request deadline: 504 and the work dropped);
 * bad input of any kind is a 4xx with a one-line reason in the protocol's {@code {"error": "..."}}
 * object; the meters are at {@code GET /metrics} ({@link ServeMetrics}).
 *
 * <pre>{@code
 * try (Segmenter segmenter = Segmenter.load(run, Device.cpu());
 *      InferenceServer server = InferenceServer.start(segmenter, ServeSettings.defaults())) {
 *     server.awaitReady();
 *     ... // until it is time to stop; close() finishes the requests in flight first
 * }
 * }</pre>
 */
public final class InferenceServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(InferenceServer.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MODEL = ServeSettings.MODEL_NAME;
    private static final String VERSION = "1";
    private static final List<String> OUTPUTS = List.of("boxes", "labels", "label_names", "scores", "masks");
    private static final Set<String> IMAGE_TYPES = Set.of("image/jpeg", "image/png", "application/octet-stream");
    // octet-stream for a body with binary tensor data (as Triton's clients and docs send it); SageMaker's own form
    private static final Set<String> INFER_TYPES = Set.of("application/json", "application/octet-stream",
            V2Binary.SAGEMAKER_TYPE);

    private final Batcher.Model model;
    private final ClassSet classes;
    private final ServeSettings settings;
    private final ServeMetrics metrics;
    private final Batcher batcher;
    private final WebServer web;
    private final CountDownLatch warm = new CountDownLatch(1);
    private volatile boolean ready;
    private volatile RuntimeException warmUpFailure;

    private InferenceServer(Batcher.Model model, ClassSet classes, ServeSettings settings) {
        this.model = model;
        this.classes = classes;
        this.settings = settings;
        Batcher[] late = new Batcher[1]; // the queue-depth gauge reads the batcher made next
        this.metrics = new ServeMetrics(settings.maxBatch(), () -> late[0] == null ? 0 : late[0].depth());
        this.batcher = new Batcher(model, settings, metrics);
        late[0] = batcher;
        this.web = WebServer.builder()
                .host(settings.host())
                .port(settings.port())
                .maxPayloadSize(settings.maxBodyBytes())
                // no Nagle: an answer larger than one write buffer left its last segment waiting for
                // the client's delayed ACK, 40 ms on every request (hey: 104 ms p50 over a 60 ms model)
                .connectionOptions(o -> o.tcpNoDelay(true))
                // a request ends by its deadline at the latest: stop() lets those in flight finish
                .shutdownGracePeriod(Duration.ofMillis(settings.timeoutMs() + 1000L))
                .directHandlers(this::transportErrors)
                .routing(this::routes)
                .build();
    }

    /**
     * Starts listening at once (live), then warms the model up on a background thread (ready
     * after that: {@link #awaitReady}).
     *
     * @param segmenter a loaded model; the server does not close it
     * @param settings  where to listen and how to batch and limit requests
     * @return the running server
     * @throws IllegalStateException naming the address, when it cannot listen there
     */
    public static InferenceServer start(Segmenter segmenter, ServeSettings settings) {
        Batcher.Model model = new Batcher.Model() {
            @Override
            public List<List<Segment>> segmentBatch(List<RgbImage> images) {
                return segmenter.segmentBatch(images);
            }

            @Override
            public long inputPixels(RgbImage image) {
                return segmenter.inputPixels(image);
            }
        };
        return start(model, segmenter.classes(), settings);
    }

    /** Whether the listener sends each write at once (Nagle off), as a latency server should. */
    boolean sendsWithoutDelay() {
        return web.prototype().connectionOptions().tcpNoDelay();
    }

    /** A server on any batch model: {@link Segmenter#segmentBatch}, or a stand-in that tests can hold up. */
    static InferenceServer start(Batcher.Model model, ClassSet classes, ServeSettings settings) {
        InferenceServer server = new InferenceServer(model, classes, settings);
        try {
            server.web.start();
        } catch (RuntimeException e) {
            server.batcher.close();
            throw new IllegalStateException("cannot listen on " + settings.host() + ":" + settings.port() + ": "
                    + firstLine(e.getMessage()), e);
        }
        Thread.ofPlatform().name("wiseseg-warm-up").daemon(true).start(server::warmUp);
        return server;
    }

    /** The port it listens on (the chosen one when the settings said 0). */
    public int port() {
        return web.port();
    }

    /** Whether the model is loaded and warmed up ({@code GET /v2/health/ready}). */
    public boolean isReady() {
        return ready;
    }

    /**
     * Waits until the model is warmed up.
     *
     * @throws IllegalStateException when the warm-up failed (the model cannot run)
     */
    public void awaitReady() throws InterruptedException {
        warm.await();
        if (warmUpFailure != null) {
            throw new IllegalStateException("the model failed its warm-up: " + warmUpFailure.getMessage(), warmUpFailure);
        }
    }

    /** Runs the model once at batch size 1 (and once at 2, when batching): first calls are slow. */
    private void warmUp() {
        try (Trace.Span s = Trace.span("warm-up", "serve")) {
            RgbImage grey = new RgbImage(64, 48, new byte[64 * 48 * 3]);
            model.segmentBatch(List.of(grey));
            if (settings.maxBatch() > 1) {
                model.segmentBatch(List.of(grey, grey));
            }
            ready = true;
        } catch (RuntimeException e) {
            warmUpFailure = e;
            LOG.log(Level.SEVERE, "the model failed its warm-up", e);
        } finally {
            warm.countDown();
        }
    }

    /**
     * Graceful stop: not ready any more, no new connections, requests in flight answered (each
     * within its deadline), then the model thread stops. The segmenter stays open (its owner
     * closes it).
     */
    @Override
    public void close() {
        ready = false;
        web.stop();
        batcher.close();
    }

    // ---- routes

    private void routes(HttpRouting.Builder r) {
        r.get("/v2/health/live", wrap("live", (req, res) -> json(res, 200, JSON.createObjectNode().put("live", true))))
                .get("/v2/health/ready", wrap("ready", (req, res) ->
                        json(res, ready ? 200 : 400, JSON.createObjectNode().put("ready", ready))))
                .get("/v2", wrap("server_metadata", (req, res) -> json(res, 200, serverMetadata())))
                .get("/v2/models/{model}", wrap("model_metadata", (req, res) -> {
                    model(req);
                    json(res, 200, modelMetadata());
                }))
                .get("/v2/models/{model}/versions/{version}", wrap("model_metadata", (req, res) -> {
                    model(req);
                    json(res, 200, modelMetadata());
                }))
                .get("/v2/models/{model}/ready", wrap("model_ready", this::modelReady))
                .get("/v2/models/{model}/versions/{version}/ready", wrap("model_ready", this::modelReady))
                .post("/v2/models/{model}/infer", wrap("infer", this::infer))
                .post("/v2/models/{model}/versions/{version}/infer", wrap("infer", this::infer))
                .post("/v1/segment", wrap("segment", this::segment))
                .get("/metrics", wrap("metrics", (req, res) -> {
                    res.status(200).header(HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")
                            .send(metrics.scrape().getBytes(StandardCharsets.UTF_8));
                }))
                .get("/", wrap("page", (req, res) -> res.status(200)
                        .header(HeaderNames.CONTENT_TYPE, "text/html; charset=utf-8").send(Page.html())))
                .route(m -> true, io.helidon.http.PathMatchers.any(), wrap("unknown", (req, res) -> {
                    String path = req.path().path();
                    throw new RequestException(path.equals("/v1/segment") || path.matches("/v2/models/[^/]+(/versions/[^/]+)?/infer")
                            || path.matches("/v2.*|/metrics|/") ? 405 : 404,
                            "no endpoint " + req.prologue().method().text() + " " + path
                                    + " (see GET /v2 and the README for the endpoints)");
                }));
    }

    private Handler wrap(String endpoint, Handler handler) {
        return (req, res) -> {
            metrics.started();
            int status = 500;
            Trace.Span span = Trace.span("request", "serve").arg("endpoint", endpoint);
            try {
                handler.handle(req, res);
                status = res.status().code();
            } catch (RequestException e) {
                status = e.status();
                error(res, status, e.getMessage());
            } catch (io.helidon.webserver.CloseConnectionException e) {
                status = 499; // the client went away (mid-body or before its answer): Helidon closes the connection
                throw e;
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "request to " + endpoint + " failed", e);
                error(res, 500, "internal error: " + e.getClass().getSimpleName() + ": " + firstLine(e.getMessage()));
            } finally {
                metrics.finished(endpoint, status);
                span.arg("status", status).close();
            }
        };
    }

    private void modelReady(ServerRequest req, ServerResponse res) {
        model(req);
        json(res, ready ? 200 : 400, JSON.createObjectNode().put("name", MODEL).put("ready", ready));
    }

    /** The model the path names: ours, or 404. */
    private static void model(ServerRequest req) {
        String name = req.path().pathParameters().get("model");
        if (!name.equals(MODEL)) {
            throw new RequestException(404, "unknown model '" + name + "'; this server serves '" + MODEL + "'");
        }
        if (req.path().pathParameters().contains("version")) {
            String version = req.path().pathParameters().get("version");
            if (!version.equals(VERSION)) {
                throw new RequestException(404, "unknown version '" + version + "' of model '" + MODEL
                        + "'; it has version " + VERSION);
            }
        }
    }

    private ObjectNode serverMetadata() {
        ObjectNode n = JSON.createObjectNode().put("name", "wiseseg").put("version", version());
        n.putArray("extensions").add("binary_tensor_data"); // V2Binary
        return n;
    }

    private ObjectNode modelMetadata() {
        ObjectNode n = JSON.createObjectNode().put("name", MODEL).put("platform", "wiseseg_maskrcnn");
        n.putArray("versions").add(VERSION);
        ObjectNode in = n.putArray("inputs").addObject().put("name", "image").put("datatype", "BYTES");
        in.putArray("shape").add(1);
        in.putObject("parameters").put("description", "one encoded JPEG or PNG image (base64 in JSON, or one "
                + "length-prefixed element of binary data); or datatype UINT8 with shape [H, W, 3]: RGB pixels, row-major");
        ArrayNode outs = n.putArray("outputs");
        output(outs, "boxes", "FP32", -1, 4).putObject("parameters").put("description", "x1, y1, x2, y2 in pixels");
        output(outs, "labels", "INT32", -1).putObject("parameters").put("description", "class ids, from 0");
        output(outs, "label_names", "BYTES", -1);
        output(outs, "scores", "FP32", -1);
        output(outs, "masks", "BYTES", -1).putObject("parameters")
                .put("description", "COCO compressed RLE strings at the image's size (parameters height, width)");
        n.putObject("parameters").put("classes", String.join(",", classes.names()));
        return n;
    }

    private static ObjectNode output(ArrayNode outs, String name, String datatype, long... shape) {
        ObjectNode o = outs.addObject().put("name", name).put("datatype", datatype);
        ArrayNode s = o.putArray("shape");
        for (long d : shape) {
            s.add(d);
        }
        return o;
    }

    // ---- inference

    /** What one image's run took, stage by stage, for the metrics and the Server-Timing header. */
    private record Timed(List<Segment> segments, int height, int width, long decode, long queue, long model) {}

    private void infer(ServerRequest req, ServerResponse res) {
        long arrival = System.nanoTime();
        model(req);
        requireType(req, INFER_TYPES, "application/json (an inference request), or application/octet-stream with "
                + V2Binary.HEADER + " (one with binary tensor data)");
        byte[] body = body(req);
        if (body.length == 0) {
            throw new RequestException(400, "the request has no body; send an inference request in JSON");
        }
        long t0 = System.nanoTime();
        boolean sageMaker = req.headers().contentType()
                .map(t -> t.mediaType().text().equalsIgnoreCase(V2Binary.SAGEMAKER_TYPE)).orElse(false);
        Integer jsonLength = jsonLength(req, body.length);
        InferRequest request = jsonLength == null ? InferRequest.parse(body) : InferRequest.parse(body, jsonLength);
        List<String> wanted = request.outputs().isEmpty() ? OUTPUTS : request.outputNames();
        for (String o : wanted) {
            if (!OUTPUTS.contains(o)) {
                throw new RequestException(400, "unknown output '" + o + "'; the outputs are " + String.join(", ", OUTPUTS));
            }
        }
        RgbImage image = V2Tensors.image(request, settings.maxPixels());
        Trace.complete("parse request", "serve", t0, System.nanoTime()); // JSON, then the image (a decode span of its own)
        Timed t = run(image, arrival, System.nanoTime() - t0);
        long e0 = System.nanoTime();
        ObjectNode out = JSON.createObjectNode().put("model_name", MODEL).put("model_version", VERSION);
        if (request.id() != null) {
            out.put("id", request.id());
        }
        List<byte[]> binary = V2Tensors.outputs(out.putArray("outputs"), wanted, request::binaryOutput, t.segments(),
                t.height(), t.width());
        byte[] json = bytes(out);
        if (binary.isEmpty()) {
            finish(res, json, "application/json", t, arrival, System.nanoTime() - e0);
            return;
        }
        res.header(V2Binary.HEADER, String.valueOf(json.length));
        finish(res, V2Binary.body(json, binary), sageMaker ? V2Binary.SAGEMAKER_TYPE + ";" + V2Binary.SAGEMAKER_LENGTH
                + "=" + json.length : "application/octet-stream", t, arrival, System.nanoTime() - e0);
    }

    /**
     * The length of the JSON header before binary tensor data, when the request declares one: in
     * the {@value V2Binary#HEADER} header, or in the Content-Type's json-header-size (SageMaker's
     * form); null when the body is all JSON.
     */
    private static Integer jsonLength(ServerRequest req, int bodyLength) {
        HeaderName header = HeaderNames.create(V2Binary.HEADER);
        if (req.headers().contains(header)) {
            // repeated headers come as one comma-joined value, which is not a number
            return V2Binary.jsonLength(String.join(", ", req.headers().all(header, List::of)),
                    "the " + V2Binary.HEADER + " header", bodyLength);
        }
        java.util.Optional<HttpMediaType> type = req.headers().contentType();
        if (type.isPresent() && type.get().mediaType().text().equalsIgnoreCase(V2Binary.SAGEMAKER_TYPE)) {
            for (var p : type.get().parameters().entrySet()) {
                if (p.getKey().equalsIgnoreCase(V2Binary.SAGEMAKER_LENGTH)) {
                    return V2Binary.jsonLength(p.getValue(), "the Content-Type's " + V2Binary.SAGEMAKER_LENGTH, bodyLength);
                }
            }
        }
        return null;
    }

    private void segment(ServerRequest req, ServerResponse res) {
        long arrival = System.nanoTime();
        requireType(req, IMAGE_TYPES, "image/jpeg, image/png or application/octet-stream (the image's bytes)");
        byte[] body = body(req);
        long t0 = System.nanoTime();
        RgbImage image = decode(body);
        Timed t = run(image, arrival, System.nanoTime() - t0);
        long e0 = System.nanoTime();
        String id = req.query().contains("image_id") ? req.query().get("image_id") : "0";
        ArrayNode results = JSON.createArrayNode();
        for (Segment s : t.segments()) {
            ObjectNode r = results.addObject();
            if (id.matches("-?\\d{1,18}")) {
                r.put("image_id", Long.parseLong(id));
            } else {
                r.put("image_id", id);
            }
            r.put("category_id", s.classId() + 1).put("category_name", s.className());
            Box b = s.box();
            r.putArray("bbox").add(b.x1()).add(b.y1()).add(b.width()).add(b.height());
            r.put("score", s.score());
            ObjectNode seg = r.putObject("segmentation");
            seg.putArray("size").add(s.mask().height()).add(s.mask().width());
            seg.put("counts", Rle.encode(s.mask()).toCompressedString());
        }
        finish(res, bytes(results), "application/json", t, arrival, System.nanoTime() - e0);
    }

    private RgbImage decode(byte[] encoded) {
        try {
            return ImageFiles.decodeRgb(encoded, settings.maxPixels(), true);
        } catch (IllegalArgumentException e) {
            throw new RequestException(400, firstLine(e.getMessage()));
        }
    }

    /** Through the batcher, within the request's deadline. */
    private Timed run(RgbImage image, long arrival, long decodeNanos) {
        long deadline = arrival + TimeUnit.MILLISECONDS.toNanos(settings.timeoutMs());
        CompletableFuture<Batcher.Result> future = null;
        Batcher.Result r;
        // queue + the batch's model run; opened before the submit, which the model thread may take at once
        try (Trace.Span s = Trace.span("wait for model", "serve")) {
            future = batcher.submit(image, arrival, deadline);
            r = future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            // the model thread skips a job that is already done: this drops the work if not begun
            future.completeExceptionally(Batcher.deadline());
            throw Batcher.deadline();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RequestException re) {
                throw re;
            }
            throw new IllegalStateException("the model failed: " + firstLine(e.getCause().getMessage()), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RequestException(503, "the server is shutting down");
        }
        return new Timed(r.segments(), image.height(), image.width(), decodeNanos, r.queueNanos(), r.modelNanos());
    }

    private void finish(ServerResponse res, byte[] body, String type, Timed t, long arrival, long encodeNanos) {
        long now = System.nanoTime();
        Trace.complete("encode", "serve", now - encodeNanos, now); // the answer's JSON (and RLE masks)
        metrics.stages(t.queue(), t.decode(), t.model(), encodeNanos, System.nanoTime() - arrival);
        res.status(200).header(HeaderNames.CONTENT_TYPE, type)
                .header("Server-Timing", String.format(Locale.ROOT, "decode;dur=%.2f, queue;dur=%.2f, model;dur=%.2f, encode;dur=%.2f",
                        t.decode() / 1e6, t.queue() / 1e6, t.model() / 1e6, encodeNanos / 1e6))
                .send(body);
    }

    // ---- request checks

    private static void requireType(ServerRequest req, Set<String> allowed, String what) {
        java.util.Optional<HttpMediaType> type = req.headers().contentType();
        if (type.isPresent()) {
            String t = type.get().mediaType().text().toLowerCase(Locale.ROOT);
            if (!allowed.contains(t)) {
                throw new RequestException(415, "Content-Type " + t + " is not accepted here; send " + what);
            }
        }
    }

    /** The whole body, at most --max-body-mb of it (413 past that). */
    private byte[] body(ServerRequest req) {
        long limit = settings.maxBodyBytes();
        OptionalLong declared = req.headers().contentLength();
        if (declared.isPresent() && declared.getAsLong() > limit) {
            throw tooLarge(declared.getAsLong() + " bytes");
        }
        if (!req.content().hasEntity()) {
            return new byte[0];
        }
        byte[] b;
        try (InputStream in = req.content().inputStream()) {
            b = in.readNBytes((int) Math.min(limit + 1, Integer.MAX_VALUE - 8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (io.helidon.common.buffers.DataReader.InsufficientDataAvailableException e) {
            // no one to answer: Helidon closes the connection without a response
            throw new io.helidon.webserver.CloseConnectionException("the client closed the connection mid-body", e);
        } catch (io.helidon.http.RequestException e) {
            // Helidon's own limit on a chunked body, or a body that broke off
            if (e.status().code() == 413) {
                throw tooLarge("more than " + limit + " bytes");
            }
            throw new io.helidon.webserver.CloseConnectionException("the body broke off: " + e.getMessage(), e);
        }
        if (b.length > limit) {
            throw tooLarge("more than " + limit + " bytes");
        }
        return b;
    }

    private RequestException tooLarge(String size) {
        return new RequestException(413, "the body has " + size + "; the limit is " + settings.maxBodyBytes()
                + " bytes (--max-body-mb)");
    }

    // ---- responses

    private static void json(ServerResponse res, int status, ObjectNode body) {
        res.status(status).header(HeaderNames.CONTENT_TYPE, "application/json").send(bytes(body));
    }

    private static void error(ServerResponse res, int status, String reason) {
        if (res.isSent()) {
            return;
        }
        try {
            if (status == 413) {
                // the rest of the body is never read, so this connection cannot carry another request
                res.header(HeaderNames.CONNECTION, "close");
            }
            json(res, status, JSON.createObjectNode().put("error", reason));
        } catch (UncheckedIOException | io.helidon.webserver.CloseConnectionException e) {
            // the client is gone: no one to tell
        }
    }

    /** Errors Helidon answers itself, before any route (malformed HTTP, an oversize body): our error object too. */
    private void transportErrors(DirectHandlers.Builder handlers) {
        DirectHandler json = (request, event, status, headers, message) -> {
            metrics.count("transport", status.code());
            String reason = status.code() == 413
                    ? "the body is over the limit of " + settings.maxBodyBytes() + " bytes (--max-body-mb)"
                    : firstLine(message == null || message.isBlank() ? status.reasonPhrase() : message);
            headers.set(HeaderNames.CONTENT_TYPE, "application/json");
            return DirectHandler.TransportResponse.builder().status(status).headers(headers)
                    .entity(bytes(JSON.createObjectNode().put("error", reason))).build();
        };
        for (DirectHandler.EventType e : DirectHandler.EventType.values()) {
            handlers.addHandler(e, json);
        }
    }

    private static byte[] bytes(Object node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String firstLine(String message) {
        return message == null ? "no detail" : message.lines().findFirst().orElse("").strip();
    }

    private static String version() {
        String v = InferenceServer.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
