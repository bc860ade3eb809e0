package io.wiseseg.spark;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wiseseg.data.CocoJson;
import io.wiseseg.data.ImagePrediction;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.LongAccumulator;

/**
 * What both jobs share: the partitions of an image list, the manifest check, only the missing
 * partitions sent to the executors, one committed file per partition, bad images counted and
 * reported (never failing the job), and the merge into one COCO results file.
 */
public final class PartitionedJob {
    /** A test hook: halt the JVM (as a kill -9 would) once this many partitions are committed. */
    public static final String HALT_AFTER_COMMITS = "spark.wiseseg.test.haltAfterCommits";
    /** LibTorch threads per executor JVM; default: the task's CPUs ({@code spark.task.cpus}). */
    public static final String TORCH_THREADS = "spark.wiseseg.torchThreads";
    /** Where an executor runs the networks: cpu (default), cuda or cuda:N, as {@code --device}. */
    public static final String DEVICE = "spark.wiseseg.device";

    private PartitionedJob() {}

    /** Labels one image on an executor; an exception marks the image bad (reported, not fatal). */
    @FunctionalInterface
    public interface ImageTask extends Serializable {
        ImagePrediction run(ImageRef image) throws Exception;
    }

    /** One executor's session over a partition: its model (loaded once per JVM) and per-image work. */
    @FunctionalInterface
    public interface PartitionSetUp extends Serializable {
        Session open(PartitionWork work, int threads) throws Exception;
    }

    /** A partition's work on an executor; closed after its last image. */
    public interface Session extends AutoCloseable {
        ImagePrediction label(ImageRef image) throws Exception;

        /** Seconds this task spent loading the model (0 when the JVM had it already). */
        double loadSeconds();

        @Override
        default void close() throws Exception {}
    }

    /** What one task did. */
    public record TaskReport(int partition, int images, int instances, int bad, double seconds, double loadSeconds,
            String executor, int threads, boolean committed) implements Serializable {}

    /** What the job did. */
    public record Result(int partitions, int partitionsRun, int images, int instances, List<String[]> badImages,
            double seconds, List<TaskReport> tasks) {
        /** Per executor JVM that loaded the model in this run: the load's seconds (LibTorch + weights). */
        public List<Double> modelLoads() {
            return tasks.stream().filter(t -> t.loadSeconds() > 0).map(TaskReport::loadSeconds).toList();
        }

        public String summary(String out) {
            return String.format("wrote %s: %d images (%d instances) in %d partitions, %d run now, %d reused; "
                    + "%d bad image(s)%s; %.1f s", out, images, instances, partitions, partitionsRun,
                    partitions - partitionsRun, badImages.size(),
                    badImages.isEmpty() ? "" : " listed in " + out + ".bad.tsv", seconds);
        }
    }

    /** One job on the cluster, as spark-submit runs it. */
    public interface Job {
        Result run(JavaSparkContext sc) throws IOException;
    }

    /**
     * A command line's job: opens the Spark context named {@code appName} (its settings from
     * spark-submit), runs {@code job}, prints the summary and the per-executor model loads, and
     * returns the exit status.
     */
    public static int submit(String appName, String out, Job job) throws IOException {
        try (JavaSparkContext sc = new JavaSparkContext(new SparkConf().setAppName(appName))) {
            Result r = job.run(sc);
            System.out.println(r.summary(out));
            System.out.println("model loads (LibTorch + weights, per executor JVM): " + r.modelLoads());
        }
        return 0;
    }

