package io.wiseseg.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wiseseg.data.Box;
import io.wiseseg.data.ImageFiles;
import io.wiseseg.data.RgbImage;
import io.wiseseg.kernels.Device;
import io.wiseseg.pipeline.Segmenter;
import io.wiseseg.testing.TestImages;
import io.wiseseg.testing.TinyRun;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
 * The binary tensor data extension over real HTTP, with the tiny trained run as {@link ServerTest}
 * has it: binary inputs give what the same image gives as JSON and at {@code /v1/segment}, binary
 * outputs decode to the JSON outputs' values, and every malformed body is a 400 naming its
 * problem, after which the server still serves.
 */
class V2BinaryTest {
    private static final String HEADER = "Inference-Header-Content-Length";
    private static final String INFER = "/v2/models/wiseseg/infer";
    private static Segmenter segmenter;
    private static InferenceServer server;
    private static Http http;
    private static byte[] jpeg; // the tiny run's image with the most instances
    private static RgbImage pixels;

    @BeforeAll
    static void start() throws Exception {
        segmenter = Segmenter.load(TinyRun.dir(), Device.cpu());
        server = InferenceServer.start(segmenter, ServeSettings.defaults().withPort(0).withLimits(64, 30_000, 1L << 20));
        server.awaitReady();
        http = new Http(server.port());
        jpeg = Files.readAllBytes(TinyRun.images().get(3));
        pixels = ImageFiles.decodeRgb(jpeg);
    }

    @AfterAll
    static void stop() {
        server.close();
        segmenter.close();
    }

    @Test
    void theServerDeclaresTheExtension() {
        JsonNode v2 = Http.json(http.get("/v2"));
        assertEquals("[\"binary_tensor_data\"]", v2.get("extensions").toString());
    }

    /** Raw pixels as bytes: the same answer as the same pixels as JSON numbers, and as the JPEG at /v1/segment. */
    @Test
    void rawPixelsInBinary() {
        JsonNode json = Http.json(ok(http.post(INFER, "application/json", bytes(pixelRequest()))));
        assertTrue(json.get("outputs").get(0).get("shape").get(0).asInt() > 0, "nothing found: the test would prove nothing");
        for (long[] shape : List.of(new long[] {64, 64, 3}, new long[] {1, 64, 64, 3})) {
            HttpResponse<byte[]> r = post(INFER, "application/octet-stream", binary(header("UINT8", shape, pixels.rgb().length),
                    pixels.rgb()));
            assertEquals(json, jsonAnswer(r), Arrays.toString(shape));
        }
        assertEquals(json, jsonAnswer(post("/v2/models/wiseseg/versions/1/infer", "application/octet-stream",
                binary(header("UINT8", new long[] {64, 64, 3}, pixels.rgb().length), pixels.rgb()))));
        assertSameAsCoco(json, Http.json(ok(http.post("/v1/segment", "image/jpeg", jpeg))));
    }

    /** An encoded PNG as one length-prefixed BYTES element: the same answer as base64 in JSON, and as /v1/segment. */
    @Test
    void anEncodedImageInBinary() {
        byte[] png = TestImages.png(pixels); // lossless: the same pixels as the JPEG decodes to
        JsonNode json = Http.json(ok(http.post(INFER, "application/json", bytes(bytesRequest(png)))));
        assertEquals(Http.json(ok(http.post(INFER, "application/json", bytes(pixelRequest())))), json);
        byte[] element = element(png);
        assertEquals(json, jsonAnswer(post(INFER, "application/octet-stream",
                binary(header("BYTES", new long[] {1}, element.length), element))));
        assertSameAsCoco(json, Http.json(ok(http.post("/v1/segment", "image/png", png))));
    }

