package io.wiseseg.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Bit-exact agreement with pycocotools' C core; fixture from tests/fixtures/make_rle_fixtures.py. */
class RleFixtureTest {
    static JsonNode load(String resource) throws IOException {
        try (InputStream in = RleFixtureTest.class.getResourceAsStream(resource)) {
            return new ObjectMapper().readTree(in);
        }
    }

    /** np.packbits of the row-major mask: bit 7 of byte 0 is pixel 0. */
    static Mask unpack(int h, int w, String b64) {
        byte[] packed = Base64.getDecoder().decode(b64);
        byte[] px = new byte[h * w];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (packed[i >> 3] >> (7 - (i & 7)) & 1);
        }
        return Mask.fromBytes(h, w, px);
    }

    static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (int) a.get(i).asLong();
        }
        return out;
    }

    static double[] doubles(JsonNode a) {
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asDouble();
        }
        return out;
    }

    @Test
    void masksMatchPycocotools() throws IOException {
        JsonNode root = load("/fixtures/rle/rle_fixtures.json");
        int n = 0;
        for (JsonNode it : root.get("masks")) {
            int h = it.get("h").asInt(), w = it.get("w").asInt();
            Mask m = unpack(h, w, it.get("bits").asText());
            Rle r = Rle.encode(m);
            String what = "mask #" + n + " " + h + "x" + w;
            assertArrayEquals(ints(it.get("counts")), r.counts(), what);
            assertEquals(it.get("string").asText(), r.toCompressedString(), what);
            assertEquals(r, Rle.fromCompressedString(it.get("string").asText(), h, w), what);
            assertEquals(it.get("area").asLong(), r.area(), what);
            assertArrayEquals(doubles(it.get("bbox")), r.toBbox(), 0.0, what);
            assertEquals(m, r.decode(), what);
            n++;
        }
        assertEquals(28, n);
    }

    @Test
    void iousAndMergesMatchPycocotools() throws IOException {
        JsonNode root = load("/fixtures/rle/rle_fixtures.json");
        for (JsonNode g : root.get("groups")) {
            int h = g.get("h").asInt(), w = g.get("w").asInt();
            List<Rle> rs = new ArrayList<>();
            for (JsonNode b : g.get("bits")) {
                rs.add(Rle.encode(unpack(h, w, b.asText())));
            }
            boolean[] crowd = new boolean[rs.size()];
            for (int i = 0; i < crowd.length; i++) {
                crowd[i] = g.get("iscrowd").get(i).asBoolean();
            }
            double[][] iou = Rle.iou(rs, rs, null);
            double[][] iouCrowd = Rle.iou(rs, rs, crowd);
            for (int d = 0; d < rs.size(); d++) {
                assertArrayEquals(doubles(g.get("iou").get(d)), iou[d], 0.0);
                assertArrayEquals(doubles(g.get("iouCrowd").get(d)), iouCrowd[d], 0.0);
            }
            assertEquals(g.get("union").asText(), Rle.merge(rs, false).toCompressedString());
            assertEquals(g.get("intersection").asText(), Rle.merge(rs, true).toCompressedString());
            assertEquals(g.get("unionFirstTwo").asText(),
                    Rle.merge(rs.subList(0, 2), false).toCompressedString());
        }
    }

    @Test
    void stringsMatchPycocotools() throws IOException {
        JsonNode root = load("/fixtures/rle/rle_fixtures.json");
        for (JsonNode s : root.get("strings")) {
            int h = s.get("h").asInt(), w = s.get("w").asInt();
            Rle r = new Rle(h, w, ints(s.get("counts")));
            assertEquals(s.get("string").asText(), r.toCompressedString());
            assertArrayEquals(ints(s.get("parsed")),
                    Rle.fromCompressedString(s.get("string").asText(), h, w).counts());
        }
    }

    @Test
    void polygonsMatchPycocotools() throws IOException {
        JsonNode root = load("/fixtures/rle/rle_fixtures.json");
        int n = 0;
        for (JsonNode p : root.get("polygons")) {
            Rle r = Rle.fromPolygon(doubles(p.get("xy")), p.get("h").asInt(), p.get("w").asInt());
            assertArrayEquals(ints(p.get("counts")), r.counts(), "polygon #" + n++);
        }
    }
}
