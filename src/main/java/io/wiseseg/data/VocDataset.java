package io.wiseseg.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * A dataset in the PASCAL VOC 2012 layout, optionally with the SBD annotations:
 * <pre>
 * root/JPEGImages/ID.jpg (or .png)      root/Annotations/ID.xml (size, object names)
 * root/SegmentationClass/ID.png         palette PNG: class id + 1, 0 background, 255 void
 * root/SegmentationObject/ID.png        palette PNG: object 1..N, 0 background, 255 void
 * root/ImageSets/Segmentation/S.txt     one image id per line, one file per split
 * root/classes.txt                      optional: one class name per line (default: VOC's 20)
 * sbd/cls/ID.mat  sbd/inst/ID.mat       SBD's GTcls / GTinst structs
 * sbd/train.txt  sbd/val.txt            SBD's splits
 * </pre>
 * With SBD there is one more split, {@code train_aug} = (SBD train ∪ SBD val ∪ VOC train) minus
 * VOC val, the usual training set for VOC segmentation. Image-level labels come from the XML
 * objects, or from the masks when an image has no XML. An image's ground truth comes from VOC's
 * PNGs when it has them, else from SBD (which marks no void pixels).
 */
public final class VocDataset implements Dataset {
    public static final String TRAIN_AUG = "train_aug";

    private final Path root;
    private final Path sbd;
    private final ClassSet classes;
    private final Map<String, List<String>> splits;

    private VocDataset(Path root, Path sbd, ClassSet classes, Map<String, List<String>> splits) {
        this.root = root;
        this.sbd = sbd;
        this.classes = classes;
        this.splits = splits;
    }

    /** A VOC-layout dataset; SBD is used when {@code root/SBD} exists. */
    public static VocDataset open(Path root) {
        Path sbd = root.resolve("SBD");
        return open(root, Files.isDirectory(sbd) ? sbd : null);
    }

    /** A VOC-layout dataset with SBD annotations at {@code sbd} (null for none). */
    public static VocDataset open(Path root, Path sbd) {
        if (!Files.isDirectory(root)) {
            throw new DatasetException(root, "dataset directory does not exist");
        }
        Path sets = root.resolve("ImageSets").resolve("Segmentation");
        if (!Files.isDirectory(sets)) {
            throw new DatasetException(sets, "missing directory: not a VOC-layout dataset");
        }
        ClassSet classes = Files.exists(root.resolve("classes.txt"))
                ? new ClassSet(lines(root.resolve("classes.txt"))) : ClassSet.VOC;
        Map<String, List<String>> splits = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(sets)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".txt")).sorted().toList()) {
                String name = f.getFileName().toString();
                splits.put(name.substring(0, name.length() - 4), List.copyOf(new LinkedHashSet<>(lines(f))));
            }
        } catch (IOException e) {
            throw new DatasetException(sets, "cannot list (" + e.getMessage() + ")", e);
        }
        if (sbd != null) {
            if (!Files.isDirectory(sbd)) {
                throw new DatasetException(sbd, "SBD directory does not exist");
            }
            splits.put(TRAIN_AUG, trainAug(lines(sbd.resolve("train.txt")), lines(sbd.resolve("val.txt")),
                    splits.getOrDefault("train", List.of()), splits.getOrDefault("val", List.of())));
        }
        return new VocDataset(root, sbd, classes, Collections.unmodifiableMap(splits));
    }

    /** (SBD train ∪ SBD val ∪ VOC train) minus VOC val, sorted by id. */
    static List<String> trainAug(List<String> sbdTrain, List<String> sbdVal, List<String> vocTrain,
            List<String> vocVal) {
        Set<String> ids = new TreeSet<>(sbdTrain);
        ids.addAll(sbdVal);
        ids.addAll(vocTrain);
        vocVal.forEach(ids::remove);
        return List.copyOf(ids);
    }

    public Path root() {
        return root;
    }

    @Override
    public ClassSet classes() {
        return classes;
    }

    @Override
    public List<String> splits() {
        return List.copyOf(splits.keySet());
    }

    /** The image ids of a split, in file order. */
    public List<String> ids(String split) {
        List<String> ids = splits.get(split);
        if (ids == null) {
            throw new DatasetException(root, "no split '" + split + "' (available: " + splits.keySet() + ")");
        }
        return ids;
    }

    @Override
    public List<LabelledImage> labelled(String split) {
        List<LabelledImage> out = new ArrayList<>();
        for (String id : ids(split)) {
            out.add(image(id));
        }
        return Collections.unmodifiableList(out);
    }

    @Override
    public LabelledImage image(String id) {
        Path imagePath = imageFile(id);
        Path xml = root.resolve("Annotations").resolve(id + ".xml");
        int width, height;
        int[] labels;
        if (Files.exists(xml)) {
            VocXml ann = VocXml.read(xml);
            labels = ann.objectNames().stream().mapToInt(name -> classId(xml, name)).toArray();
            width = ann.width();
            height = ann.height();
            if (width <= 0 || height <= 0) {
                int[] size = ImageFiles.readSize(imagePath);
                width = size[0];
                height = size[1];
            }
        } else {
            int[] size = ImageFiles.readSize(imagePath);
            width = size[0];
            height = size[1];
            labels = labelsFromMasks(id);
        }
        return new LabelledImage(id, imagePath, width, height, labels);
    }

    @Override
    public AnnotatedImage annotate(LabelledImage image) {
        String id = image.id();
        Path objFile = root.resolve("SegmentationObject").resolve(id + ".png");
        Path clsFile = root.resolve("SegmentationClass").resolve(id + ".png");
        if (Files.exists(objFile)) {
            ImageFiles.IndexMap objects = ImageFiles.readIndexed(objFile);
            checkSize(objFile, objects.width(), objects.height(), image);
            ImageFiles.IndexMap cls = ImageFiles.readIndexed(clsFile);
            checkSize(clsFile, cls.width(), cls.height(), image);
            List<Instance> instances = InstanceMaps.fromObjectMap(objFile, image.width(), image.height(),
                    objects.ids(), cls.ids(), classes.size());
            Mask voidMask = InstanceMaps.maskOf(image.width(), image.height(), objects.ids(), VocPalette.VOID)
                    .or(InstanceMaps.maskOf(image.width(), image.height(), cls.ids(), VocPalette.VOID));
            return new AnnotatedImage(image, instances, voidMask);
        }
        Path inst = sbd == null ? null : sbd.resolve("inst").resolve(id + ".mat");
        if (inst != null && Files.exists(inst)) {
            SbdMat mat = SbdMat.read(inst, "GTinst");
            checkSize(inst, mat.width(), mat.height(), image);
            List<Instance> instances = InstanceMaps.fromObjectMap(inst, mat.width(), mat.height(),
                    mat.segmentation(), mat.categories(), classes.size());
            return new AnnotatedImage(image, instances, null);
        }
        throw new DatasetException(objFile, "no segmentation for image " + id
                + (sbd == null ? "" : " (nor " + inst + ")"));
    }

    @Override
    public RgbImage readImage(LabelledImage image) {
        RgbImage rgb = ImageFiles.readRgb(image.imagePath());
        if (rgb.width() != image.width() || rgb.height() != image.height()) {
            throw new DatasetException(image.imagePath(), "image is " + rgb.width() + "x" + rgb.height()
                    + " but its annotation says " + image.width() + "x" + image.height());
        }
        return rgb;
    }

    private Path imageFile(String id) {
        Path dir = root.resolve("JPEGImages");
        for (String ext : new String[] {".jpg", ".png", ".jpeg"}) {
            Path p = dir.resolve(id + ext);
            if (Files.exists(p)) {
                return p;
            }
        }
        if (sbd != null && Files.exists(sbd.resolve("img").resolve(id + ".jpg"))) {
            return sbd.resolve("img").resolve(id + ".jpg");
        }
        if (!Files.isDirectory(dir)) {
            throw new DatasetException(dir, "missing directory: not a VOC-layout dataset");
        }
        throw new DatasetException(dir.resolve(id + ".jpg"), "image file not found (also tried .png, .jpeg)");
    }

    private int[] labelsFromMasks(String id) {
        Path cls = root.resolve("SegmentationClass").resolve(id + ".png");
        if (Files.exists(cls)) {
            return checkedClasses(cls, InstanceMaps.classesIn(ImageFiles.readIndexed(cls).ids()));
        }
        Path sbdCls = sbd == null ? null : sbd.resolve("cls").resolve(id + ".mat");
        if (sbdCls != null && Files.exists(sbdCls)) {
            return checkedClasses(sbdCls, InstanceMaps.classesIn(SbdMat.read(sbdCls, "GTcls").segmentation()));
        }
        throw new DatasetException(root.resolve("Annotations").resolve(id + ".xml"),
                "file not found, and no class mask to take the labels from");
    }

    private int[] checkedClasses(Path file, int[] ids) {
        for (int id : ids) {
            if (id >= classes.size()) {
                throw new DatasetException(file, "class index " + (id + 1) + " but the dataset has "
                        + classes.size() + " classes");
            }
        }
        return ids;
    }

    private int classId(Path xml, String name) {
        if (!classes.contains(name)) {
            throw new DatasetException(xml, "unknown class '" + name + "'");
        }
        return classes.id(name);
    }

    private static void checkSize(Path mask, int width, int height, LabelledImage image) {
        if (width != image.width() || height != image.height()) {
            throw new DatasetException(mask, "mask is " + width + "x" + height + " but image " + image.id()
                    + " is " + image.width() + "x" + image.height());
        }
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8).stream().map(String::strip)
                    .filter(s -> !s.isEmpty()).toList();
        } catch (java.nio.file.NoSuchFileException e) {
            throw new DatasetException(file, "file not found");
        } catch (IOException e) {
            throw new DatasetException(file, "cannot read (" + e.getMessage() + ")", e);
        }
    }
}
