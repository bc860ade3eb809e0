package io.wiseseg.pseudo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wiseseg.data.Mask;
import io.wiseseg.proposals.Proposal;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Our rules against a numpy transcription of the reference loops (PRM's instance_seg, WISE's
 * bo_proposal) on committed random cases: tests/fixtures/make_pseudo_fixtures.py.
 */
class SelectionFixtureTest {
    static final Path FILE = Path.of(System.getProperty("wiseseg.test.resources", "tests/resources"),
            "fixtures", "pseudo", "selection_cases.json");

    static float[] floats(JsonNode a) {
        float[] v = new float[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = Float.parseFloat(a.get(i).asText());
        }
        return v;
    }

    static int[] ints(JsonNode a) {
        int[] v = new int[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).asInt();
        }
        return v;
    }

    @Test
    void rulesChooseWhatTheReferenceLoopsChoose() throws IOException {
        JsonNode cases = new ObjectMapper().readTree(FILE.toFile());
        assertEquals(3, cases.size());
        for (JsonNode c : cases) {
            int h = c.get("h").asInt(), w = c.get("w").asInt();
            List<Proposal> props = new ArrayList<>();
            for (int i = 0; i < c.get("masks").size(); i++) {
                Mask m = new Mask(h, w);
                for (int y = 0; y < h; y++) {
                    String row = c.get("masks").get(i).get(y).asText();
                    for (int x = 0; x < w; x++) {
                        m.set(y, x, row.charAt(x) == '1');
                    }
                }
                props.add(new Proposal(m, (float) c.get("scores").get(i).asDouble()));
            }
            List<Seed> seeds = new ArrayList<>();
            for (JsonNode s : c.get("seeds")) {
                seeds.add(new Seed(s.get(0).asInt(), s.get(1).asInt(), s.get(2).asInt(), 1f));
            }
            ImageEvidence e = new ImageEvidence("case", h, w, seeds,
                    Inputs.maps(floats(c.get("prms")), seeds.size(), h, w),
                    Inputs.maps(floats(c.get("classes")), c.get("c").asInt(), h, w), props, null);
            JsonNode p = c.get("params");
            PrmRetrieval prm = new PrmRetrieval(new PrmRetrieval.Params(p.get(0).asDouble(), p.get(1).asDouble(),
                    p.get(2).asDouble()), null, c.get("count").asInt(), c.get("limits").get(0).asDouble(),
                    c.get("limits").get(1).asDouble());
            Selection got = prm.select(e, Inputs.scorer());
            assertArrayEquals(ints(c.get("prm_pick")), got.proposal(), "PRM retrieval, case " + h + "x" + w);
            for (int k = 0; k < seeds.size(); k++) {
                double want = c.get("prm_score").get(k).asDouble();
                assertEquals(want, got.score()[k], 1e-5 * Math.max(1, Math.abs(want)));
            }
            assertArrayEquals(ints(c.get("bo_pick")), BestObjectness.boProposal().select(e, null).proposal(),
                    "bo_proposal, case " + h + "x" + w);
        }
    }
}
