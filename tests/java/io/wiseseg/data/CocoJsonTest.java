package io.wiseseg.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CocoJsonTest {
    @TempDir
    Path dir;

    static Mask rect(int h, int w, int y0, int x0, int y1, int x1) {
        Mask m = new Mask(h, w);
        for (int y = y0; y < y1; y++) {
            for (int x = x0; x < x1; x++) {
                m.set(y, x, true);
            }
        }
        return m;
    }

    CocoDataset sample() {
        ClassSet classes = new ClassSet(List.of("cat", "dog"));
        Mask v = rect(20, 30, 0, 0, 1, 30);
        AnnotatedImage a = new AnnotatedImage(
                new LabelledImage("2007_000033", dir.resolve("2007_000033.jpg"), 30, 20, new int[] {0, 1}),
                List.of(Instance.of(0, rect(20, 30, 2, 3, 10, 12), 1f),
                        Instance.of(1, rect(20, 30, 5, 5, 19, 29), 0.75f)), v);
        AnnotatedImage b = new AnnotatedImage(
                new LabelledImage("42", dir.resolve("42.jpg"), 7, 5, new int[] {1}),
                List.of(Instance.of(1, RleTest.random(new Random(4), 5, 7, 0.5), 1f)), null);
        return new CocoDataset(classes, List.of(3, 8), List.of(a, b),
                Map.of("42", List.of(Instance.of(1, rect(5, 7, 0, 0, 2, 2), 1f))));
    }

    @Test
    void datasetRoundTrips() throws IOException {
        CocoDataset ds = sample();
        Path f = dir.resolve("gt.json");
        CocoJson.writeDataset(f, ds);
        CocoDataset back = CocoJson.readDataset(f, dir);
        assertEquals(ds.classes(), back.classes());
        assertEquals(ds.categoryIds(), back.categoryIds());
        assertEquals(ds.images(), back.images());
        assertEquals(ds.crowd(), back.crowd());
        assertTrue(Files.readString(f).contains("\"image_id\":42"), "numeric ids stay numbers");
        try (var files = Files.list(dir)) {
            assertEquals(0, files.filter(p -> p.toString().endsWith(".tmp")).count(),
                    "no temporary file left behind");
        }
    }

    @Test
    void resultsRoundTrip() throws IOException {
        CocoDataset ds = sample();
        ImagePrediction p = new ImagePrediction("2007_000033", 20, 30,
                List.of(Instance.of(1, rect(20, 30, 1, 1, 4, 4), 0.9f)));
        Path f = dir.resolve("res.json");
        CocoJson.writeResults(f, List.of(p), ds.categoryIds());
        List<ImagePrediction> back = CocoJson.readResults(f, ds);
        assertEquals(2, back.size());
        assertEquals(p, back.get(0));
        assertTrue(back.get(1).instances().isEmpty());
    }

    @Test
    void readsPolygonsAndUncompressedRle() throws IOException {
        Path f = dir.resolve("poly.json");
        Files.writeString(f, """
                {"images":[{"id":1,"file_name":"a.jpg","width":6,"height":4}],
                 "categories":[{"id":1,"name":"x"}],
                 "annotations":[
                   {"id":1,"image_id":1,"category_id":1,"iscrowd":0,
                    "segmentation":[[1,1,4,1,4,3,1,3]]},
                   {"id":2,"image_id":1,"category_id":1,"iscrowd":1,
                    "segmentation":{"size":[4,6],"counts":[5,2,17]}}]}
                """);
        CocoDataset ds = CocoJson.readDataset(f, dir);
        Mask poly = ds.images().get(0).instances().get(0).mask();
        assertArrayEquals(Rle.fromPolygon(new double[] {1, 1, 4, 1, 4, 3, 1, 3}, 4, 6).counts(),
                Rle.encode(poly).counts());
        Mask crowd = ds.crowdOf("1").get(0).mask();
        assertTrue(crowd.get(1, 1) && crowd.get(2, 1) && !crowd.get(0, 1) && !crowd.get(3, 1));
        assertNull(ds.images().get(0).voidMask());
    }

    @Test
    void errorsNameTheFileAndTheProblem() throws IOException {
        Path missing = dir.resolve("missing.json");
        IOException e = assertThrows(IOException.class, () -> CocoJson.readDataset(missing, dir));
        assertEquals(missing + ": no such file", e.getMessage());

        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"images\": [");
        e = assertThrows(IOException.class, () -> CocoJson.readDataset(bad, dir));
        assertTrue(e.getMessage().startsWith(bad + ": malformed JSON at line"), e.getMessage());

        Path size = dir.resolve("size.json");
        Files.writeString(size, """
                {"images":[{"id":1,"width":6,"height":4}],"categories":[{"id":1,"name":"x"}],
                 "annotations":[{"id":9,"image_id":1,"category_id":1,
                   "segmentation":{"size":[5,6],"counts":[30]}}]}""");
        e = assertThrows(IOException.class, () -> CocoJson.readDataset(size, dir));
        assertEquals(size + ": annotation 9: mask is 5x6 but its image is 4x6", e.getMessage());

        Path cat = dir.resolve("cat.json");
        Files.writeString(cat, """
                {"images":[{"id":1,"width":6,"height":4}],"categories":[{"id":1,"name":"x"}],
                 "annotations":[{"id":9,"image_id":1,"category_id":2,
                   "segmentation":{"size":[4,6],"counts":[24]}}]}""");
        e = assertThrows(IOException.class, () -> CocoJson.readDataset(cat, dir));
        assertEquals(cat + ": annotation 9 refers to unknown category 2", e.getMessage());

        Path res = dir.resolve("res.json");
        Files.writeString(res, "{}");
        e = assertThrows(IOException.class, () -> CocoJson.readResults(res, sample()));
        assertEquals(res + ": a COCO results file must be a JSON list of detections", e.getMessage());
    }
}
