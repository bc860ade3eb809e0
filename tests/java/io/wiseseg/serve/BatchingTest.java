package io.wiseseg.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.wiseseg.data.ImageFiles;
import io.wiseseg.data.RgbImage;
import io.wiseseg.data.Rle;
import io.wiseseg.kernels.Device;
import io.wiseseg.pipeline.Segment;
import io.wiseseg.pipeline.Segmenter;
import io.wiseseg.testing.TinyRun;
import java.io.IOException;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Batching, the bounded queue, deadlines and graceful shutdown, over real HTTP. The model is the
 * tiny run's segmenter behind a gate that a test can hold shut, so "the model is busy" is a state
 * the test sets instead of a race it hopes to win.
 */
class BatchingTest {
    private static Segmenter segmenter;
    private static List<byte[]> jpegs;

    /** The real model behind a gate; records the size of every batch it is given. */
    static final class GatedModel implements Batcher.Model {
        final List<Integer> batches = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger images = new AtomicInteger();
        volatile CountDownLatch entered = new CountDownLatch(1);
        volatile CountDownLatch open = new CountDownLatch(0);

        @Override
        public List<List<Segment>> segmentBatch(List<RgbImage> batch) {
            batches.add(batch.size());
            images.addAndGet(batch.size());
            entered.countDown();
            try {
                if (!open.await(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the test never opened the gate");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            return segmenter.segmentBatch(batch);
        }

        @Override
        public long inputPixels(RgbImage image) {
            return segmenter.inputPixels(image);
        }

        /** Holds the next batch at the gate; {@link #entered} opens when it gets there. */
        void close() {
            entered = new CountDownLatch(1);
            open = new CountDownLatch(1);
        }

        void reset() {
            batches.clear();
            images.set(0);
        }
    }

    @BeforeAll
    static void load() throws IOException {
        segmenter = Segmenter.load(TinyRun.dir(), Device.cpu());
        jpegs = new ArrayList<>();
        for (Path p : TinyRun.images()) {
            jpegs.add(Files.readAllBytes(p));
        }
    }

    @AfterAll
    static void close() {
        segmenter.close();
    }

    private static InferenceServer start(GatedModel model, ServeSettings settings) throws InterruptedException {
        InferenceServer server = InferenceServer.start(model, segmenter.classes(), settings.withPort(0));
        server.awaitReady();
        model.reset(); // forget the warm-up's batches
        return server;
    }

    /** Four requests at once become one batch of four; each gets what it would get alone. */
    @Test
    void concurrentRequestsRunAsOneBatchWithTheOneAtATimeResults() throws Exception {
        GatedModel model = new GatedModel();
        // a long delay: the batch runs when the fourth request joins, not when the delay ends
        try (InferenceServer server = start(model, ServeSettings.defaults().withBatching(4, 20_000))) {
            Http http = new Http(server.port());
            List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
            for (byte[] jpeg : jpegs) {
                answers.add(CompletableFuture.supplyAsync(() -> http.post("/v1/segment", "image/jpeg", jpeg)));
            }
            int found = 0;
            for (int i = 0; i < jpegs.size(); i++) {
                HttpResponse<String> r = answers.get(i).get(60, TimeUnit.SECONDS);
                assertEquals(200, r.statusCode(), r.body());
                List<Segment> alone = segmenter.segment(ImageFiles.decodeRgb(jpegs.get(i)));
                JsonNode results = Http.json(r);
                assertEquals(alone.size(), results.size(), "image " + i);
                for (int k = 0; k < alone.size(); k++) {
                    JsonNode j = results.get(k);
                    Segment s = alone.get(k);
                    // float32 rounding of a batch of four against one (see SameSegments)
                    assertEquals(s.classId() + 1, j.get("category_id").asInt());
                    assertEquals(s.score(), j.get("score").asDouble(), 1e-5, "image " + i + ", instance " + k);
                    long differ = s.mask().union(Rle.fromCompressedString(j.get("segmentation").get("counts").asText(), 64, 64)
                            .decode()) - s.mask().intersection(Rle.fromCompressedString(
                            j.get("segmentation").get("counts").asText(), 64, 64).decode());
                    assertTrue(differ <= Math.max(2, s.mask().area() / 200), differ + " mask pixels differ");
                }
                found += alone.size();
            }
            assertTrue(found > 0, "nothing found: the comparison would prove nothing");
            assertEquals(List.of(4), model.batches, "one batch of four");
            assertTrue(new Http(server.port()).get("/metrics").body().contains("wiseseg_batch_size_bucket{le=\"4.0\"} 1"));
        }
    }

    /** With batching off, the same four requests run one by one. */
    @Test
    void maxBatchOneTurnsBatchingOff() throws Exception {
        GatedModel model = new GatedModel();
        try (InferenceServer server = start(model, ServeSettings.defaults().withBatching(1, 20_000))) {
            Http http = new Http(server.port());
            List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
            for (byte[] jpeg : jpegs) {
                answers.add(CompletableFuture.supplyAsync(() -> http.post("/v1/segment", "image/jpeg", jpeg)));
            }
            for (CompletableFuture<HttpResponse<String>> a : answers) {
                assertEquals(200, a.get(60, TimeUnit.SECONDS).statusCode());
            }
            assertEquals(List.of(1, 1, 1, 1), model.batches);
        }
    }

    /**
     * A batch holds at most --max-batch-pixels of input (the tiny model pads each image to 64×64).
     * Room for two: two batches of two, each run as soon as it is full, without waiting out its
     * 20 s delay. Room for one and a half: the second image does not fit and opens the next batch.
     * Room for less than one: each image alone.
     */
    @Test
    void thePixelCapSplitsBatches() throws Exception {
        int image = 64 * 64;
        assertEquals(image, segmenter.inputPixels(ImageFiles.decodeRgb(jpegs.get(0))));
        assertEquals(image, segmenter.inputPixels(new RgbImage(7, 5, new byte[7 * 5 * 3])), "resized to 45×64, padded");
        assertThrows(IllegalArgumentException.class, () -> segmenter.inputPixels(new RgbImage(0, 5, new byte[0])));
        for (long cap : new long[] {2L * image, 3L * image / 2, image - 1}) {
            boolean pairs = cap == 2L * image;
            GatedModel model = new GatedModel();
            ServeSettings settings = ServeSettings.defaults().withBatching(4, pairs ? 20_000 : 1_000).withBatchPixels(cap);
            try (InferenceServer server = start(model, settings)) {
                Http http = new Http(server.port());
                model.close(); // the first batch waits at the model until every request has arrived
                List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
                for (byte[] jpeg : jpegs) {
                    answers.add(CompletableFuture.supplyAsync(() -> http.post("/v1/segment", "image/jpeg", jpeg)));
                }
                assertTrue(model.entered.await(30, TimeUnit.SECONDS), "the first batch never reached the model");
                awaitMetric(http, "wiseseg_queue_depth " + (pairs ? 2 : 3) + ".0");
                long start = System.nanoTime();
                model.open.countDown();
                for (int i = 0; i < jpegs.size(); i++) {
                    HttpResponse<String> r = answers.get(i).get(60, TimeUnit.SECONDS);
                    assertEquals(200, r.statusCode(), r.body());
                    assertEquals(segmenter.segment(ImageFiles.decodeRgb(jpegs.get(i))).size(), Http.json(r).size());
                }
                if (pairs) {
                    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(15), "a full batch waited out its delay");
                }
                assertEquals(pairs ? List.of(2, 2) : List.of(1, 1, 1, 1), model.batches, "cap " + cap);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> ServeSettings.defaults().withBatchPixels(-1));
    }

    /**
     * Two workers run two batches at once: with the gate shut, both requests reach the model
     * (one worker would hold the second in the queue), and both get their answers once it opens.
     */
    @Test
    void twoWorkersRunTwoBatchesAtOnce() throws Exception {
        GatedModel model = new GatedModel();
        try (InferenceServer server = start(model, ServeSettings.defaults().withBatching(1, 0).withWorkers(2))) {
            Http http = new Http(server.port());
            model.close();
            List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                int k = i;
                answers.add(CompletableFuture.supplyAsync(() -> http.post("/v1/segment", "image/jpeg", jpegs.get(k))));
            }
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (model.batches.size() < 2 && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            assertEquals(List.of(1, 1), model.batches, "both requests in the model while its gate is shut");
            assertTrue(http.get("/metrics").body().contains("wiseseg_queue_depth 0.0"));
            model.open.countDown();
            for (CompletableFuture<HttpResponse<String>> a : answers) {
                assertEquals(200, a.get(60, TimeUnit.SECONDS).statusCode());
            }
        }
        assertThrows(IllegalArgumentException.class, () -> ServeSettings.defaults().withWorkers(0));
    }

    /** The model busy, the queue of two full: the next request is refused at once with 429. */
    @Test
    void aFullQueueRefusesWith429() throws Exception {
        GatedModel model = new GatedModel();
        try (InferenceServer server = start(model, ServeSettings.defaults().withBatching(1, 0).withLimits(2, 60_000, 1 << 20))) {
            Http http = new Http(server.port());
            model.close();
            List<CompletableFuture<HttpResponse<String>>> waiting = new ArrayList<>();
            waiting.add(CompletableFuture.supplyAsync(() -> http.post("/v1/segment", "image/jpeg", jpegs.get(0))));
            assertTrue(model.entered.await(30, TimeUnit.SECONDS), "the first request never reached the model");
            for (int i = 0; i < 2; i++) {
                waiting.add(CompletableFuture.supplyAsync(() -> http.post("/v1/segment", "image/jpeg", jpegs.get(1))));
            }
            awaitMetric(http, "wiseseg_queue_depth 2.0");
            HttpResponse<String> refused = http.post("/v1/segment", "image/jpeg", jpegs.get(2));
            assertEquals(429, refused.statusCode(), refused.body());
            assertEquals("the queue is full (2 requests waiting); retry later", Http.json(refused).get("error").asText());
            model.open.countDown();
            for (CompletableFuture<HttpResponse<String>> w : waiting) {
                assertEquals(200, w.get(60, TimeUnit.SECONDS).statusCode());
            }
            assertEquals(200, http.post("/v1/segment", "image/jpeg", jpegs.get(2)).statusCode());
        }
    }

    /**
     * Past its deadline a request gets 504: the one the model is running (its result is thrown
     * away) and the one still queued, which the model then never sees (its work is dropped).
     */
    @Test
    void pastTheDeadline504AndTheWorkIsDropped() throws Exception {
        GatedModel model = new GatedModel();
        try (InferenceServer server = start(model, ServeSettings.defaults().withBatching(1, 0).withLimits(8, 500, 1 << 20))) {
            Http http = new Http(server.port());
            model.close();
            CompletableFuture<HttpResponse<String>> running =
                    CompletableFuture.supplyAsync(() -> http.post("/v1/segment", "image/jpeg", jpegs.get(0)));
            assertTrue(model.entered.await(30, TimeUnit.SECONDS));
            long start = System.nanoTime();
            HttpResponse<String> queued = http.post("/v1/segment", "image/jpeg", jpegs.get(1));
            long waitedMs = (System.nanoTime() - start) / 1_000_000;
            assertEquals(504, queued.statusCode(), queued.body());
            assertEquals("the request's deadline passed before the model could run it", Http.json(queued).get("error").asText());
            assertTrue(waitedMs < 5_000, "answered " + waitedMs + " ms after a 500 ms deadline");
            assertEquals(504, running.get(30, TimeUnit.SECONDS).statusCode());
            model.open.countDown();
            assertEquals(200, http.post("/v1/segment", "image/jpeg", jpegs.get(2)).statusCode());
            assertEquals(List.of(1, 1), model.batches, "the queued request's image never reached the model");
            assertTrue(http.get("/metrics").body().contains("wiseseg_dropped_total 1.0"));
        }
    }

    /** close(): not ready, no new connections, the request in flight still answered. */
    @Test
    void closeAnswersTheRequestsInFlight() throws Exception {
        GatedModel model = new GatedModel();
        InferenceServer server = start(model, ServeSettings.defaults().withBatching(1, 0));
        int port = server.port();
        Http http = new Http(port);
        model.close();
        CompletableFuture<HttpResponse<String>> inFlight =
                CompletableFuture.supplyAsync(() -> http.post("/v1/segment", "image/jpeg", jpegs.get(3)));
        assertTrue(model.entered.await(30, TimeUnit.SECONDS));
        CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        boolean refused = false;
        while (!refused && System.nanoTime() < until) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                Thread.sleep(20);
            } catch (IOException e) {
                refused = true;
            }
        }
        assertTrue(refused, "still accepting connections while closing");
        assertTrue(!closing.isDone(), "close() returned before the request in flight was answered");
        model.open.countDown();
        HttpResponse<String> r = inFlight.get(30, TimeUnit.SECONDS);
        assertEquals(200, r.statusCode(), r.body());
        closing.get(30, TimeUnit.SECONDS);
        assertTrue(!server.isReady());
        assertThrows(IOException.class, () -> new Socket("127.0.0.1", port).close());
    }

    private static void awaitMetric(Http http, String line) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < until) {
            if (http.get("/metrics").body().contains(line)) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no " + line + " in /metrics within 30 s");
    }
}
