package io.wiseseg.spark;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A job's output folder, {@code <out>.parts/}, on any Hadoop file system:
 * <pre>
 * MANIFEST.json             the job's inputs and settings (model files, dataset, split, partitions, image ids)
 * part-00003.json           partition 3's COCO results (a JSON list), committed by a rename
 * part-00003.report.json    its report: images, instances, bad images with their errors, seconds
 * _temporary/               files being written (a killed task leaves its file here, never a part)
 * </pre>
 * A task writes its report, then its results under {@code _temporary/} and renames the results to
 * {@code part-N.json}: that rename is the commit (atomic on HDFS and local file systems; on S3A a
 * rename is a copy, so a killed task can leave a partial part: see README). A partition whose
 * {@code part-N.json} exists is done; a re-run redoes only the others. Two attempts of one
 * partition (speculation, a retry after a lost executor) write the same bytes, and the second
 * rename finds the part there and drops its copy. The merged file concatenates the parts in
 * partition order into a temporary file that is renamed over {@code <out>}.
 */
public final class PartitionCommitter implements Serializable {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final String MANIFEST = "MANIFEST.json";

    private final String out;
    private final String parts;

    public PartitionCommitter(String out) {
        this.out = out;
        this.parts = out + ".parts";
    }

    public Path partsDir() {
        return new Path(parts);
    }

    public Path results(int partition) {
        return new Path(parts, String.format("part-%05d.json", partition));
    }

    public Path report(int partition) {
        return new Path(parts, String.format("part-%05d.report.json", partition));
    }

    /** The bad-image list written next to the merged file. */
    public Path badImages() {
        return new Path(out + ".bad.tsv");
    }

    /**
     * Records the job's inputs and settings, or checks them against the record of an earlier
     * run into the same output: parts made from other inputs are never mixed in.
     *
     * @throws IllegalArgumentException naming the folder and the entries that differ
     */
    public void checkManifest(HadoopConf hadoop, Map<String, String> manifest) throws IOException {
        Path dir = partsDir();
        FileSystem fs = hadoop.fs(dir);
        fs.mkdirs(dir);
        Path file = new Path(dir, MANIFEST);
        if (fs.exists(file)) {
            JsonNode have = MAPPER.readTree(hadoop.readAll(file));
            List<String> differ = new ArrayList<>();
            for (String key : new TreeSet<>(union(have, manifest))) {
                String a = have.has(key) ? have.get(key).asText() : null;
                String b = manifest.get(key);
                if (a == null || !a.equals(b)) {
                    differ.add(key + " (" + abbreviate(a) + " then, " + abbreviate(b) + " now)");
                }
            }
            if (!differ.isEmpty()) {
                throw new IllegalArgumentException(dir + ": holds partitions of a job with other inputs or settings: "
                        + String.join("; ", differ) + "; delete the folder or choose another output");
            }
            return;
        }
        ObjectNode node = MAPPER.createObjectNode();
        new TreeMap<>(manifest).forEach(node::put);
        writeAtomically(hadoop, file, MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(node), true);
    }

    private static List<String> union(JsonNode have, Map<String, String> want) {
        List<String> keys = new ArrayList<>(want.keySet());
        Iterator<String> names = have.fieldNames();
        names.forEachRemaining(keys::add);
        return keys;
    }

    private static String abbreviate(String s) {
        if (s == null) {
            return "absent";
        }
        return s.length() <= 80 ? "'" + s + "'" : "'" + s.substring(0, 77) + "...'";
    }

    /** Removes what killed tasks of an earlier run left under {@code _temporary/} (call before the job starts). */
    public void clearTemporary(HadoopConf hadoop) throws IOException {
        Path tmp = new Path(parts, "_temporary");
        hadoop.fs(tmp).delete(tmp, true);
    }

    /** The partitions whose results are committed. */
    public TreeSet<Integer> committed(HadoopConf hadoop) throws IOException {
        Path dir = partsDir();
        FileSystem fs = hadoop.fs(dir);
        TreeSet<Integer> done = new TreeSet<>();
        if (!fs.exists(dir)) {
            return done;
        }
        for (FileStatus f : fs.listStatus(dir)) {
            String name = f.getPath().getName();
            if (f.isFile() && name.matches("part-\\d{5}\\.json")) {
                done.add(Integer.parseInt(name.substring(5, 10)));
            }
        }
        return done;
    }

