package io.wiseseg.proposals;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wiseseg.data.Rle;
import io.wiseseg.util.AtomicFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The proposal file format of the WISE reference (its SharpMask files): a JSON list of
 * {@code {"segmentation": <COCO RLE>, "score": <objectness>}}, the RLE either compressed
 * ({@code counts} a string) or not ({@code counts} a list of run lengths), {@code size} = [h, w].
 * Extra fields are ignored. Our cache writes the same format (compressed RLE), so the reference's
 * tools read our proposals and we read theirs. Errors are IOExceptions naming the file.
 */
final class ProposalJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private ProposalJson() {
    }

    /** One proposal as stored: the RLE is decoded only when the proposal is used. */
    record Entry(Rle rle, float score) {
        Proposal decode() {
            return new Proposal(rle.decode(), score);
        }
    }

    /** Reads a per-image list file. */
    static List<Entry> readList(Path file) throws IOException {
        JsonNode root;
        try {
            root = MAPPER.readTree(file.toFile());
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new IOException(file + ": no such file");
        } catch (JsonProcessingException e) {
            throw new IOException(file + ": not valid JSON (" + e.getOriginalMessage() + ")");
        }
        return entries(file, root, "");
    }

    /**
     * Reads a single file mapping image ids to lists (the reference's proposal_dict.json),
     * streaming image by image so only the compact RLE text is held.
     */
    static Map<String, List<Entry>> readDictionary(Path file) throws IOException {
        Map<String, List<Entry>> out = new LinkedHashMap<>();
        try (JsonParser p = MAPPER.getFactory().createParser(file.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException(file + ": expected a JSON object mapping image ids to proposal lists");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String id = p.currentName();
                p.nextToken();
                JsonNode list = MAPPER.readTree(p);
                out.put(id, entries(file, list, "image " + id + ": "));
            }
        } catch (java.io.FileNotFoundException e) {
            throw new IOException(file + ": no such file");
        } catch (JsonProcessingException e) {
            throw new IOException(file + ": not valid JSON (" + e.getOriginalMessage() + ")");
        }
        return out;
    }

    private static List<Entry> entries(Path file, JsonNode root, String where) throws IOException {
        if (root == null || !root.isArray()) {
            throw new IOException(file + ": " + where + "expected a JSON list of {segmentation, score}");
        }
        List<Entry> out = new ArrayList<>(root.size());
        for (int i = 0; i < root.size(); i++) {
            JsonNode e = root.get(i);
            String what = where + "proposal #" + i;
            JsonNode seg = e.get("segmentation");
            JsonNode score = e.get("score");
            if (seg == null || !seg.isObject()) {
                throw new IOException(file + ": " + what + " has no RLE segmentation object");
            }
            if (score == null || !score.isNumber()) {
                throw new IOException(file + ": " + what + " has no numeric score");
            }
            out.add(new Entry(rle(file, seg, what), (float) score.asDouble()));
        }
        return out;
    }

    private static Rle rle(Path file, JsonNode seg, String what) throws IOException {
        JsonNode size = seg.get("size");
        JsonNode counts = seg.get("counts");
        if (size == null || !size.isArray() || size.size() != 2 || !size.get(0).canConvertToInt()
                || !size.get(1).canConvertToInt() || counts == null) {
            throw new IOException(file + ": " + what + ": RLE needs size [h, w] and counts");
        }
        int h = size.get(0).asInt(), w = size.get(1).asInt();
        try {
            if (counts.isTextual()) {
                return Rle.fromCompressedString(counts.asText(), h, w);
            }
            if (counts.isArray()) {
                int[] c = new int[counts.size()];
                for (int j = 0; j < c.length; j++) {
                    c[j] = counts.get(j).asInt();
                }
                return new Rle(h, w, c);
            }
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + what + ": bad RLE (" + e.getMessage() + ")");
        }
        throw new IOException(file + ": " + what + ": RLE counts must be a string or a list");
    }

    /** Stable sort by score, best first: the order every source returns. */
    static <T> List<T> bestFirst(List<T> items, java.util.function.ToDoubleFunction<T> score) {
        List<T> sorted = new ArrayList<>(items);
        sorted.sort(Comparator.comparingDouble(score).reversed());
        return sorted;
    }

    /** Writes a list file atomically: a temporary file in the same folder, then a rename. */
    static void write(Path file, List<Proposal> proposals) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        AtomicFiles.write(file, tmp -> {
            try (OutputStream os = Files.newOutputStream(tmp);
                    JsonGenerator g = new JsonFactory().createGenerator(os)) {
                g.writeStartArray();
                for (Proposal p : proposals) {
                    Rle rle = Rle.encode(p.mask());
                    g.writeStartObject();
                    g.writeObjectFieldStart("segmentation");
                    g.writeArrayFieldStart("size");
                    g.writeNumber(rle.height());
                    g.writeNumber(rle.width());
                    g.writeEndArray();
                    g.writeStringField("counts", rle.toCompressedString());
                    g.writeEndObject();
                    g.writeNumberField("score", p.score());
                    g.writeEndObject();
                }
                g.writeEndArray();
            }
        });
    }

    /** Decodes entries and checks each mask against the image size. */
    static List<Proposal> decode(Path file, String imageId, List<Entry> entries, int height, int width)
            throws IOException {
        List<Proposal> out = new ArrayList<>(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            if (e.rle().height() != height || e.rle().width() != width) {
                throw new IOException(file + ": proposal #" + i + " is " + e.rle().height() + "x"
                        + e.rle().width() + " but image " + imageId + " is " + height + "x" + width);
            }
            try {
                out.add(e.decode());
            } catch (IllegalArgumentException bad) {
                throw new IOException(file + ": proposal #" + i + " of image " + imageId + ": bad RLE ("
                        + bad.getMessage() + ")");
            }
        }
        return out;
    }
}
