package io.wiseseg.data;

import io.wiseseg.util.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * The synthetic benchmark: writes a small dataset in the VOC layout (so {@link VocDataset} reads
 * it like the real thing) with shapes of distinct classes on cluttered, textured backgrounds,
 * partly occluding each other. It is a deterministic function of its {@link Options}: the same
 * options write byte-identical files (no clocks, no hash ordering; ImageIO's PNG encoder is
 * deterministic). Images are PNG by default so pixels round-trip exactly.
 */
public final class SyntheticDataset {
    /** The option checks both families share (what each one's classes are is checked by each). */
    static void checkContent(int maxInstances, List<String> classes, double noise, double valFraction) {
        if (maxInstances < 1 || maxInstances > 254) {
            throw new IllegalArgumentException("max instances must be in 1..254, got " + maxInstances);
        }
        if (classes.isEmpty()) {
            throw new IllegalArgumentException("at least one class is needed");
        }
        if (noise < 0 || noise > 1) {
            throw new IllegalArgumentException("noise must be in [0, 1], got " + noise);
        }
        if (valFraction < 0 || valFraction >= 1) {
            throw new IllegalArgumentException("val fraction must be in [0, 1), got " + valFraction);
        }
    }

    /** The synthetic classes, in id order. */
    public static final ClassSet CLASSES = new ClassSet(
            Arrays.stream(SyntheticShape.values()).map(SyntheticShape::label).toList());

    /**
     * What to generate. {@code classes} are names from {@link #CLASSES}; {@code noise} is the
     * standard deviation of per-pixel noise as a fraction of 255; the last {@code valFraction} of
     * the images form the val split, the rest train.
     */
    public record Options(int images, int width, int height, long seed, int maxInstances, List<String> classes,
            double noise, double valFraction, boolean jpeg) {
        public Options {
            if (images < 1) {
                throw new IllegalArgumentException("images must be >= 1, got " + images);
            }
            if (width < 16 || height < 16) {
                throw new IllegalArgumentException("image size must be at least 16x16, got " + width + "x" + height);
            }
            checkContent(maxInstances, classes, noise, valFraction);
            classes.forEach(SyntheticShape::byLabel);
            classes = List.copyOf(classes);
        }

        /** 200 images of 128×128, seed 0, up to 8 instances of all six classes, 3% noise, 20% val. */
        public static Options defaults() {
            return new Options(200, 128, 128, 0, 8, CLASSES.names(), 0.03, 0.2, false);
        }

        public Options withImages(int n) {
            return new Options(n, width, height, seed, maxInstances, classes, noise, valFraction, jpeg);
        }

        public Options withSeed(long s) {
            return new Options(images, width, height, s, maxInstances, classes, noise, valFraction, jpeg);
        }

        public Options withSize(int w, int h) {
            return new Options(images, w, h, seed, maxInstances, classes, noise, valFraction, jpeg);
        }
    }

    /** One generated image with its ground truth as written to disk. */
    public record Generated(String id, RgbImage image, byte[] objectIds, byte[] classIds, List<Instance> instances) {}

    private SyntheticDataset() {}

    public static String imageId(int index) {
        return String.format("synth_%06d", index);
    }

    /** Draws image {@code index} of the dataset these options describe (independent of the others). */
    public static Generated render(Options o, int index) {
        List<SyntheticShape> shapes = o.classes().stream().map(SyntheticShape::byLabel).toList();
        Random random = new Random(mix(o.seed(), index));
        SyntheticScene.Result r = new SyntheticScene(o.width(), o.height(), o.noise(), random)
                .render(shapes, o.maxInstances());
        List<Instance> instances = new ArrayList<>();
        for (int id = 1; id <= r.objectShapes().size(); id++) {
            instances.add(Instance.of(r.objectShapes().get(id - 1).ordinal(),
                    InstanceMaps.maskOf(o.width(), o.height(), r.objectIds(), id), 1f));
        }
        return new Generated(imageId(index), r.image(), r.objectIds(), r.classIds(), List.copyOf(instances));
    }