    /**
     * Runs the missing partitions of {@code works} on the cluster and merges all of them into {@code out}.
     *
     * @param categoryCount the results' categories are 1..categoryCount (class c as c + 1), as the CLI writes them
     */
    public static Result run(JavaSparkContext sc, HadoopConf hadoop, String out, List<PartitionWork> works,
            Map<String, String> manifest, int categoryCount, PartitionSetUp setUp) throws IOException {
        long start = System.nanoTime();
        PartitionCommitter committer = new PartitionCommitter(out);
        committer.checkManifest(hadoop, manifest);
        committer.clearTemporary(hadoop);
        Set<Integer> done = committer.committed(hadoop);
        List<PartitionWork> missing = works.stream().filter(w -> !done.contains(w.index())).toList();
        List<TaskReport> reports = List.of();
        if (!missing.isEmpty()) {
            LongAccumulator bad = sc.sc().longAccumulator("wiseseg bad images");
            LongAccumulator labelled = sc.sc().longAccumulator("wiseseg images");
            List<Integer> categories = IntStream.rangeClosed(1, categoryCount).boxed().toList();
            reports = sc.parallelize(new ArrayList<>(missing), missing.size())
                    .map(w -> runPartition(w, setUp, committer, hadoop, categories, bad, labelled))
                    .collect();
        }
        PartitionCommitter.Summary s = committer.merge(hadoop, works.size());
        return new Result(works.size(), missing.size(), s.images(), s.instances(), s.badImages(),
                (System.nanoTime() - start) / 1e9, reports);
    }

    private static TaskReport runPartition(PartitionWork work, PartitionSetUp setUp, PartitionCommitter committer,
            HadoopConf hadoop, List<Integer> categories, LongAccumulator badCount, LongAccumulator labelled)
            throws Exception {
        long t = System.nanoTime();
        int threads = threads();
        List<ImagePrediction> predictions = new ArrayList<>();
        ArrayNode bad = PartitionCommitter.MAPPER.createArrayNode();
        int instances = 0;
        double load;
        try (Session session = setUp.open(work, threads)) {
            load = session.loadSeconds();
            for (ImageRef image : work.images()) {
                try {
                    ImagePrediction p = session.label(image);
                    predictions.add(p);
                    instances += p.instances().size();
                    labelled.add(1);
                } catch (Exception e) { // a bad image: reported, never the job's failure
                    ObjectNode b = bad.addObject();
                    b.put("id", image.id());
                    b.put("image", image.image());
                    b.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
                    badCount.add(1);
                }
            }
        }
        java.nio.file.Path tmp = Files.createTempFile("wiseseg-part", ".json");
        byte[] results;
        try {
            CocoJson.writeResults(tmp, predictions, categories);
            results = Files.readAllBytes(tmp);
        } finally {
            Files.deleteIfExists(tmp);
        }
        double seconds = (System.nanoTime() - t) / 1e9;
        ObjectNode report = PartitionCommitter.MAPPER.createObjectNode();
        report.put("partition", work.index());
        report.put("images", predictions.size());
        report.put("instances", instances);
        report.set("bad", bad);
        report.put("seconds", seconds);
        report.put("modelLoadSeconds", load);
        report.put("executor", executorId());
        report.put("torchThreads", threads);
        boolean committed = committer.commit(hadoop, work.index(), results,
                PartitionCommitter.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(report));
        int halt = SparkEnv.get() == null ? 0 : SparkEnv.get().conf().getInt(HALT_AFTER_COMMITS, 0);
        if (halt > 0 && committer.committed(hadoop).size() >= halt) {
            Runtime.getRuntime().halt(137); // the test's kill -9, at a known point
        }
        return new TaskReport(work.index(), predictions.size(), instances, bad.size(), seconds, load, executorId(),
                threads, committed);
    }

    /** This executor's device: spark.wiseseg.device, else the CPU. */
    static String device() {
        return SparkEnv.get() == null ? "cpu" : SparkEnv.get().conf().get(DEVICE, "cpu");
    }

    /** LibTorch threads for this executor: spark.wiseseg.torchThreads, else the task's CPUs. */
    private static int threads() {
        int set = SparkEnv.get() == null ? 0 : SparkEnv.get().conf().getInt(TORCH_THREADS, 0);
        if (set > 0) {
            return set;
        }
        TaskContext task = TaskContext.get();
        return task == null ? 1 : Math.max(1, task.cpus());
    }

    private static String executorId() {
        return SparkEnv.get() == null ? "?" : SparkEnv.get().executorId();
    }
}