    /** The forms clients send: Triton's Python client sends no Content-Type, JSON clients may say JSON, SageMaker its own. */
    @Test
    void theContentTypesClientsSend() {
        JsonNode json = Http.json(ok(http.post(INFER, "application/json", bytes(pixelRequest()))));
        Body body = binary(header("UINT8", new long[] {64, 64, 3}, pixels.rgb().length), pixels.rgb());
        assertEquals(json, jsonAnswer(post(INFER, null, body)));
        assertEquals(json, jsonAnswer(post(INFER, "application/json", body)));
        String sageMaker = "application/vnd.sagemaker-triton.binary+json;json-header-size=" + body.jsonLength();
        HttpResponse<byte[]> r = send(INFER, sageMaker, null, body.bytes());
        assertEquals(json, jsonAnswer(r));
        // binary outputs answer in the same form, the length in the Content-Type, where SageMaker passes it on
        ObjectNode wantsBinary = header("UINT8", new long[] {64, 64, 3}, pixels.rgb().length);
        wantsBinary.putObject("parameters").put("binary_data_output", true);
        Body b = binary(wantsBinary, pixels.rgb());
        HttpResponse<byte[]> answer = send(INFER, "application/vnd.sagemaker-triton.binary+json;json-header-size="
                + b.jsonLength(), null, b.bytes());
        assertEquals(200, answer.statusCode(), new String(answer.body(), StandardCharsets.UTF_8));
        String length = answer.headers().firstValue(HEADER).orElseThrow();
        assertEquals("application/vnd.sagemaker-triton.binary+json;json-header-size=" + length,
                answer.headers().firstValue("Content-Type").orElse(""));
        assertOutputsDecodeTo(json, answer, List.of("boxes", "labels", "label_names", "scores", "masks"));
    }

    /** Binary outputs, all of them or those asked for: sliced by the header's length, little-endian, the JSON's values. */
    @Test
    void binaryOutputsDecodeToTheJsonValues() {
        JsonNode json = Http.json(ok(http.post(INFER, "application/json", bytes(pixelRequest()))));
        List<String> all = List.of("boxes", "labels", "label_names", "scores", "masks");
        // request-level, on a JSON request (binary outputs need no binary input)
        ObjectNode request = pixelRequest();
        request.putObject("parameters").put("binary_data_output", true);
        HttpResponse<byte[]> r = send(INFER, "application/json", null, bytes(request));
        assertEquals("application/octet-stream", r.headers().firstValue("Content-Type").orElse(""));
        assertOutputsDecodeTo(json, r, all);
        // an output's own flag overrides the request's: scores in JSON, the rest in binary, in the order asked
        ObjectNode mixed = header("UINT8", new long[] {64, 64, 3}, pixels.rgb().length);
        mixed.putObject("parameters").put("binary_data_output", true);
        ArrayNode outputs = mixed.putArray("outputs");
        outputs.addObject().put("name", "masks");
        outputs.addObject().put("name", "scores").putObject("parameters").put("binary_data", false);
        outputs.addObject().put("name", "labels");
        HttpResponse<byte[]> m = post(INFER, "application/octet-stream", binary(mixed, pixels.rgb()));
        assertOutputsDecodeTo(json, m, List.of("masks", "labels"));
        JsonNode scores = answerHeader(m).get("outputs").get(1);
        assertEquals(pick(json, "scores"), scores);
        // one output asked for in binary, without the request-level flag
        ObjectNode one = pixelRequest();
        one.putArray("outputs").addObject().put("name", "label_names").putObject("parameters").put("binary_data", true);
        assertOutputsDecodeTo(json, send(INFER, "application/json", null, bytes(one)), List.of("label_names"));
        // asked for and then not: the JSON answer, unchanged
        ObjectNode none = pixelRequest();
        none.putObject("parameters").put("binary_data_output", false);
        HttpResponse<byte[]> plain = send(INFER, "application/json", null, bytes(none));
        assertEquals("application/json", plain.headers().firstValue("Content-Type").orElse(""));
        assertFalse(plain.headers().firstValue(HEADER).isPresent());
        assertEquals(json, jsonAnswer(plain));
    }

