package io.wiseseg.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A case written by a script in tests/fixtures (make_kernel_fixtures.py, make_nms_fixture.py,
 * make_maskrcnn_fixture.py): a JSON manifest whose "arrays" name raw little-endian files with
 * their shapes, plus whatever else the script records.
 */
public final class ArrayFixture {
    static final Path ROOT = Path.of(System.getProperty("wiseseg.test.resources", "tests/resources"), "fixtures");

    public final JsonNode meta;
    private final Path dir;

    private ArrayFixture(Path dir, JsonNode meta) {
        this.dir = dir;
        this.meta = meta;
    }

    /** tests/resources/fixtures/{@code group}/{@code name}.json. */
    public static ArrayFixture load(String group, String name) throws IOException {
        Path dir = ROOT.resolve(group);
        return new ArrayFixture(dir, new ObjectMapper().readTree(dir.resolve(name + ".json").toFile()));
    }

    public long[] shape(String array) {
        JsonNode s = meta.get("arrays").get(array).get("shape");
        long[] out = new long[s.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = s.get(i).asLong();
        }
        return out;
    }

    private ByteBuffer bytes(String array) throws IOException {
        String file = meta.get("arrays").get(array).get("file").asText();
        return ByteBuffer.wrap(Files.readAllBytes(dir.resolve(file))).order(ByteOrder.LITTLE_ENDIAN);
    }

    public float[] floats(String array) throws IOException {
        ByteBuffer b = bytes(array);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }

    public int[] ints(String array) throws IOException {
        ByteBuffer b = bytes(array);
        int[] out = new int[b.remaining() / 4];
        b.asIntBuffer().get(out);
        return out;
    }
}
