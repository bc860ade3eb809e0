package io.wiseseg.maskrcnn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/** The output of tests/fixtures/make_maskrcnn_fixture.py: a JSON manifest + raw little-endian arrays. */
final class ParityFixture {
    static final Path DIR = Path.of(System.getProperty("wiseseg.test.resources", "tests/resources"),
            "fixtures", "maskrcnn");

    final JsonNode meta;

    ParityFixture() throws IOException {
        meta = new ObjectMapper().readTree(DIR.resolve("parity.json").toFile());
    }

    long[] shape(String array) {
        JsonNode s = meta.get("arrays").get(array).get("shape");
        long[] out = new long[s.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = s.get(i).asLong();
        }
        return out;
    }

    private ByteBuffer bytes(String array) throws IOException {
        String file = meta.get("arrays").get(array).get("file").asText();
        return ByteBuffer.wrap(Files.readAllBytes(DIR.resolve(file))).order(ByteOrder.LITTLE_ENDIAN);
    }

    float[] floats(String array) throws IOException {
        ByteBuffer b = bytes(array);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }

    int[] ints(String array) throws IOException {
        ByteBuffer b = bytes(array);
        int[] out = new int[b.remaining() / 4];
        b.asIntBuffer().get(out);
        return out;
    }
}