    /**
     * Commits one partition: its report, then its results (the commit point).
     *
     * @return false when another attempt had committed the partition already (this one's copy is dropped)
     */
    public boolean commit(HadoopConf hadoop, int partition, byte[] results, byte[] report) throws IOException {
        writeAtomically(hadoop, report(partition), report, true);
        return writeAtomically(hadoop, results(partition), results, false);
    }

    /** Writes under _temporary/ and renames; with {@code replace}, over an existing file. */
    private boolean writeAtomically(HadoopConf hadoop, Path target, byte[] bytes, boolean replace) throws IOException {
        FileSystem fs = hadoop.fs(target);
        Path tmp = new Path(new Path(parts, "_temporary"), target.getName() + "." + UUID.randomUUID());
        fs.mkdirs(tmp.getParent());
        try (FSDataOutputStream os = fs.create(tmp, true)) {
            os.write(bytes);
        }
        if (fs.exists(target)) {
            if (!replace) {
                fs.delete(tmp, false);
                return false;
            }
            fs.delete(target, false);
        }
        if (!fs.rename(tmp, target)) {
            boolean there = fs.exists(target);
            fs.delete(tmp, false);
            if (!there) {
                throw new IOException("could not rename " + tmp + " to " + target);
            }
            return false;
        }
        return true;
    }

    /** What the merge found in the partitions' reports. */
    public record Summary(int images, int instances, List<String[]> badImages) {}

    /**
     * Concatenates the parts of partitions 0..n-1, in order, into {@code <out>} (a temporary file
     * renamed over it), and lists the bad images of their reports in {@code <out>.bad.tsv}
     * (removed when there are none).
     */
    public Summary merge(HadoopConf hadoop, int partitions) throws IOException {
        Path target = new Path(out);
        FileSystem fs = hadoop.fs(target);
        Path tmp = new Path(new Path(parts, "_temporary"), target.getName() + ".merge." + UUID.randomUUID());
        fs.mkdirs(tmp.getParent());
        JsonFactory factory = new JsonFactory(MAPPER);
        try (OutputStream os = fs.create(tmp, true); JsonGenerator g = factory.createGenerator(os)) {
            g.writeStartArray();
            for (int p = 0; p < partitions; p++) {
                Path part = results(p);
                if (!fs.exists(part)) {
                    throw new IOException(part + ": missing; run the job again to make it");
                }
                try (InputStream in = fs.open(part); JsonParser parser = factory.createParser(in)) {
                    if (parser.nextToken() != JsonToken.START_ARRAY) {
                        throw new IOException(part + ": not a JSON list of results; delete it to redo the partition");
                    }
                    while (parser.nextToken() == JsonToken.START_OBJECT) {
                        g.writeTree(parser.readValueAsTree());
                    }
                }
            }
            g.writeEndArray();
        }
        if (fs.exists(target)) {
            fs.delete(target, false);
        }
        if (!fs.rename(tmp, target)) {
            throw new IOException("could not rename " + tmp + " to " + target);
        }
        int images = 0, instances = 0;
        List<String[]> bad = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            JsonNode r = MAPPER.readTree(hadoop.readAll(report(p)));
            images += r.get("images").asInt();
            instances += r.get("instances").asInt();
            for (JsonNode b : r.get("bad")) {
                bad.add(new String[] {b.get("id").asText(), b.get("image").asText(), b.get("error").asText()});
            }
        }
        Path badFile = badImages();
        if (bad.isEmpty()) {
            fs.delete(badFile, false);
        } else {
            StringBuilder tsv = new StringBuilder("id\tfile\terror\n");
            for (String[] b : bad) {
                tsv.append(b[0]).append('\t').append(b[1]).append('\t').append(b[2].replaceAll("[\t\r\n]+", " ")).append('\n');
            }
            writeAtomically(hadoop, badFile, tsv.toString().getBytes(StandardCharsets.UTF_8), true);
        }
        return new Summary(images, instances, bad);
    }

    static UncheckedIOException unchecked(IOException e) {
        return new UncheckedIOException(e);
    }
}
