package io.wiseseg.data;

import io.wiseseg.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * The hard synthetic family ({@code dataset synth --family hard}), beside {@link SyntheticDataset}:
 * ten classes told apart only by shape and structure (every instance draws a random palette and
 * texture from one distribution shared by all classes), backgrounds with natural-image statistics
 * (three procedural sources, and photographs from a folder if given), clutter that belongs to no
 * class, objects by default from 8 % to 50 % of the shorter image side with random rotation and
 * aspect ({@link HardLook} narrows these for an easier variant), occlusion, VOC's void band along object boundaries, and a different image size per image.
 * Written in the VOC layout with XML annotations, as the simple family. A deterministic function
 * of its {@link Options} (and of the photographs' bytes): the same options write byte-identical
 * files.
 */
public final class HardSyntheticDataset {
    /** The classes of the hard family, in id order. */
    public static final ClassSet CLASSES = new ClassSet(Arrays.stream(HardShape.values()).map(HardShape::label).toList());

    /** The longer side is at most this much longer than the shorter one (VOC's photos: 4:3). */
    public static final double MAX_ASPECT = 4.0 / 3;

    /**
     * What to generate. Each image's sides are drawn from {@code minSide..maxSide} (uniform, with
     * an aspect of at most 4:3); {@code classes} are names from {@link #CLASSES}; {@code noise} is
     * the standard deviation of per-pixel noise as a fraction of 255; {@code backgrounds} is a
     * folder of JPEG/PNG photographs, half the images' backgrounds are crops of them (null: only
     * procedural ones); the last {@code valFraction} of the images form the val split; {@code look}
     * sets the objects' extent and tilt, the surface patterns and the clutter.
     */
    public record Options(int images, int minSide, int maxSide, long seed, int maxInstances, List<String> classes,
            double noise, double valFraction, boolean jpeg, Path backgrounds, HardLook look) {
        public Options {
            if (images < 1) {
                throw new IllegalArgumentException("images must be >= 1, got " + images);
            }
            if (minSide < 64 || maxSide < minSide) {
                throw new IllegalArgumentException("image sides must satisfy 64 <= min <= max, got " + minSide + ".."
                        + maxSide);
            }
            SyntheticDataset.checkContent(maxInstances, classes, noise, valFraction);
            classes.forEach(HardShape::byLabel);
            classes = List.copyOf(classes);
            java.util.Objects.requireNonNull(look, "look");
        }

        /**
         * The small-data regime: 520 images (400 train, 120 val) of 200–320 px sides, seed 0, up to
         * 6 objects of all ten classes, 2 % noise, PNG, procedural backgrounds only.
         */
        public static Options defaults() {
            return new Options(520, 200, 320, 0, 6, CLASSES.names(), 0.02, 0.23, false, null, HardLook.defaults());
        }

        public Options withImages(int n) {
            return new Options(n, minSide, maxSide, seed, maxInstances, classes, noise, valFraction, jpeg, backgrounds, look);
        }

        public Options withSeed(long s) {
            return new Options(images, minSide, maxSide, s, maxInstances, classes, noise, valFraction, jpeg, backgrounds, look);
        }

        public Options withBackgrounds(Path dir) {
            return new Options(images, minSide, maxSide, seed, maxInstances, classes, noise, valFraction, jpeg, dir, look);
        }

        public Options withLook(HardLook l) {
            return new Options(images, minSide, maxSide, seed, maxInstances, classes, noise, valFraction, jpeg, backgrounds, l);
        }

        public Options withValFraction(double f) {
            return new Options(images, minSide, maxSide, seed, maxInstances, classes, noise, f, jpeg, backgrounds, look);
        }
    }

    private HardSyntheticDataset() {}

    public static String imageId(int index) {
        return String.format("hard_%06d", index);
    }

    /** Draws image {@code index} (independent of the others), reading the photographs if any. */
    public static SyntheticDataset.Generated render(Options o, int index) {
        return toGenerated(scene(o, HardBackground.Photos.load(o.backgrounds()), index), index);
    }

    /** Image {@code index} as the scene drew it, with what the files do not keep (areas, source). */
    static HardScene.Result scene(Options o, HardBackground.Photos photos, int index) {
        List<HardShape> shapes = o.classes().stream().map(HardShape::byLabel).toList();
        Random random = new Random(SyntheticDataset.mix(o.seed(), index));
        int w, h;
        do {
            w = o.minSide() + random.nextInt(o.maxSide() - o.minSide() + 1);
            h = o.minSide() + random.nextInt(o.maxSide() - o.minSide() + 1);
        } while (Math.max(w, h) > MAX_ASPECT * Math.min(w, h));
        return new HardScene(w, h, o.noise(), o.look(), random).render(shapes, o.maxInstances(), photos);
    }

    static SyntheticDataset.Generated toGenerated(HardScene.Result r, int index) {
        int w = r.image().width(), h = r.image().height();
        List<Instance> instances = new ArrayList<>();
        for (int id = 1; id <= r.objectShapes().size(); id++) {
            instances.add(Instance.of(r.objectShapes().get(id - 1).ordinal(),
                    InstanceMaps.maskOf(w, h, r.objectIds(), id), 1f));
        }
        return new SyntheticDataset.Generated(imageId(index), r.image(), r.objectIds(), r.classIds(),
                List.copyOf(instances));
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
        HardBackground.Photos photos = HardBackground.Photos.load(o.backgrounds());
        try {
            for (String dir : List.of("JPEGImages", "Annotations", "SegmentationClass", "SegmentationObject",
                    "ImageSets/Segmentation")) {
                Files.createDirectories(out.resolve(dir));
            }
            AtomicFiles.write(out.resolve("classes.txt"), SyntheticDataset.lines(CLASSES.names()));
            AtomicFiles.write(out.resolve("synthetic.txt"), describe(o, photos));
            int train = o.images() - (int) Math.round(o.images() * o.valFraction());
            ImageWriters.writeAll(o.images(), threads, i -> {
                HardScene.Result r = scene(o, photos, i);
                writeImage(out, o, toGenerated(r, i), r);
            }, listener);
            List<String> ids = IntStream.range(0, o.images()).mapToObj(HardSyntheticDataset::imageId).toList();
            Path sets = out.resolve("ImageSets/Segmentation");
            AtomicFiles.write(sets.resolve("train.txt"), SyntheticDataset.lines(ids.subList(0, train)));
            AtomicFiles.write(sets.resolve("val.txt"), SyntheticDataset.lines(ids.subList(train, ids.size())));
            AtomicFiles.write(sets.resolve("trainval.txt"), SyntheticDataset.lines(ids));
        } catch (IOException e) {
            throw new DatasetException(out, "cannot write the synthetic dataset (" + e.getMessage() + ")", e);
        }
        return VocDataset.open(out, null);
    }

    private static void writeImage(Path out, Options o, SyntheticDataset.Generated g, HardScene.Result r)
            throws IOException {
        int w = g.image().width(), h = g.image().height();
        String file = g.id() + (o.jpeg() ? ".jpg" : ".png");
        AtomicFiles.write(out.resolve("JPEGImages").resolve(file),
                o.jpeg() ? SyntheticDataset.jpeg(g.image()) : VocPalette.encode(g.image().toBufferedImage(), "png"));
        AtomicFiles.write(out.resolve("SegmentationObject").resolve(g.id() + ".png"), VocPalette.encodePng(w, h, g.objectIds()));
        AtomicFiles.write(out.resolve("SegmentationClass").resolve(g.id() + ".png"), VocPalette.encodePng(w, h, g.classIds()));
        List<String> names = g.instances().stream().map(i -> CLASSES.name(i.classId())).toList();
        // VOC's boxes span each object's visible pixels, the void band on its side included.
        AtomicFiles.write(out.resolve("Annotations").resolve(g.id() + ".xml"),
                VocXml.formatBytes(file, w, h, names, r.visibleBoxes()));
    }

    private static byte[] describe(Options o, HardBackground.Photos photos) {
        return SyntheticDataset.lines(List.of("# wiseseg synthetic dataset: the options that generated it",
                "family=hard", "images=" + o.images(), "sides=" + o.minSide() + "-" + o.maxSide(), "seed=" + o.seed(),
                "max_instances=" + o.maxInstances(), "classes=" + String.join(",", o.classes()),
                "noise=" + o.noise(), "look=" + o.look().describe(), "val_fraction=" + o.valFraction(), "format=" + (o.jpeg() ? "jpeg" : "png"),
                "backgrounds=" + (o.backgrounds() == null ? "procedural" : o.backgrounds() + " ("
                        + String.join(", ", photos.names()) + ")")));
    }
}