    /**
     * Writes the dataset under {@code out} and opens it. Existing files of the same names are
     * replaced, each atomically, so an interrupted run leaves no half file.
     */
    public static VocDataset generate(Path out, Options o, ProgressListener listener) {
        return generate(out, o, listener, ImageWriters.defaultThreads());
    }

    /** As above on {@code threads} threads (the files do not depend on their number). */
    static VocDataset generate(Path out, Options o, ProgressListener listener, int threads) {
        try {
            for (String dir : List.of("JPEGImages", "Annotations", "SegmentationClass", "SegmentationObject",
                    "ImageSets/Segmentation")) {
                Files.createDirectories(out.resolve(dir));
            }
            AtomicFiles.write(out.resolve("classes.txt"), lines(CLASSES.names()));
            AtomicFiles.write(out.resolve("synthetic.txt"), describe(o));
            int train = o.images() - (int) Math.round(o.images() * o.valFraction());
            ImageWriters.writeAll(o.images(), threads, i -> writeImage(out, o, render(o, i)), listener);
            List<String> ids = IntStream.range(0, o.images()).mapToObj(SyntheticDataset::imageId).toList();
            Path sets = out.resolve("ImageSets/Segmentation");
            AtomicFiles.write(sets.resolve("train.txt"), lines(ids.subList(0, train)));
            AtomicFiles.write(sets.resolve("val.txt"), lines(ids.subList(train, ids.size())));
            AtomicFiles.write(sets.resolve("trainval.txt"), lines(ids));
        } catch (IOException e) {
            throw new DatasetException(out, "cannot write the synthetic dataset (" + e.getMessage() + ")", e);
        }
        return VocDataset.open(out, null);
    }

    private static void writeImage(Path out, Options o, Generated g) throws IOException {
        String file = g.id() + (o.jpeg() ? ".jpg" : ".png");
        AtomicFiles.write(out.resolve("JPEGImages").resolve(file), o.jpeg() ? jpeg(g.image()) : VocPalette.encode(g.image().toBufferedImage(), "png"));
        AtomicFiles.write(out.resolve("SegmentationObject").resolve(g.id() + ".png"), VocPalette.encodePng(o.width(), o.height(), g.objectIds()));
        AtomicFiles.write(out.resolve("SegmentationClass").resolve(g.id() + ".png"), VocPalette.encodePng(o.width(), o.height(), g.classIds()));
        List<String> names = g.instances().stream().map(i -> CLASSES.name(i.classId())).toList();
        List<Box> boxes = g.instances().stream().map(Instance::box).toList();
        AtomicFiles.write(out.resolve("Annotations").resolve(g.id() + ".xml"),
                VocXml.formatBytes(file, o.width(), o.height(), names, boxes));
    }

    static byte[] jpeg(RgbImage image) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(out);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(0.95f);
            writer.write(null, new IIOImage(image.toBufferedImage(), null, null), param);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    static byte[] lines(List<String> lines) {
        StringBuilder s = new StringBuilder();
        lines.forEach(l -> s.append(l).append('\n'));
        return s.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] describe(Options o) {
        return lines(List.of("# wiseseg synthetic dataset: the options that generated it",
                "images=" + o.images(), "width=" + o.width(), "height=" + o.height(), "seed=" + o.seed(),
                "max_instances=" + o.maxInstances(), "classes=" + String.join(",", o.classes()),
                "noise=" + o.noise(), "val_fraction=" + o.valFraction(), "format=" + (o.jpeg() ? "jpeg" : "png")));
    }

    /** SplitMix64 of (seed, index): well-spread per-image seeds, so images do not depend on each other. */
    static long mix(long seed, int index) {
        long z = seed + 0x9E3779B97F4A7C15L * (index + 1L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