    // ---- malformed bodies: a 400 with a one-line reason, and the next request is served

    @Test
    void aBadHeaderLength() {
        Body good = binary(header("UINT8", new long[] {64, 64, 3}, pixels.rgb().length), pixels.rgb());
        refused("the Inference-Header-Content-Length header must be the JSON header's length in bytes, got 'abc'",
                send(INFER, "application/octet-stream", "abc", good.bytes()));
        refused("the Inference-Header-Content-Length header must be the JSON header's length in bytes, got '12.5'",
                send(INFER, "application/octet-stream", "12.5", good.bytes()));
        refused("the Inference-Header-Content-Length header is -1; the JSON header's length cannot be negative",
                send(INFER, "application/octet-stream", "-1", good.bytes()));
        int n = good.bytes().length;
        refused("the Inference-Header-Content-Length header is " + (n + 1) + " but the body has only " + n + " bytes",
                send(INFER, "application/octet-stream", String.valueOf(n + 1), good.bytes()));
        refused("the Inference-Header-Content-Length header is 99999999999999999999 but the body has only " + n + " bytes",
                send(INFER, "application/octet-stream", "99999999999999999999", good.bytes()));
        refused("the Content-Type's json-header-size must be the JSON header's length in bytes, got 'x'",
                send(INFER, "application/vnd.sagemaker-triton.binary+json;json-header-size=x", null, good.bytes()));
        // too short: the JSON is cut off, and the reason says which bytes were read as JSON
        HttpResponse<byte[]> cut = send(INFER, "application/octet-stream", String.valueOf(good.jsonLength() - 1), good.bytes());
        refused("malformed JSON: ", cut);
        assertTrue(error(cut).endsWith("(of the JSON header, the body's first " + (good.jsonLength() - 1) + " bytes by "
                + HEADER + ")"), error(cut));
        refused("Content-Type text/plain is not accepted here; send application/json (an inference request), or "
                + "application/octet-stream with " + HEADER, 415, send(INFER, "text/plain", String.valueOf(good.jsonLength()),
                good.bytes()));
    }

