package io.wiseseg.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wiseseg.data.AnnotatedImage;
import io.wiseseg.data.ClassSet;
import io.wiseseg.data.ImagePrediction;
import io.wiseseg.data.Instance;
import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.Mask;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A random dataset evaluated by the numpy transcriptions of the reference algorithms in
 * tests/fixtures/make_eval_fixtures.py (IoUs from pycocotools' C core).
 */
class EvaluatorFixtureTest {
    static final double TOL = 1e-12;
    static JsonNode root;
    static ClassSet classes;
    static List<GroundTruth> gt;
    static List<ImagePrediction> preds;

    static Mask unpack(int h, int w, String b64) {
        byte[] packed = Base64.getDecoder().decode(b64);
        byte[] px = new byte[h * w];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (packed[i >> 3] >> (7 - (i & 7)) & 1);
        }
        return Mask.fromBytes(h, w, px);
    }

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = EvaluatorFixtureTest.class.getResourceAsStream("/fixtures/eval/eval_fixture.json")) {
            root = new ObjectMapper().readTree(in);
        }
        gt = new ArrayList<>();
        preds = new ArrayList<>();
        List<String> names = new ArrayList<>();
        root.get("classes").forEach(n -> names.add(n.asText()));
        classes = new ClassSet(names);
        for (JsonNode im : root.get("images")) {
            String id = im.get("id").asText();
            int h = im.get("h").asInt(), w = im.get("w").asInt();
            List<Instance> inst = new ArrayList<>(), crowd = new ArrayList<>();
            for (JsonNode g : im.get("gts")) {
                Instance in = Instance.of(g.get("cls").asInt(), unpack(h, w, g.get("bits").asText()), 1f);
                (g.get("crowd").asBoolean() ? crowd : inst).add(in);
            }
            List<Instance> p = new ArrayList<>();
            for (JsonNode d : im.get("preds")) {
                p.add(Instance.of(d.get("cls").asInt(), unpack(h, w, d.get("bits").asText()),
                        (float) d.get("score").asDouble()));
            }
            preds.add(new ImagePrediction(id, h, w, p));
            if (im.get("inGroundTruth").asBoolean()) {
                Mask v = im.get("void").isNull() ? null : unpack(h, w, im.get("void").asText());
                int[] labels = inst.stream().mapToInt(Instance::classId).toArray();
                gt.add(new GroundTruth(new AnnotatedImage(
                        new LabelledImage(id, Path.of(id + ".jpg"), w, h, labels), inst, v), crowd));
            }
        }
    }

    static void assertRow(JsonNode expected, double[] actual, String what) {
        assertEquals(expected.size(), actual.length, what);
        for (int i = 0; i < actual.length; i++) {
            if (expected.get(i).isNull()) {
                assertEquals(Double.NaN, actual[i], what + " [" + i + "]");
            } else {
                assertEquals(expected.get(i).asDouble(), actual[i], TOL, what + " [" + i + "]");
            }
        }
    }

    @Test
    void referenceApMatchesTheNumpyTranscriptionOfWiseAp() {
        EvaluationReport r = new ReferenceAp(root.get("splitArea").asDouble()).evaluate(gt, preds, classes);
        JsonNode ref = root.get("reference");
        for (int k = 0; k < classes.size(); k++) {
            assertRow(ref.get("perClass").get(k), r.perClass()[k], "class " + classes.name(k));
        }
        assertRow(ref.get("mean"), r.mean(), "mAP");
        List<double[]> bd = new ArrayList<>(r.breakdowns().values());
        String[] keys = {"areaSmall", "areaMedium", "areaLarge", "splitSmall", "splitLarge",
                "fewObjects", "manyObjects"};
        assertEquals(keys.length, bd.size());
        for (int i = 0; i < keys.length; i++) {
            assertRow(ref.get("breakdowns").get(keys[i]), bd.get(i), keys[i]);
        }
        assertEquals(ref.get("cocoAp").asDouble(), r.scalars().get("COCO mask AP@[.50:.95]"), TOL);
    }

    @Test
    void cocoApMatchesCocoEval() {
        EvaluationReport r = new CocoAp().evaluate(gt, preds, classes);
        JsonNode ref = root.get("coco");
        for (int k = 0; k < classes.size(); k++) {
            assertRow(ref.get("all").get("perClass").get(k), r.perClass()[k], "class " + classes.name(k));
        }
        assertRow(ref.get("all").get("mean"), r.mean(), "mean");
        List<double[]> bd = new ArrayList<>(r.breakdowns().values());
        String[] keys = {"small", "medium", "large"};
        for (int i = 0; i < keys.length; i++) {
            assertRow(ref.get(keys[i]).get("mean"), bd.get(i), keys[i]);
        }
    }

    @Test
    void vocRMatchesTheDevkitRule() {
        for (String mode : new String[] {"devkit", "bestUnmatched"}) {
            VocR.Matching m = mode.equals("devkit") ? VocR.Matching.VOC_DEVKIT : VocR.Matching.BEST_UNMATCHED;
            EvaluationReport r = new VocR(m, VocR.THRESHOLDS).evaluate(gt, preds, classes);
            JsonNode ref = root.get("vocR").get(mode);
            for (int k = 0; k < classes.size(); k++) {
                assertRow(ref.get("perClass").get(k), r.perClass()[k], mode + " class " + k);
            }
            assertRow(ref.get("mean"), r.mean(), mode + " mAP");
        }
    }

    @Test
    void aboMatches() {
        for (String mode : new String[] {"anyClass", "sameClass"}) {
            EvaluationReport r = new Abo(mode.equals("sameClass")).evaluate(gt, preds, classes);
            JsonNode ref = root.get("abo").get(mode);
            for (int k = 0; k < classes.size(); k++) {
                JsonNode cell = new ObjectMapper().createArrayNode().add(ref.get("perClass").get(k));
                assertRow(cell, r.perClass()[k], mode + " class " + k);
            }
            assertEquals(ref.get("abo").asDouble(), r.scalars().get("ABO"), TOL, mode);
        }
    }
}
