package io.wiseseg.pseudo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads an excerpt of the reference's prm_point_dict.json (its first image, verbatim). */
class ReferencePointsTest {
    static final Path FILE = Path.of(System.getProperty("wiseseg.test.resources", "tests/resources"),
            "fixtures", "pseudo", "prm_point_dict.json");

    @Test
    void convertsFractionsAndClassesLikeTheReference() throws IOException {
        ReferencePoints points = ReferencePoints.read(FILE);
        // int(0.45195729537366547 * 281) = 127, int(0.452 * 500) = 226; cls 1 (aeroplane) -> 0
        assertEquals(List.of(new Seed(0, 127, 226, 1f), new Seed(14, 198, 376, 1f)),
                points.seeds("2007_000032", 281, 500));
        assertEquals(List.of(), points.seeds("2007_000039", 375, 500));
        assertEquals(List.of(), points.seeds("absent", 10, 10));
        IOException e = assertThrows(IOException.class, () -> points.seeds("2007_000032", 280, 500));
        assertTrue(e.getMessage().startsWith(FILE.toString()), e.getMessage());
    }

    @Test
    void badFilesNameTheFileAndThePoint(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("points.json");
        Files.writeString(f, "{\"a\": [{\"cls\": 3, \"h\": 10, \"w\": 10, \"x\": 0.5}]}");
        IOException e = assertThrows(IOException.class, () -> ReferencePoints.read(f));
        assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains("'y'"), e.getMessage());
        Files.writeString(f, "[1, 2]");
        assertThrows(IOException.class, () -> ReferencePoints.read(f));
    }
}
