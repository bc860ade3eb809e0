package io.wiseseg.proposals;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.Mask;
import io.wiseseg.data.RgbImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads the committed reference-format files (tests/fixtures/make_proposal_fixtures.py). */
class ProposalFilesTest {
    static final Path DIR = Path.of(System.getProperty("wiseseg.test.resources", "tests/resources"),
            "fixtures", "proposals");
    static final Supplier<RgbImage> NO_PIXELS = () -> {
        throw new AssertionError("proposal files must not read pixels");
    };

    static LabelledImage image(String id, int h, int w) {
        return new LabelledImage(id, Path.of(id + ".jpg"), w, h, new int[0]);
    }

    static void assertMatchesExpected(ProposalSource source) throws IOException {
        JsonNode expected = new ObjectMapper().readTree(DIR.resolve("expected.json").toFile());
        for (String id : List.of("2007_000032", "img_b")) {
            JsonNode e = expected.get(id);
            int h = e.get("height").asInt(), w = e.get("width").asInt();
            List<Proposal> got = source.proposals(image(id, h, w), NO_PIXELS);
            assertEquals(e.get("scores").size(), got.size(), id);
            for (int i = 0; i < got.size(); i++) {
                assertEquals((float) e.get("scores").get(i).asDouble(), got.get(i).score(), id + " score " + i);
                Mask m = got.get(i).mask();
                for (int y = 0; y < h; y++) {
                    String row = e.get("masks").get(i).get(y).asText();
                    for (int x = 0; x < w; x++) {
                        assertEquals(row.charAt(x) == '1', m.get(y, x), id + " proposal " + i + " at " + y + "," + x);
                    }
                }
            }
        }
    }

    @Test
    void readsPerImageFilesInScoreOrder() throws IOException {
        assertMatchesExpected(new ProposalFiles(DIR.resolve("sharpmask")));
    }

    @Test
    void readsTheDictionaryFile() throws IOException {
        assertMatchesExpected(new ProposalFiles(DIR.resolve("proposal_dict.json")));
    }

    @Test
    void errorsNameTheFile(@TempDir Path tmp) throws IOException {
        ProposalFiles files = new ProposalFiles(DIR.resolve("sharpmask"));
        IOException missing = assertThrows(IOException.class, () -> files.proposals(image("nope", 7, 9), NO_PIXELS));
        assertTrue(missing.getMessage().contains("nope"), missing.getMessage());
        IOException size = assertThrows(IOException.class,
                () -> files.proposals(image("2007_000032", 8, 9), NO_PIXELS));
        assertTrue(size.getMessage().startsWith(DIR.resolve("sharpmask").resolve("2007_000032.jpg.json").toString()),
                size.getMessage());
        Path bad = tmp.resolve("x.json");
        Files.writeString(bad, "[{\"segmentation\": {\"size\": [2, 2], \"counts\": [1, 1]}}]");
        IOException noScore = assertThrows(IOException.class,
                () -> new ProposalFiles(tmp).proposals(image("x", 2, 2), NO_PIXELS));
        assertTrue(noScore.getMessage().startsWith(bad.toString()) && noScore.getMessage().contains("score"),
                noScore.getMessage());
        Files.writeString(bad, "[{\"segmentation\": {\"size\": [2, 2], \"counts\": [1, 9]}, \"score\": 1}]");
        IOException runs = assertThrows(IOException.class,
                () -> new ProposalFiles(tmp).proposals(image("x", 2, 2), NO_PIXELS));
        assertTrue(runs.getMessage().startsWith(bad.toString()), runs.getMessage());
        assertThrows(IOException.class, () -> new ProposalFiles(tmp.resolve("absent")));
    }
}