    @Test
    void badBinaryDataSizes() {
        byte[] rgb = pixels.rgb();
        ObjectNode missing = header("UINT8", new long[] {64, 64, 3}, 0);
        ((ObjectNode) missing.get("inputs").get(0)).remove("parameters");
        refused("input 'image' has no \"data\" (nor parameters.binary_data_size)",
                post(INFER, "application/octet-stream", binary(missing, rgb)));
        refused("input 'image' has parameters.binary_data_size -5; a byte count must be >= 0",
                post(INFER, "application/octet-stream", binary(header("UINT8", new long[] {64, 64, 3}, -5), rgb)));
        ObjectNode text = header("UINT8", new long[] {64, 64, 3}, 0);
        parameters(text).put("binary_data_size", "12288");
        refused("an input's parameters.binary_data_size must be an integer (a byte count)",
                post(INFER, "application/octet-stream", binary(text, rgb)));
        Body fewer = binary(header("UINT8", new long[] {64, 64, 3}, rgb.length - 1), rgb);
        refused("the inputs' parameters.binary_data_size add up to " + (rgb.length - 1) + " bytes but the body has "
                + rgb.length + " bytes after its " + fewer.jsonLength() + "-byte JSON header",
                post(INFER, "application/octet-stream", fewer));
        Body more = binary(header("UINT8", new long[] {64, 64, 3}, rgb.length + 1), rgb);
        refused("the inputs' parameters.binary_data_size add up to " + (rgb.length + 1) + " bytes but the body has "
                + rgb.length + " bytes", post(INFER, "application/octet-stream", more));
        refused("the inputs' parameters.binary_data_size add up to " + Long.MAX_VALUE + " bytes",
                post(INFER, "application/octet-stream", binary(header("UINT8", new long[] {64, 64, 3}, Long.MAX_VALUE), rgb)));
        ObjectNode bigger = header("UINT8", new long[] {64, 64, 3}, 0);
        parameters(bigger).put("binary_data_size", new java.math.BigInteger("99999999999999999999"));
        refused("input 'image' has parameters.binary_data_size 99999999999999999999; a byte count must fit in an int64",
                post(INFER, "application/octet-stream", binary(bigger, rgb)));
        // two sizes whose sum wraps around past 2^63
        ObjectNode wraps = header("UINT8", new long[] {64, 64, 3}, Long.MAX_VALUE);
        ObjectNode second = ((ArrayNode) wraps.get("inputs")).addObject().put("name", "other").put("datatype", "UINT8");
        second.putArray("shape").add(1);
        second.putObject("parameters").put("binary_data_size", Long.MAX_VALUE - 1);
        refused("the inputs' parameters.binary_data_size add up to more than " + Long.MAX_VALUE + " bytes",
                post(INFER, "application/octet-stream", binary(wraps, rgb)));
        // binary data after a JSON input, which claims none of it
        ObjectNode json = pixelRequest();
        byte[] jsonBytes = bytes(json);
        refused("the inputs' parameters.binary_data_size add up to 0 bytes but the body has 3 bytes after its "
                + jsonBytes.length + "-byte JSON header", post(INFER, "application/octet-stream",
                new Body(concat(jsonBytes, new byte[3]), jsonBytes.length)));
        // a binary input in a body that says nothing of where its JSON ends
        refused("input 'image' has parameters.binary_data_size but the request has no " + HEADER + " header",
                http.post(INFER, "application/octet-stream", bytes(header("UINT8", new long[] {64, 64, 3}, 0))));
    }

    @Test
    void binaryDataThatDoesNotFitItsTensor() {
        byte[] rgb = pixels.rgb();
        refused("input 'image' of shape [64, 64, 3] and datatype UINT8 needs 12288 bytes of binary data (H x W x 3), "
                + "got binary_data_size 100", post(INFER, "application/octet-stream",
                binary(header("UINT8", new long[] {64, 64, 3}, 100), Arrays.copyOf(rgb, 100))));
        refused("input 'image' of shape [64, 32, 3] and datatype UINT8 needs 6144 bytes of binary data",
                post(INFER, "application/octet-stream", binary(header("UINT8", new long[] {64, 32, 3}, rgb.length), rgb)));
        refused("input 'image' of 100000x100000 pixels is over the limit", post(INFER, "application/octet-stream",
                binary(header("UINT8", new long[] {100_000, 100_000, 3}, 3), new byte[3])));
        refused("input 'image' of 4294967296x4294967296 pixels is over the limit", post(INFER, "application/octet-stream",
                binary(header("UINT8", new long[] {1L << 32, 1L << 32, 3}, 0), new byte[0])));
        ObjectNode both = header("UINT8", new long[] {64, 64, 3}, rgb.length);
        ((ObjectNode) both.get("inputs").get(0)).putArray("data").add(1);
        refused("input 'image' has both \"data\" and parameters.binary_data_size; send its values one way",
                post(INFER, "application/octet-stream", binary(both, rgb)));
        refused("input 'image' has datatype FP32; expected BYTES", post(INFER, "application/octet-stream",
                binary(header("FP32", new long[] {64, 64, 3}, 4), new byte[4])));
    }

