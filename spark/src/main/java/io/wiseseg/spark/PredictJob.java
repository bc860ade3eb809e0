package io.wiseseg.spark;

import io.wiseseg.data.ImageFiles;
import io.wiseseg.data.ImagePrediction;
import io.wiseseg.data.Instance;
import io.wiseseg.data.RgbImage;
import io.wiseseg.pipeline.Segment;
import io.wiseseg.pipeline.Segmenter;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Prediction as a Spark job: a trained Mask R-CNN (a {@code wiseseg train-maskrcnn --out} folder)
 * on a VOC dataset's split or a folder of images, on any Hadoop file system, into one COCO
 * results file, the same as {@code wiseseg predict} writes. Each executor JVM loads the model
 * once ({@link ExecutorModels}); partitions are committed one file each and a re-run redoes only
 * the missing ones ({@link PartitionedJob}).
 */
public final class PredictJob {
    /**
     * @param checkpoint a train-maskrcnn run folder
     * @param dataset    a VOC-layout dataset root (with {@code split}), or null with {@code images}
     * @param images     a folder of .jpg/.png images, or null with {@code dataset}
     * @param partitions 0: one per {@link #IMAGES_PER_PARTITION} images
     */
    public record Options(String checkpoint, String dataset, String split, String images, String out, int partitions) {}

    public static final int IMAGES_PER_PARTITION = 16;

    private PredictJob() {}

    public static PartitionedJob.Result run(JavaSparkContext sc, Options o) throws IOException {
        HadoopConf hadoop = new HadoopConf(sc.hadoopConfiguration());
        if ((o.dataset() == null) == (o.images() == null)) {
            throw new IllegalArgumentException("give a dataset (with a split) or a folder of images");
        }
        DatasetListing input = o.dataset() != null ? DatasetListing.voc(hadoop, o.dataset(), o.split())
                : DatasetListing.folder(hadoop, o.images());
        // the classes and count from the run's config.json, read on the driver without LibTorch
        List<String> classes = runClasses(hadoop, o.checkpoint());
        if (input.classes() != null && input.classes().size() != classes.size()) { // as wiseseg predict checks
            throw new IllegalArgumentException(o.checkpoint() + ": the model has " + classes.size()
                    + " classes but the dataset has " + input.classes().size());
        }
        int partitions = o.partitions() > 0 ? o.partitions()
                : PartitionWork.defaultCount(input.images().size(), IMAGES_PER_PARTITION);
        Map<String, String> manifest = new LinkedHashMap<>();
        manifest.put("job", "predict");
        manifest.put("checkpoint", o.checkpoint());
        manifest.put("checkpoint files", DatasetListing.runFiles(hadoop, o.checkpoint()));
        manifest.put("input", o.dataset() != null ? o.dataset() + " split " + o.split() : o.images());
        manifest.put("images", input.digest());
        manifest.put("partitions", Integer.toString(partitions));
        String run = o.checkpoint();
        return PartitionedJob.run(sc, hadoop, o.out(), PartitionWork.slice(input.images(), partitions), manifest,
                classes.size(), (work, threads) -> {
                    ExecutorModels.Loaded<Segmenter> model = ExecutorModels.segmenter(run, hadoop, threads,
                            PartitionedJob.device());
                    return new PartitionedJob.Session() {
                        @Override
                        public ImagePrediction label(ImageRef image) throws IOException {
                            RgbImage rgb = ImageFiles.decodeRgb(hadoop.readAll(new Path(image.image())));
                            List<Instance> found = model.model().segment(rgb).stream().map(Segment::instance).toList();
                            return new ImagePrediction(image.id(), rgb.height(), rgb.width(), found);
                        }

                        @Override
                        public double loadSeconds() {
                            return model.loadSeconds();
                        }
                    };
                });
    }

    /** The class names in a run's config.json ("classes"). */
    static List<String> runClasses(HadoopConf hadoop, String run) throws IOException {
        Path config = new Path(run, "config.json");
        if (!hadoop.fs(config).exists(config)) {
            throw new IllegalArgumentException(run + ": no config.json: not a training run folder");
        }
        var node = PartitionCommitter.MAPPER.readTree(hadoop.readAll(config)).get("classes");
        if (node == null || !node.isArray()) {
            throw new IllegalArgumentException(config + ": no \"classes\" list");
        }
        List<String> out = new java.util.ArrayList<>();
        node.forEach(n -> out.add(n.asText()));
        return out;
    }

    @Command(name = "wiseseg-spark-predict", mixinStandardHelpOptions = true,
            description = "Predict instances with a trained Mask R-CNN on a dataset split or a folder of images "
                    + "(any Hadoop file system path) as a Spark job; writes one COCO results JSON.")
    static final class Cli implements Callable<Integer> {
        @Option(names = "--checkpoint", required = true, description = "A train-maskrcnn --out folder.")
        String checkpoint;
        @Option(names = "--dataset", description = "A VOC-layout dataset root; with --split.")
        String dataset;
        @Option(names = "--split", defaultValue = "val", description = "Split of --dataset (default: ${DEFAULT-VALUE}).")
        String split;
        @Option(names = "--images", description = "A folder of .jpg/.png images (ids: names without extension).")
        String images;
        @Option(names = "--out", required = true, description = "The COCO results JSON to write.")
        String out;
        @Option(names = "--partitions", defaultValue = "0",
                description = "Partitions (default: one per " + IMAGES_PER_PARTITION + " images).")
        int partitions;

        @Override
        public Integer call() throws IOException {
            return PartitionedJob.submit("wiseseg predict", out, sc -> run(sc, new Options(checkpoint, dataset, split, images, out, partitions)));
        }
    }

    public static void main(String[] args) {
        System.exit(SparkMain.execute(new Cli(), args));
    }
}
