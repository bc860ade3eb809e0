package io.wiseseg.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wiseseg.data.Box;
import io.wiseseg.data.ImageFiles;
import io.wiseseg.data.Mask;
import io.wiseseg.data.RgbImage;
import io.wiseseg.data.Rle;
import io.wiseseg.kernels.Device;
import io.wiseseg.pipeline.Segment;
import io.wiseseg.pipeline.Segmenter;
import io.wiseseg.testing.TestImages;
import io.wiseseg.testing.TinyRun;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The server over real HTTP (the JDK's HttpClient, and raw sockets for broken clients) on a free
 * loopback port, with the tiny trained run: every endpoint, and every kind of bad input, each
 * followed by a good request that must still be served. One server and one model for the class.
 */
class ServerTest {
    private static final long MAX_BODY = 1L << 20;
    private static Segmenter segmenter;
    private static InferenceServer server;
    private static Http http;
    private static byte[] jpeg; // the tiny run's image with the most instances
    private static RgbImage jpegPixels;

    @BeforeAll
    static void start() throws Exception {
        segmenter = Segmenter.load(TinyRun.dir(), Device.cpu());
        server = InferenceServer.start(segmenter, ServeSettings.defaults().withPort(0).withLimits(64, 30_000, MAX_BODY));
        server.awaitReady();
        http = new Http(server.port());
        jpeg = Files.readAllBytes(TinyRun.images().get(3));
        jpegPixels = ImageFiles.decodeRgb(jpeg);
    }

    @AfterAll
    static void stop() {
        server.close();
        segmenter.close();
    }

    // ---- the endpoints

    @Test
    void healthAndMetadata() {
        assertJson(200, "{\"live\":true}", http.get("/v2/health/live"));
        assertJson(200, "{\"ready\":true}", http.get("/v2/health/ready"));
        JsonNode server = Http.json(ok(http.get("/v2")));
        assertEquals("wiseseg", server.get("name").asText());
        assertTrue(server.get("extensions").isArray());
        JsonNode model = Http.json(ok(http.get("/v2/models/wiseseg")));
        assertEquals("wiseseg", model.get("name").asText());
        assertEquals("image", model.get("inputs").get(0).get("name").asText());
        List<String> outputs = new ArrayList<>();
        model.get("outputs").forEach(o -> outputs.add(o.get("name").asText()));
        assertEquals(List.of("boxes", "labels", "label_names", "scores", "masks"), outputs);
        assertEquals(String.join(",", segmenter.classes().names()), model.get("parameters").get("classes").asText());
        assertEquals(model, Http.json(ok(http.get("/v2/models/wiseseg/versions/1"))));
        assertJson(200, "{\"name\":\"wiseseg\",\"ready\":true}", http.get("/v2/models/wiseseg/ready"));
        assertJson(200, "{\"name\":\"wiseseg\",\"ready\":true}", http.get("/v2/models/wiseseg/versions/1/ready"));
    }

    /**
     * Nagle is off on the listener: with it, an answer over one write buffer (the demo's 11 KB)
     * waited for the client's delayed ACK, 40 ms per request at concurrency 1 (bench/RESULTS.md).
     */
    @Test
    void answersAreSentWithoutNagleDelay() {
        assertTrue(server.sendsWithoutDelay());
    }

    /** Both input forms give what the segmenter gives the same pixels directly. */
    @Test
    void inferWithAnEncodedImageOrPixels() {
        List<Segment> expected = segmenter.segment(jpegPixels);
        assertFalse(expected.isEmpty());
        JsonNode bytes = Http.json(ok(infer(bytesRequest(jpeg))));
        assertEquals("wiseseg", bytes.get("model_name").asText());
        assertEquals("1", bytes.get("model_version").asText());
        assertEquals("request-7", bytes.get("id").asText());
        assertEquals(expected, segments(bytes, jpegPixels.height(), jpegPixels.width()));
        JsonNode pixels = Http.json(ok(infer(pixelRequest(jpegPixels, new long[] {64, 64, 3}))));
        assertEquals(expected, segments(pixels, 64, 64));
        JsonNode batched = Http.json(ok(infer(pixelRequest(jpegPixels, new long[] {1, 64, 64, 3}))));
        assertEquals(expected, segments(batched, 64, 64));
        // the versioned path, and outputs chosen by name
        ObjectNode some = bytesRequest(jpeg);
        some.putArray("outputs").addObject().put("name", "scores");
        JsonNode scores = Http.json(ok(http.post("/v2/models/wiseseg/versions/1/infer", "application/json", bytes(some))));
        assertEquals(1, scores.get("outputs").size());
        assertEquals(expected.size(), scores.get("outputs").get(0).get("data").size());
        assertEquals(expected.size(), scores.get("outputs").get(0).get("shape").get(0).asInt());
    }

    @Test
    void segmentReturnsCocoResults() {
        List<Segment> expected = segmenter.segment(jpegPixels);
        HttpResponse<String> r = ok(http.post("/v1/segment?image_id=42", "image/jpeg", jpeg));
        assertTrue(r.headers().firstValue("Server-Timing").orElse("").matches(
                "decode;dur=[0-9.]+, queue;dur=[0-9.]+, model;dur=[0-9.]+, encode;dur=[0-9.]+"), r.headers().map().toString());
        JsonNode results = Http.json(r);
        assertEquals(expected.size(), results.size());
        for (int i = 0; i < expected.size(); i++) {
            Segment s = expected.get(i);
            JsonNode j = results.get(i);
            assertEquals(42, j.get("image_id").asInt());
            assertEquals(s.classId() + 1, j.get("category_id").asInt());
            assertEquals(s.className(), j.get("category_name").asText());
            assertEquals(s.score(), (float) j.get("score").asDouble());
            Box b = s.box();
            assertEquals(List.of(b.x1(), b.y1(), b.width(), b.height()), floats(j.get("bbox")));
            assertEquals(List.of(64, 64), List.of(j.get("segmentation").get("size").get(0).asInt(),
                    j.get("segmentation").get("size").get(1).asInt()));
            assertEquals(s.mask(), Rle.fromCompressedString(j.get("segmentation").get("counts").asText(), 64, 64).decode());
        }
        // no Content-Type is taken as an image too (curl --data-binary sends one; other clients may not)
        assertEquals(results, Http.json(ok(http.post("/v1/segment?image_id=42", null, jpeg))));
    }

    @Test
    void thePage() {
        HttpResponse<String> r = ok(http.get("/"));
        assertEquals("text/html; charset=utf-8", r.headers().firstValue("Content-Type").orElse(""));
        assertTrue(r.body().contains("fetch(\"/v1/segment\""), "the page posts to /v1/segment");
    }

    @Test
    void metricsInPrometheusText() {
        ok(http.post("/v1/segment", "image/jpeg", jpeg));
        refused(400, "encoded image (0 bytes): empty file", http.post("/v1/segment", "image/png", new byte[0]));
        HttpResponse<String> r = ok(http.get("/metrics"));
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        String text = r.body();
        for (String line : List.of("wiseseg_requests_total{endpoint=\"segment\",status=\"200\"}",
                "wiseseg_requests_total{endpoint=\"segment\",status=\"400\"}",
                "wiseseg_queue_seconds_bucket{le=", "wiseseg_decode_seconds_bucket{le=", "wiseseg_model_seconds_bucket{le=",
                "wiseseg_encode_seconds_bucket{le=", "wiseseg_request_seconds_count ", "wiseseg_batch_size_bucket{le=\"1.0\"}",
                "wiseseg_queue_depth ", "wiseseg_in_flight ", "wiseseg_dropped_total ")) {
            assertTrue(text.contains(line), "no " + line + " in\n" + text);
        }
        // this scrape itself is in flight while it is written
        assertTrue(text.contains("wiseseg_in_flight 1.0"), text);
    }

    // ---- bad input: a 4xx with a one-line reason, and the next request is served

    @Test
    void notAnImage() {
        refused(400, "encoded image (12 bytes): not a JPEG or PNG file",
                http.post("/v1/segment", "image/jpeg", "hello, world".getBytes(StandardCharsets.UTF_8)));
        refused(400, "input 'image': encoded image (12 bytes): not a JPEG or PNG file",
                infer(bytesRequest("hello, world".getBytes(StandardCharsets.UTF_8))));
        ObjectNode notBase64 = bytesRequest(jpeg);
        field(notBase64, "data").set(0, Http.JSON.getNodeFactory().textNode("**not base64**"));
        refused(400, "input 'image': its BYTES value is not base64", infer(notBase64));
    }

    @Test
    void truncatedAndEmptyImages() {
        byte[] half = Arrays.copyOf(jpeg, jpeg.length / 2);
        refused(400, "encoded image (" + half.length + " bytes): truncated JPEG", http.post("/v1/segment", "image/jpeg", half));
        byte[] png = TestImages.png(jpegPixels);
        byte[] halfPng = Arrays.copyOf(png, png.length / 2);
        refused(400, "input 'image': encoded image (" + halfPng.length + " bytes): truncated PNG", infer(bytesRequest(halfPng)));
        refused(400, "encoded image (0 bytes): empty file", http.post("/v1/segment", "image/jpeg", new byte[0]));
        refused(400, "input 'image': encoded image (0 bytes): empty file", infer(bytesRequest(new byte[0])));
    }

    @Test
    void aHeaderClaimingTenBillionPixels() {
        byte[] huge = TestImages.pngHeaderClaiming(100_000, 100_000);
        String reason = "encoded image (" + huge.length + " bytes): PNG of 100000x100000 pixels is over the limit of "
                + ServeSettings.defaults().maxPixels() + " pixels";
        refused(400, reason, http.post("/v1/segment", "image/png", huge));
        refused(400, "input 'image': " + reason, infer(bytesRequest(huge)));
        refused(400, "input 'image' of 100000x100000 pixels is over the limit", infer(shapeOnly("UINT8", 100_000, 100_000, 3)));
        // shapes whose element count overflows a long: still a 400, not a 500
        refused(400, "input 'image' of 4294967296x4294967296 pixels is over the limit",
                infer(shapeOnly("UINT8", 1L << 32, 1L << 32, 3)));
        refused(400, "input 'image' of datatype BYTES must hold one encoded image", infer(shapeOnly("BYTES", 1L << 32, 1L << 32)));
    }

    /** Grey, RGBA, 16-bit and CMYK images are images: served, with masks at their size. */
    @Test
    void everyColourLayoutIsServed() {
        for (byte[] image : List.of(TestImages.greyPng(40, 30), TestImages.greyJpeg(40, 30), TestImages.rgbaPng(40, 30),
                TestImages.rgb16Png(40, 30), TestImages.grey16Png(40, 30))) {
            assertMasksOfSize(40, 30, Http.json(ok(http.post("/v1/segment", null, image))));
            ok(infer(bytesRequest(image)));
        }
        byte[] cmyk = TestImages.cmykJpeg();
        List<Segment> expected = segmenter.segment(ImageFiles.decodeRgb(cmyk));
        JsonNode v2 = Http.json(ok(infer(bytesRequest(cmyk))));
        assertEquals(expected, segments(v2, 24, 32));
        assertMasksOfSize(32, 24, Http.json(ok(http.post("/v1/segment", "image/jpeg", cmyk))));
    }

    /** A phone's portrait photo: stored landscape with orientation 6, segmented as shown (portrait). */
    @Test
    void anExifRotatedJpegIsSegmentedAsViewersShowIt() {
        byte[] landscape = TestImages.jpeg(new RgbImage(64, 48, Arrays.copyOf(jpegPixels.rgb(), 64 * 48 * 3)));
        byte[] tagged = TestImages.withExifOrientation(landscape, 6);
        RgbImage shown = ImageFiles.decodeRgb(tagged, Long.MAX_VALUE, true);
        assertEquals(48, shown.width());
        List<Segment> expected = segmenter.segment(shown);
        assertFalse(expected.isEmpty(), "nothing found: the test would prove nothing");
        assertEquals(expected, segments(Http.json(ok(infer(bytesRequest(tagged)))), 64, 48));
        JsonNode coco = Http.json(ok(http.post("/v1/segment", "image/jpeg", tagged)));
        assertMasksOfSize(48, 64, coco);
    }

    @Test
    void aBodyOverTheLimit() throws IOException {
        byte[] big = new byte[(int) MAX_BODY + 1];
        System.arraycopy(jpeg, 0, big, 0, jpeg.length);
        String reason = "the body";
        // declared by Content-Length: refused before the body is read (the client may not even finish
        // sending; a client still writing when the server closes may see a reset instead of the
        // answer, so these send only the body's start and then read)
        assertRefusedByLength("/v1/segment", "image/jpeg", big.length, jpeg, reason);
        byte[] bigJson = bytes(bytesRequest(big));
        assertRefusedByLength("/v2/models/wiseseg/infer", "application/json", bigJson.length,
                java.util.Arrays.copyOf(bigJson, 4096), reason);
        // chunked, no length up front: refused once the limit is passed
        HttpResponse<String> chunked = http.send(HttpRequest.newBuilder(http.uri("/v1/segment"))
                .header("Content-Type", "image/jpeg")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))));
        refused(413, reason, chunked);
    }

    private void assertRefusedByLength(String path, String type, long length, byte[] start, String reason)
            throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.getOutputStream().write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + type
                    + "\r\nContent-Length: " + length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().write(start);
            String response = new String(s.getInputStream().readNBytes(400), StandardCharsets.UTF_8);
            assertTrue(response.startsWith("HTTP/1.1 413"), response);
            assertTrue(response.contains("{\"error\":\"" + reason), response);
        }
    }

    @Test
    void wrongTensorShapeDatatypeOrValues() {
        refused(400, "input 'image' of datatype UINT8 must have shape [H, W, 3] or [1, H, W, 3], got [64, 64]",
                infer(shapeOnly("UINT8", 64, 64)));
        refused(400, "input 'image' of datatype UINT8 must have shape [H, W, 3] or [1, H, W, 3], got [2, 64, 64, 3]",
                infer(shapeOnly("UINT8", 2, 64, 64, 3)));
        refused(400, "input 'image' has no pixels: shape [0, 64, 3]", infer(shapeOnly("UINT8", 0, 64, 3)));
        refused(400, "input 'image' of shape [64, 64, 3] needs 12288 integer values, got 0", infer(shapeOnly("UINT8", 64, 64, 3)));
        refused(400, "input 'image' has datatype FP32; expected BYTES", infer(shapeOnly("FP32", 64, 64, 3)));
        ObjectNode outOfRange = pixelRequest(jpegPixels, new long[] {64, 64, 3});
        field(outOfRange, "data").set(5, Http.JSON.getNodeFactory().numberNode(256));
        refused(400, "input 'image' of datatype UINT8 holds 256 at index 5; values must be 0..255", infer(outOfRange));
        ObjectNode floats = pixelRequest(jpegPixels, new long[] {64, 64, 3});
        field(floats, "data").set(0, Http.JSON.getNodeFactory().numberNode(0.5));
        refused(400, "an input's \"data\" holds a floating-point number", infer(floats));
        ObjectNode two = bytesRequest(jpeg);
        field(two, "data").add(Base64.getEncoder().encodeToString(jpeg));
        field(two, "shape").set(0, 2);
        refused(400, "input 'image' of datatype BYTES must hold one encoded image", infer(two));
        ObjectNode named = bytesRequest(jpeg);
        ((ObjectNode) named.get("inputs").get(0)).put("name", "picture");
        refused(400, "expected one input named 'image', got ['picture']", infer(named));
        ObjectNode output = bytesRequest(jpeg);
        output.putArray("outputs").addObject().put("name", "heatmap");
        refused(400, "unknown output 'heatmap'; the outputs are boxes, labels, label_names, scores, masks", infer(output));
    }

    @Test
    void malformedJson() {
        refused(400, "malformed JSON: ", http.post("/v2/models/wiseseg/infer", "application/json",
                "{\"inputs\": [{\"name\": \"image\",".getBytes(StandardCharsets.UTF_8)));
        refused(400, "malformed JSON: ", http.post("/v2/models/wiseseg/infer", "application/json",
                "not json".getBytes(StandardCharsets.UTF_8)));
        refused(400, "the body must be a JSON object", http.post("/v2/models/wiseseg/infer", "application/json",
                "[1, 2]".getBytes(StandardCharsets.UTF_8)));
        refused(400, "the request has no \"inputs\"", http.post("/v2/models/wiseseg/infer", "application/json",
                "{}".getBytes(StandardCharsets.UTF_8)));
        refused(400, "the request has no body", http.post("/v2/models/wiseseg/infer", "application/json", new byte[0]));
        refused(400, "unexpected data after the JSON object", http.post("/v2/models/wiseseg/infer", "application/json",
                "{\"inputs\": []} {}".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void unknownModelVersionOrPath() {
        String reason = "unknown model 'maskrcnn'; this server serves 'wiseseg'";
        refused(404, reason, http.get("/v2/models/maskrcnn"));
        refused(404, reason, http.get("/v2/models/maskrcnn/ready"));
        refused(404, reason, http.post("/v2/models/maskrcnn/infer", "application/json", bytes(bytesRequest(jpeg))));
        refused(404, "unknown version '2' of model 'wiseseg'; it has version 1", http.get("/v2/models/wiseseg/versions/2"));
        refused(404, "no endpoint GET /v3", http.get("/v3"));
        refused(405, "no endpoint GET /v2/models/wiseseg/infer", http.get("/v2/models/wiseseg/infer"));
        refused(405, "no endpoint GET /v1/segment", http.get("/v1/segment"));
    }

    @Test
    void wrongContentType() {
        refused(415, "Content-Type text/plain is not accepted here; send image/jpeg, image/png or application/octet-stream",
                http.post("/v1/segment", "text/plain", jpeg));
        refused(415, "Content-Type application/json is not accepted here", http.post("/v1/segment", "application/json", jpeg));
        refused(415, "Content-Type image/jpeg is not accepted here; send application/json",
                http.post("/v2/models/wiseseg/infer", "image/jpeg", jpeg));
    }

    /** Clients that hang up halfway through their body, or before the answer: the server goes on. */
    @Test
    void clientsThatDisconnect() throws IOException {
        for (int round = 0; round < 3; round++) {
            try (Socket s = new Socket("127.0.0.1", server.port())) {
                OutputStream out = s.getOutputStream();
                out.write(("POST /v1/segment HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/jpeg\r\nContent-Length: "
                        + jpeg.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(jpeg, 0, jpeg.length / 3);
                out.flush();
            } // closed mid-body
            try (Socket s = new Socket("127.0.0.1", server.port())) {
                OutputStream out = s.getOutputStream();
                out.write(("POST /v1/segment HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/jpeg\r\nContent-Length: "
                        + jpeg.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(jpeg);
                out.flush();
            } // closed before the answer
            try (Socket s = new Socket("127.0.0.1", server.port())) {
                s.getOutputStream().write("GARBAGE\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                InputStream in = s.getInputStream();
                String response = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
                assertTrue(response.startsWith("HTTP/1.1 4"), "a malformed request line: " + response);
            }
        }
        assertStillServes();
    }

    // ---- helpers

    /** A field (data, shape) of a request's first input. */
    private static com.fasterxml.jackson.databind.node.ArrayNode field(ObjectNode request, String name) {
        return (com.fasterxml.jackson.databind.node.ArrayNode) request.get("inputs").get(0).get(name);
    }

    private static HttpResponse<String> infer(ObjectNode request) {
        return http.post("/v2/models/wiseseg/infer", "application/json", bytes(request));
    }

    private static ObjectNode bytesRequest(byte[] image) {
        ObjectNode r = Http.JSON.createObjectNode().put("id", "request-7");
        ObjectNode in = r.putArray("inputs").addObject().put("name", "image").put("datatype", "BYTES");
        in.putArray("shape").add(1);
        in.putArray("data").add(Base64.getEncoder().encodeToString(image));
        return r;
    }

    private static ObjectNode pixelRequest(RgbImage image, long[] shape) {
        ObjectNode r = Http.JSON.createObjectNode();
        ObjectNode in = r.putArray("inputs").addObject().put("name", "image").put("datatype", "UINT8");
        Arrays.stream(shape).forEach(in.putArray("shape")::add);
        var data = in.putArray("data");
        for (byte b : image.rgb()) {
            data.add(b & 0xFF);
        }
        return r;
    }

    private static ObjectNode shapeOnly(String datatype, long... shape) {
        ObjectNode r = Http.JSON.createObjectNode();
        ObjectNode in = r.putArray("inputs").addObject().put("name", "image").put("datatype", datatype);
        Arrays.stream(shape).forEach(in.putArray("shape")::add);
        in.putArray("data");
        return r;
    }

    /** The segments of a V2 response, masks decoded from their RLE strings. */
    private static List<Segment> segments(JsonNode response, int height, int width) {
        JsonNode[] o = new JsonNode[5];
        List<String> names = List.of("boxes", "labels", "label_names", "scores", "masks");
        response.get("outputs").forEach(t -> o[names.indexOf(t.get("name").asText())] = t);
        JsonNode masks = o[4];
        assertEquals(height, masks.get("parameters").get("height").asInt());
        assertEquals(width, masks.get("parameters").get("width").asInt());
        assertEquals("coco_rle", masks.get("parameters").get("format").asText());
        int n = o[3].get("shape").get(0).asInt();
        assertEquals(List.of(n, 4), List.of(o[0].get("shape").get(0).asInt(), o[0].get("shape").get(1).asInt()));
        List<Segment> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            JsonNode b = o[0].get("data");
            Mask mask = Rle.fromCompressedString(masks.get("data").get(i).asText(), height, width).decode();
            out.add(new Segment(o[1].get("data").get(i).asInt(), o[2].get("data").get(i).asText(),
                    (float) o[3].get("data").get(i).asDouble(), new Box((float) b.get(4 * i).asDouble(),
                    (float) b.get(4 * i + 1).asDouble(), (float) b.get(4 * i + 2).asDouble(),
                    (float) b.get(4 * i + 3).asDouble()), mask));
        }
        return out;
    }

    private static void assertMasksOfSize(int width, int height, JsonNode cocoResults) {
        for (JsonNode r : cocoResults) {
            assertEquals(height, r.get("segmentation").get("size").get(0).asInt());
            assertEquals(width, r.get("segmentation").get("size").get(1).asInt());
        }
    }

    private static List<Float> floats(JsonNode array) {
        List<Float> out = new ArrayList<>();
        array.forEach(v -> out.add((float) v.asDouble()));
        return out;
    }

    private static HttpResponse<String> ok(HttpResponse<String> r) {
        assertEquals(200, r.statusCode(), r.body());
        return r;
    }

    private static void assertJson(int status, String json, HttpResponse<String> r) {
        assertEquals(status, r.statusCode(), r.body());
        try {
            assertEquals(Http.JSON.readTree(json), Http.json(r));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** A refusal with {@code status}, the error object's one-line reason starting with {@code reason}; then a good request. */
    private static void refused(int status, String reason, HttpResponse<String> r) {
        assertEquals(status, r.statusCode(), r.body());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
        String error = Http.json(r).get("error").asText();
        assertTrue(error.startsWith(reason), "expected a reason starting with\n  " + reason + "\ngot\n  " + error);
        assertFalse(error.contains("\n"), "one line: " + error);
        assertStillServes();
    }

    private static void assertStillServes() {
        assertEquals(200, http.post("/v1/segment", "image/jpeg", jpeg).statusCode(), "the server stopped serving");
    }

    private static byte[] bytes(Object json) {
        try {
            return Http.JSON.writeValueAsBytes(json);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
