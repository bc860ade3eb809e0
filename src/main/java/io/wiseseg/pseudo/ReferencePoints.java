package io.wiseseg.pseudo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.nio.file.Path;

/**
 * The WISE reference's peak file ({@code datasets/prm_point_dict.json}): image id → list of
 * {@code {cls, h, w, x, y}} with VOC classes 1..20 and x, y as fractions of the image width and
 * height. Seeds get class {@code cls - 1} (our VOC ids start at 0) and pixel
 * {@code (int(y·h), int(x·w))}, as the reference's {@code pointList2annList} computes it; their
 * value is 1 (the file has none). With the reference's proposal file this reproduces WISE's
 * pseudo masks without our classifier.
 */
public final class ReferencePoints {
    private final Path file;
    private final Map<String, List<Seed>> seeds;
    private final Map<String, int[]> sizes;

    private ReferencePoints(Path file, Map<String, List<Seed>> seeds, Map<String, int[]> sizes) {
        this.file = file;
        this.seeds = seeds;
        this.sizes = sizes;
    }

    public static ReferencePoints read(Path file) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (java.io.FileNotFoundException e) {
            throw new IOException(file + ": no such file");
        } catch (JsonProcessingException e) {
            throw new IOException(file + ": not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (root == null || !root.isObject()) {
            throw new IOException(file + ": expected a JSON object mapping image ids to point lists");
        }
        Map<String, List<Seed>> seeds = new LinkedHashMap<>();
        Map<String, int[]> sizes = new LinkedHashMap<>();
        for (var it = root.fields(); it.hasNext();) {
            var e = it.next();
            String id = e.getKey();
            if (!e.getValue().isArray()) {
                throw new IOException(file + ": image " + id + ": expected a list of points");
            }
            List<Seed> list = new ArrayList<>();
            int index = 0;
            for (JsonNode p : e.getValue()) {
                String what = "image " + id + ", point #" + index++;
                for (String f : List.of("cls", "h", "w", "x", "y")) {
                    if (!p.hasNonNull(f) || !p.get(f).isNumber()) {
                        throw new IOException(file + ": " + what + " has no numeric '" + f + "'");
                    }
                }
                int cls = p.get("cls").asInt(), h = p.get("h").asInt(), w = p.get("w").asInt();
                if (cls < 1) {
                    throw new IOException(file + ": " + what + ": class " + cls + " (expected 1..20)");
                }
                int y = (int) (p.get("y").asDouble() * h), x = (int) (p.get("x").asDouble() * w);
                if (y < 0 || y >= h || x < 0 || x >= w) {
                    throw new IOException(file + ": " + what + " lies outside its " + w + "x" + h + " image");
                }
                int[] old = sizes.putIfAbsent(id, new int[] {h, w});
                if (old != null && (old[0] != h || old[1] != w)) {
                    throw new IOException(file + ": " + what + " gives image size " + w + "x" + h + ", an earlier point "
                            + old[1] + "x" + old[0]);
                }
                list.add(new Seed(cls - 1, y, x, 1f));
            }
            seeds.put(id, List.copyOf(list));
        }
        return new ReferencePoints(file, seeds, sizes);
    }

    /** The seeds of one image (none when the file lists it without points or not at all). */
    public List<Seed> seeds(String imageId, int height, int width) throws IOException {
        int[] size = sizes.get(imageId);
        if (size != null && (size[0] != height || size[1] != width)) {
            throw new IOException(file + ": image " + imageId + " is " + width + "x" + height
                    + " but its points are for " + size[1] + "x" + size[0]);
        }
        return seeds.getOrDefault(imageId, List.of());
    }

    public boolean contains(String imageId) {
        return seeds.containsKey(imageId);
    }
}
