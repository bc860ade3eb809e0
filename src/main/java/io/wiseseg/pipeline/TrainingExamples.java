package io.wiseseg.pipeline;

import io.wiseseg.data.AnnotatedImage;
import io.wiseseg.data.Box;
import io.wiseseg.data.ClassSet;
import io.wiseseg.data.CocoDataset;
import io.wiseseg.data.CocoJson;
import io.wiseseg.data.Instance;
import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.VocDataset;
import io.wiseseg.maskrcnn.MaskRcnnTrainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a Mask R-CNN trains on: images of a split and their (pseudo or ground-truth) instances. The
 * images are read when a training step needs them, not up front.
 */
public final class TrainingExamples {
    private TrainingExamples() {}

    /**
     * Whether a JSON file is a COCO results list (rather than a dataset object).
     *
     * @throws IOException when the file cannot be read
     */
    public static boolean isResultsList(Path file) throws IOException {
        try (var in = java.nio.file.Files.newInputStream(file)) {
            int c;
            do {
                c = in.read();
            } while (c == ' ' || c == '\n' || c == '\r' || c == '\t');
            return c == '[';
        }
    }

    /**
     * The training images of {@code split} with their instances: the split's ground truth when
     * {@code labels} is null, else the instances of a COCO results list (as {@code wiseseg pseudo}
     * writes) or of a COCO dataset file.
     */
    public static List<MaskRcnnTrainer.Example> of(VocDataset voc, Path dataset, String split, Path labels) throws IOException {
        List<MaskRcnnTrainer.Example> out = new ArrayList<>();
        if (labels == null) {
            for (AnnotatedImage a : voc.annotated(split)) {
                LabelledImage li = a.image();
                out.add(new MaskRcnnTrainer.Example(li.id(), () -> voc.readImage(li), a.instances()));
            }
            return out;
        }
        if (isResultsList(labels)) {
            // a COCO results list, as `wiseseg pseudo` and the demo write: categories 1..C in
            // the dataset's class order, images of the training split
            List<LabelledImage> images = voc.labelled(split);
            List<AnnotatedImage> blank = images.stream().map(li -> new AnnotatedImage(li, List.of(), null)).toList();
            CocoDataset target = new CocoDataset(voc.classes(), CocoDataset.defaultCategoryIds(voc.classes()), blank,
                    java.util.Map.of());
            for (var p : CocoJson.readResultsFor(labels, target)) {
                LabelledImage li = voc.image(p.imageId());
                out.add(new MaskRcnnTrainer.Example(li.id(), () -> voc.readImage(li), p.instances()));
            }
            return out;
        }
        CocoDataset coco = CocoJson.readDataset(labels, dataset.resolve("JPEGImages"));
        ClassSet ours = voc.classes();
        for (AnnotatedImage a : coco.images()) {
            LabelledImage li;
            try {
                li = voc.image(a.image().id());
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(labels + ": image " + a.image().id() + " is not in " + dataset);
            }
            List<Instance> mapped = new ArrayList<>();
            for (Instance in : a.instances()) {
                String name = coco.classes().name(in.classId());
                if (!ours.contains(name)) {
                    throw new IllegalArgumentException(labels + ": class '" + name + "' is not one of " + dataset + "'s " + ours.names());
                }
                mapped.add(new Instance(ours.id(name), in.mask(), in.box(), in.score()));
            }
            out.add(new MaskRcnnTrainer.Example(li.id(), () -> voc.readImage(li), mapped));
        }
        return out;
    }

    /**
     * {@code examples} with the ignored regions of a file of {@link SelfTraining#readIgnored} (none
     * for an image it does not name); {@code ignored} null: the examples as they are.
     */
    public static List<MaskRcnnTrainer.Example> withIgnored(List<MaskRcnnTrainer.Example> examples, Path ignored)
            throws IOException {
        if (ignored == null) {
            return examples;
        }
        Map<String, List<Box>> byImage = SelfTraining.readIgnored(ignored);
        List<MaskRcnnTrainer.Example> out = new ArrayList<>(examples.size());
        for (MaskRcnnTrainer.Example e : examples) {
            out.add(new MaskRcnnTrainer.Example(e.id(), e.image(), e.instances(), byImage.getOrDefault(e.id(), List.of())));
        }
        return out;
    }
}