    @Test
    void badBytesElements() {
        byte[] png = TestImages.png(pixels);
        byte[] past = concat(le(5000), Arrays.copyOf(png, 100));
        refused("input 'image': BYTES element 0 has length 5000 but only 100 bytes of its binary data are left",
                post(INFER, "application/octet-stream", binary(header("BYTES", new long[] {1}, past.length), past)));
        refused("input 'image': BYTES element 0 has length 4294967295 but only 0 bytes",
                post(INFER, "application/octet-stream", binary(header("BYTES", new long[] {1}, 4), le(-1))));
        byte[] inside = concat(element(png), new byte[] {7, 0});
        refused("input 'image': its binary data ends inside the 4-byte length of BYTES element 1 (2 bytes left)",
                post(INFER, "application/octet-stream", binary(header("BYTES", new long[] {1}, inside.length), inside)));
        byte[] two = concat(element(png), element(png));
        refused("input 'image' of datatype BYTES must hold one encoded image (shape [1], one element in its binary data), "
                + "got shape [1] and 2 elements", post(INFER, "application/octet-stream",
                binary(header("BYTES", new long[] {1}, two.length), two)));
        refused("input 'image' of datatype BYTES must hold one encoded image (shape [1], one element in its binary data), "
                + "got shape [1] and 0 elements", post(INFER, "application/octet-stream",
                binary(header("BYTES", new long[] {1}, 0), new byte[0])));
        refused("input 'image' of datatype BYTES must hold one encoded image", post(INFER, "application/octet-stream",
                binary(header("BYTES", new long[] {2}, two.length), two)));
        refused("input 'image' of datatype BYTES must hold one encoded image", post(INFER, "application/octet-stream",
                binary(header("BYTES", new long[] {1L << 32, 1L << 32}, 0), new byte[0])));
        byte[] text = element("hello, world".getBytes(StandardCharsets.UTF_8));
        refused("input 'image': encoded image (12 bytes): not a JPEG or PNG file",
                post(INFER, "application/octet-stream", binary(header("BYTES", new long[] {1}, text.length), text)));
        byte[] half = element(Arrays.copyOf(png, png.length / 2));
        refused("input 'image': encoded image (" + png.length / 2 + " bytes): truncated PNG",
                post(INFER, "application/octet-stream", binary(header("BYTES", new long[] {1}, half.length), half)));
        byte[] huge = element(TestImages.pngHeaderClaiming(100_000, 100_000));
        refused("input 'image': encoded image (" + (huge.length - 4) + " bytes): PNG of 100000x100000 pixels is over the limit",
                post(INFER, "application/octet-stream", binary(header("BYTES", new long[] {1}, huge.length), huge)));
    }

    @Test
    void badOutputParameters() {
        ObjectNode request = pixelRequest();
        request.putObject("parameters").put("binary_data_output", "yes");
        refused("the request's parameters.binary_data_output must be true or false",
                send(INFER, "application/json", null, bytes(request)));
        ObjectNode output = pixelRequest();
        output.putArray("outputs").addObject().put("name", "scores").putObject("parameters").put("binary_data", 1);
        refused("an output's parameters.binary_data must be true or false",
                send(INFER, "application/json", null, bytes(output)));
    }

    // ---- helpers

    /** A body with binary tensor data, and the length of its JSON header. */
    private record Body(byte[] bytes, int jsonLength) {}

    /** A request header for one binary input 'image'. */
    private static ObjectNode header(String datatype, long[] shape, long binarySize) {
        ObjectNode r = Http.JSON.createObjectNode().put("id", "request-7");
        ObjectNode in = r.putArray("inputs").addObject().put("name", "image").put("datatype", datatype);
        Arrays.stream(shape).forEach(in.putArray("shape")::add);
        in.putObject("parameters").put("binary_data_size", binarySize);
        return r;
    }

    private static ObjectNode parameters(ObjectNode header) {
        return (ObjectNode) header.get("inputs").get(0).get("parameters");
    }

    private static Body binary(ObjectNode header, byte[] data) {
        byte[] json = bytes(header);
        return new Body(concat(json, data), json.length);
    }

