package io.wiseseg.spark;

import io.wiseseg.data.ImagePrediction;
import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.VocDataset;
import io.wiseseg.pipeline.PseudoLabelling;
import io.wiseseg.pseudo.RuleSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Pseudo-labelling as a Spark job: a trained PRM classifier (a {@code wiseseg train-classifier
 * --out} folder) and a selection rule turn a VOC-layout dataset's split (any Hadoop file system
 * path) into pseudo masks, one COCO results file, the same as {@code wiseseg pseudo --checkpoint}
 * writes. Proposals are selective search's (fast mode), computed on the executors as the CLI does
 * without {@code --proposals}.
 *
 * <p>Each task copies its partition's images (and their annotation XML, or class masks, for the
 * image-level labels) into a local VOC-layout folder of its own and labels them with
 * {@link PseudoLabelling#label} on the executor's classifier, loaded once per JVM.
 */
public final class PseudoLabelJob {
    /** @param partitions 0: one per {@link #IMAGES_PER_PARTITION} images */
    public record Options(String checkpoint, String dataset, String split, PseudoLabelling.Settings settings, String out,
            int partitions) {}

    public static final int IMAGES_PER_PARTITION = 16;

    private PseudoLabelJob() {}

    public static PartitionedJob.Result run(JavaSparkContext sc, Options o) throws IOException {
        HadoopConf hadoop = new HadoopConf(sc.hadoopConfiguration());
        DatasetListing input = DatasetListing.voc(hadoop, o.dataset(), o.split());
        List<String> classes = PredictJob.runClasses(hadoop, o.checkpoint());
        if (!classes.equals(input.classes())) { // as PseudoLabelling checks, but before any task starts
            throw new IllegalArgumentException("the classifier's classes " + classes + " differ from the dataset's "
                    + input.classes());
        }
        int partitions = o.partitions() > 0 ? o.partitions()
                : PartitionWork.defaultCount(input.images().size(), IMAGES_PER_PARTITION);
        Map<String, String> manifest = new LinkedHashMap<>();
        manifest.put("job", "pseudo");
        manifest.put("checkpoint", o.checkpoint());
        manifest.put("checkpoint files", DatasetListing.runFiles(hadoop, o.checkpoint()));
        manifest.put("input", o.dataset() + " split " + o.split());
        manifest.put("images", input.digest());
        manifest.put("settings", o.settings().toString());
        manifest.put("proposals", "selective search (fast)");
        manifest.put("partitions", Integer.toString(partitions));
        String run = o.checkpoint();
        Carried settings = Carried.of(o.settings()); // PseudoLabelling.Settings is not Serializable
        List<String> classNames = input.classes();
        return PartitionedJob.run(sc, hadoop, o.out(), PartitionWork.slice(input.images(), partitions), manifest,
                classes.size(), (work, threads) -> {
                    ExecutorModels.Loaded<ExecutorModels.Classifier> model = ExecutorModels.classifier(run, hadoop, threads,
                            PartitionedJob.device());
                    PseudoLabelling labelling = ExecutorModels.labelling(run, model.model(), settings.settings());
                    java.nio.file.Path root = localDataset(classNames);
                    return new PartitionedJob.Session() {
                        @Override
                        public ImagePrediction label(ImageRef image) throws IOException {
                            copy(hadoop, image, root);
                            VocDataset voc = VocDataset.open(root, null);
                            LabelledImage li = voc.image(image.id());
                            return labelling.label(voc, li);
                        }

                        @Override
                        public double loadSeconds() {
                            return model.loadSeconds();
                        }

                        @Override
                        public void close() {
                            ExecutorModels.deleteTree(root);
                        }
                    };
                });
    }

    /** The settings as they travel to the executors. */
    private record Carried(String rule, double objectnessThreshold, boolean singlePoint, double mapBlur,
            double mapFraction, int proposalCount, float peakThreshold, boolean imageLabels, boolean instanceNms,
            double mergeIou) implements java.io.Serializable {
        static Carried of(PseudoLabelling.Settings s) {
            RuleSettings r = s.ruleSettings();
            return new Carried(s.rule(), r.objectnessThreshold(), r.singlePoint(), r.mapBlur(), r.mapFraction(),
                    r.proposalCount(), s.peakThreshold(), s.imageLabels(), s.instanceNms(), s.mergeIou());
        }

        PseudoLabelling.Settings settings() {
            return new PseudoLabelling.Settings(rule, new RuleSettings(objectnessThreshold, singlePoint, mapBlur,
                    mapFraction, proposalCount), peakThreshold, imageLabels, instanceNms, mergeIou);
        }
    }

    /** A local VOC-layout folder for one partition's images, with the dataset's classes. */
    private static java.nio.file.Path localDataset(List<String> classes) throws IOException {
        java.nio.file.Path root = Files.createTempDirectory("wiseseg-spark-voc");
        Files.createDirectories(root.resolve("ImageSets/Segmentation"));
        Files.createDirectories(root.resolve("JPEGImages"));
        Files.createDirectories(root.resolve("Annotations"));
        Files.createDirectories(root.resolve("SegmentationClass"));
        Files.writeString(root.resolve("classes.txt"), String.join("\n", classes) + "\n", StandardCharsets.UTF_8);
        return root;
    }

    private static void copy(HadoopConf hadoop, ImageRef image, java.nio.file.Path root) throws IOException {
        Path src = new Path(image.image());
        hadoop.copyToLocal(src, root.resolve("JPEGImages").resolve(src.getName()));
        if (image.annotation() != null) {
            hadoop.copyToLocal(new Path(image.annotation()), root.resolve("Annotations").resolve(image.id() + ".xml"));
        }
        if (image.classMask() != null) {
            hadoop.copyToLocal(new Path(image.classMask()), root.resolve("SegmentationClass").resolve(image.id() + ".png"));
        }
    }

    @Command(name = "wiseseg-spark-pseudo", mixinStandardHelpOptions = true,
            description = "Pseudo masks from a trained PRM classifier for a dataset split (any Hadoop file system "
                    + "path) as a Spark job; writes one COCO results JSON, as `wiseseg pseudo --checkpoint` does.")
    static final class Cli implements Callable<Integer> {
        @Option(names = "--checkpoint", required = true, description = "A train-classifier --out folder.")
        String checkpoint;
        @Option(names = "--dataset", required = true, description = "A VOC-layout dataset root.")
        String dataset;
        @Option(names = "--split", defaultValue = "train", description = "Split to label (default: ${DEFAULT-VALUE}).")
        String split;
        @Option(names = "--out", required = true, description = "The COCO results JSON to write.")
        String out;
        @Option(names = "--rule", defaultValue = "iou", description = "Selection rule (default: ${DEFAULT-VALUE}).")
        String rule;
        @Option(names = "--peak-threshold", defaultValue = "30", description = "Keep peaks at least this high "
                + "(default: ${DEFAULT-VALUE}; small classifiers trained from scratch need 0).")
        float peakThreshold;
        @Option(names = "--image-labels", description = "Seeds from the peaks of each image's labelled classes only.")
        boolean imageLabels;
        @Option(names = "--threshold", defaultValue = "none", description = "Proposal objectness threshold or 'none'.")
        String threshold;
        @Option(names = "--single-point", description = "Skip proposals that contain more than one point.")
        boolean singlePoint;
        @Option(names = "--map-blur", defaultValue = "0.02", description = "(default: ${DEFAULT-VALUE})")
        double mapBlur;
        @Option(names = "--map-fraction", defaultValue = "0.5", description = "(default: ${DEFAULT-VALUE})")
        double mapFraction;
        @Option(names = "--proposal-count", defaultValue = "100", description = "(default: ${DEFAULT-VALUE})")
        int proposalCount;
        @Option(names = "--nms", description = "PRM's instance NMS after the rule.")
        boolean nms;
        @Option(names = "--merge-iou", defaultValue = "0", description = "Merge same-class seeds whose proposals "
                + "overlap at this mask IoU; 0: no merge (default).")
        double mergeIou;
        @Option(names = "--partitions", defaultValue = "0",
                description = "Partitions (default: one per " + IMAGES_PER_PARTITION + " images).")
        int partitions;

        @Override
        public Integer call() throws IOException {
            double t = threshold.equals("none") ? Double.NEGATIVE_INFINITY : Double.parseDouble(threshold);
            PseudoLabelling.Settings settings = new PseudoLabelling.Settings(rule,
                    new RuleSettings(t, singlePoint, mapBlur, mapFraction, proposalCount), peakThreshold, imageLabels,
                    nms, mergeIou);
            return PartitionedJob.submit("wiseseg pseudo", out, sc -> run(sc, new Options(checkpoint, dataset, split, settings, out, partitions)));
        }
    }

    public static void main(String[] args) {
        System.exit(SparkMain.execute(new Cli(), args));
    }
}
