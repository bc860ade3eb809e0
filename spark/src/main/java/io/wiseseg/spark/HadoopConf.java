package io.wiseseg.spark;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The driver's Hadoop configuration (core-site.xml, {@code spark.hadoop.*}: S3A credentials
 * providers, HDFS name nodes), carried to the executors. Hadoop's {@link Configuration} is not
 * serializable, so its entries travel as a map.
 */
public final class HadoopConf implements Serializable {
    private final HashMap<String, String> entries = new HashMap<>();
    private transient Configuration conf;

    public HadoopConf(Configuration source) {
        for (Map.Entry<String, String> e : source) {
            entries.put(e.getKey(), e.getValue());
        }
        this.conf = source;
    }

    public synchronized Configuration get() {
        if (conf == null) {
            Configuration c = new Configuration(false);
            entries.forEach(c::set);
            conf = c;
        }
        return conf;
    }

    /** The file system of {@code path}. */
    public FileSystem fs(Path path) {
        try {
            return path.getFileSystem(get());
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": no file system (" + e.getMessage() + ")", e);
        }
    }

    /** Whether the path is on the local file system (then it can be used as is, without a copy). */
    public static boolean isLocal(FileSystem fs) {
        String scheme = fs.getUri().getScheme();
        return scheme == null || scheme.equals("file");
    }

    /** The local file of a path on the local file system. */
    public static java.nio.file.Path localFile(FileSystem fs, Path path) {
        return java.nio.file.Path.of(URI.create(fs.makeQualified(path).toUri().toString()));
    }

    /** Copies one file from any Hadoop file system to a local file. */
    public void copyToLocal(Path from, java.nio.file.Path to) throws IOException {
        FileSystem fs = fs(from);
        try (InputStream in = fs.open(from); OutputStream out = Files.newOutputStream(to)) {
            in.transferTo(out);
        }
    }

    /** Reads a whole (small) file. */
    public byte[] readAll(Path file) throws IOException {
        try (InputStream in = fs(file).open(file)) {
            return in.readAllBytes();
        }
    }
}