    /** The same pixels as UINT8 numbers in JSON. */
    private static ObjectNode pixelRequest() {
        ObjectNode r = Http.JSON.createObjectNode().put("id", "request-7");
        ObjectNode in = r.putArray("inputs").addObject().put("name", "image").put("datatype", "UINT8");
        in.putArray("shape").add(64).add(64).add(3);
        ArrayNode data = in.putArray("data");
        for (byte b : pixels.rgb()) {
            data.add(b & 0xFF);
        }
        return r;
    }

    private static ObjectNode bytesRequest(byte[] image) {
        ObjectNode r = Http.JSON.createObjectNode().put("id", "request-7");
        ObjectNode in = r.putArray("inputs").addObject().put("name", "image").put("datatype", "BYTES");
        in.putArray("shape").add(1);
        in.putArray("data").add(Base64.getEncoder().encodeToString(image));
        return r;
    }

    /** One BYTES element: its 4-byte little-endian length, then the bytes. */
    private static byte[] element(byte[] value) {
        return concat(le(value.length), value);
    }

    private static byte[] le(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static HttpResponse<byte[]> post(String path, String type, Body body) {
        return send(path, type, String.valueOf(body.jsonLength()), body.bytes());
    }

    private static HttpResponse<byte[]> send(String path, String type, String headerLength, byte[] body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(http.uri(path)).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (type != null) {
            b.header("Content-Type", type);
        }
        if (headerLength != null) {
            b.header(HEADER, headerLength);
        }
        return http.send(b, HttpResponse.BodyHandlers.ofByteArray());
    }

    /** A 200 answer that is all JSON (no binary outputs asked for). */
    private static JsonNode jsonAnswer(HttpResponse<byte[]> r) {
        String body = new String(r.body(), StandardCharsets.UTF_8);
        assertEquals(200, r.statusCode(), body);
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
        try {
            return Http.JSON.readTree(body);
        } catch (IOException e) {
            throw new AssertionError(body, e);
        }
    }

    /** The JSON header of an answer with binary outputs: its first Inference-Header-Content-Length bytes. */
    private static JsonNode answerHeader(HttpResponse<byte[]> r) {
        assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
        int length = Integer.parseInt(r.headers().firstValue(HEADER).orElseThrow());
        try {
            return Http.JSON.readTree(r.body(), 0, length);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The answer's outputs are the JSON answer's, the {@code binary} ones (in that order) without
     * data but with a binary_data_size, their bytes after the header decoding to the same values.
     */
    private static void assertOutputsDecodeTo(JsonNode json, HttpResponse<byte[]> r, List<String> binary) {
        JsonNode header = answerHeader(r);
        int length = Integer.parseInt(r.headers().firstValue(HEADER).orElseThrow());
        ByteBuffer rest = ByteBuffer.wrap(r.body(), length, r.body().length - length).slice().order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(json.get("id"), header.get("id"));
        List<String> seen = new ArrayList<>();
        for (JsonNode o : header.get("outputs")) {
            String name = o.get("name").asText();
            JsonNode expected = pick(json, name);
            if (!binary.contains(name)) {
                assertEquals(expected, o);
                continue;
            }
            seen.add(name);
            assertNull(o.get("data"), name);
            assertEquals(expected.get("shape"), o.get("shape"));
            assertEquals(expected.get("datatype"), o.get("datatype"));
            ObjectNode parameters = ((ObjectNode) o.get("parameters")).deepCopy();
            int size = parameters.remove("binary_data_size").asInt();
            assertEquals(expected.has("parameters") ? expected.get("parameters") : Http.JSON.createObjectNode(), parameters);
            ByteBuffer bytes = rest.slice(rest.position(), size).order(ByteOrder.LITTLE_ENDIAN);
            rest.position(rest.position() + size);
            assertEquals(values(expected), decode(o.get("datatype").asText(), bytes), name);
        }
        assertEquals(binary, seen);
        assertFalse(rest.hasRemaining(), "bytes after the last binary output");
    }

    private static JsonNode pick(JsonNode answer, String output) {
        for (JsonNode o : answer.get("outputs")) {
            if (o.get("name").asText().equals(output)) {
                return o;
            }
        }
        throw new AssertionError("no output " + output + " in " + answer);
    }

    private static List<Object> values(JsonNode output) {
        List<Object> out = new ArrayList<>();
        String type = output.get("datatype").asText();
        output.get("data").forEach(v -> out.add(switch (type) {
            case "FP32" -> (float) v.asDouble(); // written from a float: the shortest text that reads back to it
            case "INT32" -> v.asInt();
            default -> v.asText();
        }));
        return out;
    }

    private static List<Object> decode(String datatype, ByteBuffer b) {
        List<Object> out = new ArrayList<>();
        while (b.hasRemaining()) {
            switch (datatype) {
                case "FP32" -> out.add(b.getFloat());
                case "INT32" -> out.add(b.getInt());
                default -> {
                    byte[] s = new byte[b.getInt()];
                    b.get(s);
                    out.add(new String(s, StandardCharsets.UTF_8));
                }
            }
        }
        return out;
    }

    /** A V2 answer says what /v1/segment says of the same pixels, in COCO's terms. */
    private static void assertSameAsCoco(JsonNode v2, JsonNode coco) {
        List<Object> boxes = values(pick(v2, "boxes")), labels = values(pick(v2, "labels"));
        List<Object> names = values(pick(v2, "label_names")), scores = values(pick(v2, "scores"));
        List<Object> masks = values(pick(v2, "masks"));
        assertEquals(scores.size(), coco.size());
        for (int i = 0; i < coco.size(); i++) {
            JsonNode c = coco.get(i);
            assertEquals((int) labels.get(i) + 1, c.get("category_id").asInt());
            assertEquals(names.get(i), c.get("category_name").asText());
            assertEquals(scores.get(i), (float) c.get("score").asDouble());
            Box b = new Box((float) boxes.get(4 * i), (float) boxes.get(4 * i + 1), (float) boxes.get(4 * i + 2),
                    (float) boxes.get(4 * i + 3));
            List<Float> bbox = new ArrayList<>();
            c.get("bbox").forEach(v -> bbox.add((float) v.asDouble()));
            assertEquals(List.of(b.x1(), b.y1(), b.width(), b.height()), bbox);
            assertEquals(masks.get(i), c.get("segmentation").get("counts").asText());
        }
    }

    private static String error(HttpResponse<byte[]> r) {
        try {
            return Http.JSON.readTree(r.body()).get("error").asText();
        } catch (IOException e) {
            throw new AssertionError(new String(r.body(), StandardCharsets.UTF_8), e);
        }
    }

    private static void refused(String reason, HttpResponse<?> r) {
        refused(reason, 400, r);
    }

    /** A refusal with {@code status}, its one-line reason starting with {@code reason}; then a good binary request. */
    private static void refused(String reason, int status, HttpResponse<?> r) {
        String body = r.body() instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(r.body());
        assertEquals(status, r.statusCode(), body);
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
        String error;
        try {
            error = Http.JSON.readTree(body).get("error").asText();
        } catch (IOException e) {
            throw new AssertionError(body, e);
        }
        assertTrue(error.startsWith(reason), "expected a reason starting with\n  " + reason + "\ngot\n  " + error);
        assertFalse(error.contains("\n"), "one line: " + error);
        HttpResponse<byte[]> next = post(INFER, "application/octet-stream",
                binary(header("UINT8", new long[] {64, 64, 3}, pixels.rgb().length), pixels.rgb()));
        assertEquals(200, next.statusCode(), "the server stopped serving: " + new String(next.body(), StandardCharsets.UTF_8));
    }

    private static HttpResponse<String> ok(HttpResponse<String> r) {
        assertEquals(200, r.statusCode(), r.body());
        return r;
    }

    private static byte[] bytes(Object json) {
        try {
            return Http.JSON.writeValueAsBytes(json);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
