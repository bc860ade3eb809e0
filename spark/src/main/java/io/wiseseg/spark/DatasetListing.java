package io.wiseseg.spark;

import io.wiseseg.data.ClassSet;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The driver's view of a job's input on any Hadoop file system: a VOC-layout dataset's split
 * (the same images, in the same order, as {@code io.wiseseg.data.VocDataset}) or a folder of
 * images (as {@code wiseseg predict --images}: .jpg/.jpeg/.png files sorted by name, ids the
 * names without extension). Only names are listed here; the executors read the files.
 */
public record DatasetListing(List<String> classes, List<ImageRef> images) {
    /** A VOC-layout dataset's split: ImageSets/Segmentation/SPLIT.txt, JPEGImages/, Annotations/, classes.txt. */
    public static DatasetListing voc(HadoopConf hadoop, String root, String split) throws IOException {
        Path dir = new Path(root);
        FileSystem fs = hadoop.fs(dir);
        Path sets = new Path(dir, "ImageSets/Segmentation");
        if (!fs.isDirectory(sets)) {
            throw new IllegalArgumentException(sets + ": missing directory: not a VOC-layout dataset");
        }
        Path splitFile = new Path(sets, split + ".txt");
        if (!fs.exists(splitFile)) {
            throw new IllegalArgumentException(root + ": no split '" + split + "' (no " + splitFile + ")");
        }
        Path classesFile = new Path(dir, "classes.txt");
        List<String> classes = fs.exists(classesFile) ? lines(hadoop, classesFile) : ClassSet.VOC.names();
        Map<String, Path> images = byId(fs, new Path(dir, "JPEGImages"), ".jpg", ".png", ".jpeg");
        Map<String, Path> xml = byId(fs, new Path(dir, "Annotations"), ".xml");
        Map<String, Path> masks = byId(fs, new Path(dir, "SegmentationClass"), ".png");
        List<ImageRef> refs = new ArrayList<>();
        for (String id : new LinkedHashSet<>(lines(hadoop, splitFile))) {
            Path image = images.getOrDefault(id, new Path(dir, "JPEGImages/" + id + ".jpg")); // missing: a bad image
            refs.add(new ImageRef(id, image.toString(), str(xml.get(id)), str(masks.get(id))));
        }
        return new DatasetListing(List.copyOf(classes), List.copyOf(refs));
    }

    /** The .jpg/.jpeg/.png files of a folder, sorted by name. */
    public static DatasetListing folder(HadoopConf hadoop, String folder) throws IOException {
        Path dir = new Path(folder);
        FileSystem fs = hadoop.fs(dir);
        if (!fs.isDirectory(dir)) {
            throw new IllegalArgumentException(folder + ": not a folder");
        }
        List<FileStatus> files = new ArrayList<>(List.of(fs.listStatus(dir)));
        files.sort((a, b) -> a.getPath().getName().compareTo(b.getPath().getName()));
        List<ImageRef> refs = new ArrayList<>();
        for (FileStatus f : files) {
            String name = f.getPath().getName();
            if (f.isFile() && name.matches("(?i).*\\.(jpe?g|png)")) {
                refs.add(new ImageRef(name.substring(0, name.lastIndexOf('.')), f.getPath().toString(), null, null));
            }
        }
        return new DatasetListing(null, List.copyOf(refs));
    }

    /** A digest of the image list (ids and files), for the manifest. */
    public String digest() {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (ImageRef r : images) {
                sha.update((r.id() + "\t" + r.image() + "\n").getBytes(StandardCharsets.UTF_8));
            }
            return images.size() + " images, sha256 " + HexFormat.of().formatHex(sha.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** "name size mtime" of each file at the top of a run folder: what the manifest records of a model. */
    public static String runFiles(HadoopConf hadoop, String run) throws IOException {
        Path dir = new Path(run);
        FileSystem fs = hadoop.fs(dir);
        if (!fs.isDirectory(dir)) {
            throw new IllegalArgumentException(run + ": not a run folder");
        }
        List<FileStatus> files = new ArrayList<>(List.of(fs.listStatus(dir)));
        files.sort((a, b) -> a.getPath().getName().compareTo(b.getPath().getName()));
        StringBuilder s = new StringBuilder();
        for (FileStatus f : files) {
            if (f.isFile()) {
                s.append(f.getPath().getName()).append(' ').append(f.getLen()).append(' ')
                        .append(f.getModificationTime()).append("; ");
            }
        }
        return s.toString().strip();
    }

    private static Map<String, Path> byId(FileSystem fs, Path dir, String... extensions) throws IOException {
        Map<String, Path> out = new HashMap<>();
        if (!fs.isDirectory(dir)) {
            return out;
        }
        Map<String, Integer> rank = new HashMap<>();
        for (FileStatus f : fs.listStatus(dir)) {
            String name = f.getPath().getName();
            for (int e = 0; e < extensions.length; e++) {
                if (name.toLowerCase(Locale.ROOT).endsWith(extensions[e]) && name.endsWith(extensions[e])) {
                    String id = name.substring(0, name.length() - extensions[e].length());
                    if (e < rank.getOrDefault(id, Integer.MAX_VALUE)) { // VocDataset's order: .jpg, .png, .jpeg
                        rank.put(id, e);
                        out.put(id, f.getPath());
                    }
                }
            }
        }
        return out;
    }

    private static List<String> lines(HadoopConf hadoop, Path file) throws IOException {
        return new String(hadoop.readAll(file), StandardCharsets.UTF_8).lines().map(String::strip)
                .filter(s -> !s.isEmpty()).toList();
    }

    private static String str(Path p) {
        return p == null ? null : p.toString();
    }
}
