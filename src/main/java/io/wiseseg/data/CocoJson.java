package io.wiseseg.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wiseseg.util.AtomicFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Reads and writes COCO-style JSON: datasets ({@code images}, {@code categories},
 * {@code annotations}) and results files (a list of {@code {image_id, category_id, segmentation,
 * score}}). Segmentations are read as compressed RLE, uncompressed RLE (a counts list) or
 * polygons, and always written as compressed RLE, so pycocotools and detectron2 read our files.
 * Image ids are kept as text; numeric ids are written back as numbers. An image may carry a
 * {@code wiseseg_void} RLE (our extension, ignored by other tools): VOC's void region, kept so
 * that a VOC split survives a round trip through COCO JSON.
 *
 * <p>Every problem with a file is an {@link IOException} whose one-line message starts with the
 * file. Writes go to a temporary file in the same folder that is then renamed over the target.
 */
public final class CocoJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String VOID = "wiseseg_void";

    private CocoJson() {
    }

    /** Reads a dataset; images' paths are {@code imageDir} resolved with their {@code file_name}. */
    public static CocoDataset readDataset(Path file, Path imageDir) throws IOException {
        JsonNode root = readTree(file);
        if (!root.isObject()) {
            throw problem(file, "a COCO dataset must be a JSON object with images, categories, annotations");
        }
        JsonNode cats = array(file, root, "categories");
        TreeMap<Integer, String> byId = new TreeMap<>();
        for (JsonNode c : cats) {
            int id = intField(file, c, "id", "category");
            String name = c.hasNonNull("name") ? c.get("name").asText() : String.valueOf(id);
            if (byId.put(id, name) != null) {
                throw problem(file, "duplicate category id " + id);
            }
        }
        ClassSet classes;
        try {
            classes = new ClassSet(new ArrayList<>(byId.values()));
        } catch (IllegalArgumentException e) {
            throw problem(file, e.getMessage());
        }
        List<Integer> categoryIds = new ArrayList<>(byId.keySet());
        Map<Integer, Integer> classOf = new HashMap<>();
        for (int i = 0; i < categoryIds.size(); i++) {
            classOf.put(categoryIds.get(i), i);
        }

        record ImageEntry(String id, String fileName, int height, int width, Mask voidMask) {
        }
        LinkedHashMap<String, ImageEntry> images = new LinkedHashMap<>();
        for (JsonNode im : array(file, root, "images")) {
            String id = idField(file, im, "id", "image");
            int w = intField(file, im, "width", "image " + id);
            int h = intField(file, im, "height", "image " + id);
            String name = im.hasNonNull("file_name") ? im.get("file_name").asText() : id;
            Mask voidMask = im.hasNonNull(VOID)
                    ? segmentation(file, im.get(VOID), h, w, "void of image " + id).decode() : null;
            if (images.put(id, new ImageEntry(id, name, h, w, voidMask)) != null) {
                throw problem(file, "duplicate image id " + id);
            }
        }

        Map<String, List<Instance>> instances = new HashMap<>();
        Map<String, List<Instance>> crowd = new HashMap<>();
        Map<String, TreeSet<Integer>> labels = new HashMap<>();
        JsonNode anns = root.has("annotations") ? array(file, root, "annotations")
                : JsonNodeFactory.instance.arrayNode();
        int index = 0;
        for (JsonNode a : anns) {
            String what = "annotation " + (a.has("id") ? a.get("id").asText() : "#" + index);
            index++;
            String imageId = idField(file, a, "image_id", what);
            ImageEntry im = images.get(imageId);
            if (im == null) {
                throw problem(file, what + " refers to unknown image " + imageId);
            }
            int cat = intField(file, a, "category_id", what);
            Integer classId = classOf.get(cat);
            if (classId == null) {
                throw problem(file, what + " refers to unknown category " + cat);
            }
            Instance in = instance(file, a, classId, im.height, im.width, what);
            boolean isCrowd = a.path("iscrowd").asInt(0) != 0;
            (isCrowd ? crowd : instances).computeIfAbsent(imageId, k -> new ArrayList<>()).add(in);
            labels.computeIfAbsent(imageId, k -> new TreeSet<>()).add(classId);
        }

        List<AnnotatedImage> out = new ArrayList<>(images.size());
        for (ImageEntry im : images.values()) {
            int[] lab = labels.getOrDefault(im.id, new TreeSet<>()).stream()
                    .mapToInt(Integer::intValue).toArray();
            LabelledImage li = new LabelledImage(im.id, imageDir.resolve(im.fileName), im.width,
                    im.height, lab);
            out.add(new AnnotatedImage(li, instances.getOrDefault(im.id, List.of()), im.voidMask));
        }
        return new CocoDataset(classes, categoryIds, out, crowd);
    }

    /** Writes a dataset (ground truth or pseudo labels); instances' scores other than 1 are kept. */
    public static void writeDataset(Path file, CocoDataset dataset) throws IOException {
        ObjectNode root = MAPPER.createObjectNode();
        ArrayNode images = root.putArray("images");
        ArrayNode anns = root.putArray("annotations");
        ArrayNode cats = root.putArray("categories");
        for (int c = 0; c < dataset.classes().size(); c++) {
            cats.addObject().put("id", dataset.categoryIds().get(c)).put("name", dataset.classes().name(c));
        }
        long annId = 1;
        for (AnnotatedImage ai : dataset.images()) {
            LabelledImage li = ai.image();
            ObjectNode im = images.addObject();
            putId(im, "id", li.id());
            Path name = li.imagePath().getFileName();
            im.put("file_name", name == null ? li.id() : name.toString());
            im.put("width", li.width());
            im.put("height", li.height());
            if (ai.voidMask() != null) {
                im.set(VOID, rleNode(Rle.encode(ai.voidMask())));
            }
            for (int pass = 0; pass < 2; pass++) {
                List<Instance> list = pass == 0 ? ai.instances() : dataset.crowdOf(li.id());
                for (Instance in : list) {
                    ObjectNode a = anns.addObject();
                    a.put("id", annId++);
                    putId(a, "image_id", li.id());
                    a.put("category_id", dataset.categoryIds().get(in.classId()));
                    Rle rle = Rle.encode(in.mask());
                    a.set("segmentation", rleNode(rle));
                    a.put("area", rle.area());
                    a.set("bbox", boxNode(in));
                    a.put("iscrowd", pass);
                    if (in.score() != 1f) {
                        a.put("score", in.score());
                    }
                }
            }
        }
        writeAtomically(file, root);
    }

    /** Writes a COCO results file with {@link CocoDataset#defaultCategoryIds} (class c as c + 1). */
    public static void writeResults(Path file, List<ImagePrediction> predictions, ClassSet classes)
            throws IOException {
        writeResults(file, predictions, CocoDataset.defaultCategoryIds(classes));
    }

    /** Writes a COCO results file; class c is written as category {@code categoryIds.get(c)}. */
    public static void writeResults(Path file, List<ImagePrediction> predictions,
            List<Integer> categoryIds) throws IOException {
        ArrayNode root = MAPPER.createArrayNode();
        for (ImagePrediction p : predictions) {
            for (Instance in : p.instances()) {
                if (in.classId() < 0 || in.classId() >= categoryIds.size()) {
                    throw new IllegalArgumentException("class id " + in.classId() + " in image "
                            + p.imageId() + " has no category id (" + categoryIds.size() + " known)");
                }
                ObjectNode r = root.addObject();
                putId(r, "image_id", p.imageId());
                r.put("category_id", categoryIds.get(in.classId()));
                r.set("segmentation", rleNode(Rle.encode(in.mask())));
                r.set("bbox", boxNode(in));
                r.put("score", in.score());
            }
        }
        writeAtomically(file, root);
    }

    /**
     * Reads a results file against its dataset: categories map back to class ids, and every
     * mask must have its image's size. Images of the dataset without results get an empty
     * prediction; results for images not in the dataset are an error.
     */
    public static List<ImagePrediction> readResults(Path file, CocoDataset dataset) throws IOException {
        return readResults(file, dataset, false);
    }

    /** As {@link #readResults(Path, CocoDataset)}, but results for other images are skipped. */
    public static List<ImagePrediction> readResultsFor(Path file, CocoDataset dataset) throws IOException {
        return readResults(file, dataset, true);
    }

    private static List<ImagePrediction> readResults(Path file, CocoDataset dataset, boolean skipOthers)
            throws IOException {
        JsonNode root = readTree(file);
        if (!root.isArray()) {
            throw problem(file, "a COCO results file must be a JSON list of detections");
        }
        Map<Integer, Integer> classOf = new HashMap<>();
        for (int i = 0; i < dataset.categoryIds().size(); i++) {
            classOf.put(dataset.categoryIds().get(i), i);
        }
        LinkedHashMap<String, LabelledImage> images = new LinkedHashMap<>();
        for (AnnotatedImage ai : dataset.images()) {
            images.put(ai.image().id(), ai.image());
        }
        Map<String, List<Instance>> byImage = new HashMap<>();
        int index = 0;
        for (JsonNode r : root) {
            String what = "result #" + index++;
            String imageId = idField(file, r, "image_id", what);
            LabelledImage im = images.get(imageId);
            if (im == null && skipOthers) {
                continue;
            }
            if (im == null) {
                throw problem(file, what + " refers to image " + imageId + ", which is not in the dataset");
            }
            int cat = intField(file, r, "category_id", what);
            Integer classId = classOf.get(cat);
            if (classId == null) {
                throw problem(file, what + " refers to unknown category " + cat);
            }
            if (!r.hasNonNull("score")) {
                throw problem(file, what + " has no score");
            }
            byImage.computeIfAbsent(imageId, k -> new ArrayList<>())
                    .add(instance(file, r, classId, im.height(), im.width(), what));
        }
        List<ImagePrediction> out = new ArrayList<>(images.size());
        for (LabelledImage im : images.values()) {
            out.add(new ImagePrediction(im.id(), im.height(), im.width(),
                    byImage.getOrDefault(im.id(), List.of())));
        }
        return out;
    }

    private static Instance instance(Path file, JsonNode a, int classId, int h, int w, String what)
            throws IOException {
        if (!a.hasNonNull("segmentation")) {
            throw problem(file, what + " has no segmentation");
        }
        Mask mask = segmentation(file, a.get("segmentation"), h, w, what).decode();
        float score = a.hasNonNull("score") ? (float) a.get("score").asDouble() : 1f;
        JsonNode bb = a.get("bbox");
        if (bb != null && bb.isArray() && bb.size() == 4) {
            float x = (float) bb.get(0).asDouble(), y = (float) bb.get(1).asDouble();
            Box box = new Box(x, y, x + (float) bb.get(2).asDouble(), y + (float) bb.get(3).asDouble());
            return new Instance(classId, mask, box, score);
        }
        return Instance.of(classId, mask, score);
    }

    /** One segmentation of an image of size h×w: RLE (string or counts list) or polygons. */
    static Rle segmentation(Path file, JsonNode seg, int h, int w, String what) throws IOException {
        if (seg.isArray()) {
            List<Rle> parts = new ArrayList<>();
            for (JsonNode poly : seg) {
                if (!poly.isArray()) {
                    throw problem(file, what + ": polygon segmentation must be a list of coordinate lists");
                }
                double[] xy = new double[poly.size()];
                for (int i = 0; i < xy.length; i++) {
                    if (!poly.get(i).isNumber()) {
                        throw problem(file, what + ": polygon coordinate " + poly.get(i) + " is not a number");
                    }
                    xy[i] = poly.get(i).asDouble();
                }
                try {
                    parts.add(Rle.fromPolygon(xy, h, w));
                } catch (IllegalArgumentException e) {
                    throw problem(file, what + ": " + e.getMessage());
                }
            }
            return parts.isEmpty() ? Rle.encode(new Mask(h, w)) : Rle.merge(parts, false);
        }
        if (!seg.isObject() || !seg.has("size") || !seg.has("counts")) {
            throw problem(file, what + ": segmentation must be polygons or an RLE {size, counts}");
        }
        JsonNode size = seg.get("size");
        if (!size.isArray() || size.size() != 2) {
            throw problem(file, what + ": RLE size must be [height, width]");
        }
        int rh = size.get(0).asInt(), rw = size.get(1).asInt();
        if (rh != h || rw != w) {
            throw problem(file, what + ": mask is " + rh + "x" + rw + " but its image is " + h + "x" + w);
        }
        JsonNode counts = seg.get("counts");
        Rle rle;
        try {
            if (counts.isTextual()) {
                rle = Rle.fromCompressedString(counts.asText(), h, w);
            } else if (counts.isArray()) {
                int[] c = new int[counts.size()];
                for (int i = 0; i < c.length; i++) {
                    long v = counts.get(i).asLong(-1);
                    if (!counts.get(i).isIntegralNumber() || v < 0 || v > 0xFFFFFFFFL) {
                        throw problem(file, what + ": RLE count " + counts.get(i) + " is not a count");
                    }
                    c[i] = (int) v;
                }
                rle = new Rle(h, w, c);
            } else {
                throw problem(file, what + ": RLE counts must be a string or a list");
            }
        } catch (IllegalArgumentException e) {
            throw problem(file, what + ": " + e.getMessage());
        }
        long sum = 0;
        for (int c : rle.counts()) {
            sum += Integer.toUnsignedLong(c);
        }
        if (sum != (long) h * w) {
            throw problem(file, what + ": RLE counts cover " + sum + " pixels, the " + h + "x" + w
                    + " mask has " + (long) h * w);
        }
        return rle;
    }

    private static ObjectNode rleNode(Rle rle) {
        ObjectNode n = MAPPER.createObjectNode();
        n.putArray("size").add(rle.height()).add(rle.width());
        n.put("counts", rle.toCompressedString());
        return n;
    }

    private static ArrayNode boxNode(Instance in) {
        Box b = in.box() != null ? in.box() : in.mask().bbox();
        ArrayNode n = MAPPER.createArrayNode();
        if (b == null) {
            return n.add(0.0).add(0.0).add(0.0).add(0.0);
        }
        return n.add(b.x1()).add(b.y1()).add(b.width()).add(b.height());
    }

    /** Numeric-looking ids go out as numbers, as COCO tools expect; others as strings. */
    private static void putId(ObjectNode n, String field, String id) {
        if (id.matches("0|[1-9][0-9]{0,17}")) {
            n.put(field, Long.parseLong(id));
        } else {
            n.put(field, id);
        }
    }

    private static JsonNode readTree(Path file) throws IOException {
        try {
            return MAPPER.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            throw problem(file, "malformed JSON" + (loc == null ? "" : " at line " + loc.getLineNr()
                    + " column " + loc.getColumnNr()) + ": " + e.getOriginalMessage().lines().findFirst().orElse(""));
        } catch (java.io.FileNotFoundException | NoSuchFileException e) {
            throw problem(file, "no such file");
        }
    }

    private static JsonNode array(Path file, JsonNode root, String field) throws IOException {
        JsonNode n = root.get(field);
        if (n == null || !n.isArray()) {
            throw problem(file, "'" + field + "' must be a list");
        }
        return n;
    }

    private static int intField(Path file, JsonNode n, String field, String what) throws IOException {
        JsonNode v = n.get(field);
        if (v == null || !v.canConvertToInt() || !v.isIntegralNumber()) {
            throw problem(file, what + ": '" + field + "' must be an integer, got " + v);
        }
        return v.asInt();
    }

    private static String idField(Path file, JsonNode n, String field, String what) throws IOException {
        JsonNode v = n.get(field);
        if (v == null || !(v.isIntegralNumber() || v.isTextual())) {
            throw problem(file, what + ": '" + field + "' must be a number or a string, got " + v);
        }
        return v.asText();
    }

    private static IOException problem(Path file, String message) {
        return new IOException(file + ": " + message);
    }

    private static void writeAtomically(Path file, JsonNode root) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        AtomicFiles.write(file, tmp -> {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                MAPPER.writeValue(out, root);
            }
        });
    }
}
