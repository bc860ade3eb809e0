package io.wiseseg.spark;

import io.wiseseg.kernels.Device;
import io.wiseseg.pipeline.PseudoLabelling;
import io.wiseseg.pipeline.Segmenter;
import io.wiseseg.prm.PrmCheckpoint;
import io.wiseseg.prm.PrmConfig;
import io.wiseseg.prm.PrmNetwork;
import io.wiseseg.proposals.SelectiveSearch;
import io.wiseseg.util.TorchRuntime;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.bytedeco.pytorch.global.torch;

/**
 * The models of one executor JVM: each run folder is loaded once per JVM, on the first task that
 * needs it, and shared by every task the executor runs after (and at the same time: a
 * {@link Segmenter} is thread-safe; the classifier's network is only read, and each task thread
 * gets its own {@link PseudoLabelling} on it, whose timers are per instance). A shutdown hook
 * frees them when the executor stops.
 *
 * <p>The first load also loads LibTorch ({@link TorchRuntime#ensureLoaded}, the cold-cache fix,
 * before any other LibTorch class) and sets LibTorch's and the kernels' thread count once for the
 * JVM to the task's CPUs ({@code spark.task.cpus}, or {@code spark.wiseseg.torchThreads}): the
 * scheduler runs at most cores / task.cpus tasks at once in an executor, so tasks × threads never
 * exceeds its cores. Run folders on a remote file system (HDFS, S3A) are copied to a local
 * temporary folder first, once.
 */
public final class ExecutorModels {
    /** A classifier loaded once: its network (shared, read only) and its settings. */
    public record Classifier(PrmNetwork network, PrmConfig config) {}

    /** What a task learns from the holder: the model, and the seconds its load cost if this task loaded it. */
    public record Loaded<T>(T model, double loadSeconds, int threads) {}

    private static final Map<String, Object> MODELS = new HashMap<>();
    private static final Map<String, ThreadLocal<PseudoLabelling>> LABELLINGS = new HashMap<>();
    private static int threads; // 0 until LibTorch is set up in this JVM
    private static boolean hook;

    private ExecutorModels() {}

    /** The Mask R-CNN of a train-maskrcnn run folder, loaded once per JVM. */
    public static Loaded<Segmenter> segmenter(String run, HadoopConf hadoop, int taskThreads, String device) {
        synchronized (ExecutorModels.class) {
            String key = "maskrcnn " + run;
            Object m = MODELS.get(key);
            if (m != null) {
                return new Loaded<>((Segmenter) m, 0, threads);
            }
            long t = System.nanoTime();
            setUp(taskThreads);
            Segmenter s = Segmenter.load(localRun(run, hadoop), Device.parse(device));
            MODELS.put(key, s);
            return new Loaded<>(s, (System.nanoTime() - t) / 1e9, threads);
        }
    }

    /** The PRM classifier of a train-classifier run folder, loaded once per JVM. */
    public static Loaded<Classifier> classifier(String run, HadoopConf hadoop, int taskThreads, String device) {
        synchronized (ExecutorModels.class) {
            String key = "classifier " + run;
            Object m = MODELS.get(key);
            if (m != null) {
                return new Loaded<>((Classifier) m, 0, threads);
            }
            long t = System.nanoTime();
            setUp(taskThreads);
            java.nio.file.Path local = localRun(run, hadoop);
            Classifier c = new Classifier(PrmCheckpoint.loadNetwork(local, Device.parse(device)), PrmCheckpoint.config(local));
            MODELS.put(key, c);
            return new Loaded<>(c, (System.nanoTime() - t) / 1e9, threads);
        }
    }

    /**
     * This thread's pseudo-labelling on a shared classifier (one per task thread: a
     * {@link PseudoLabelling} is used by one thread at a time), with its own selective search.
     */
    public static PseudoLabelling labelling(String run, Classifier classifier, PseudoLabelling.Settings settings) {
        ThreadLocal<PseudoLabelling> local;
        synchronized (ExecutorModels.class) {
            local = LABELLINGS.computeIfAbsent(run + " " + settings, k -> ThreadLocal.withInitial(() ->
                    PseudoLabelling.fromClassifier(classifier.network(), classifier.config(),
                            new SelectiveSearch(SelectiveSearch.Options.fast()), settings)));
        }
        return local.get();
    }

    /** LibTorch first (the cold-cache fix), then the thread count, once per JVM; a hook frees the models at exit. */
    private static void setUp(int taskThreads) {
        TorchRuntime.ensureLoaded();
        if (threads == 0) {
            threads = Math.max(1, taskThreads);
            torch.set_num_threads(threads);
            Device.cpu().setNumThreads(threads);
        }
        if (!hook) {
            hook = true;
            Runtime.getRuntime().addShutdownHook(new Thread(ExecutorModels::closeAll, "wiseseg-models-close"));
        }
    }

    private static void closeAll() {
        synchronized (ExecutorModels.class) {
            for (Object m : MODELS.values()) {
                if (m instanceof Segmenter s) {
                    s.close();
                } else if (m instanceof Classifier c) {
                    c.network().close();
                }
            }
            MODELS.clear();
        }
    }

    /** The run folder as a local path: as it is on the local file system, else its files copied once. */
    static java.nio.file.Path localRun(String run, HadoopConf hadoop) {
        Path path = new Path(run);
        FileSystem fs = hadoop.fs(path);
        if (HadoopConf.isLocal(fs)) {
            return HadoopConf.localFile(fs, path);
        }
        try {
            java.nio.file.Path dir = Files.createTempDirectory("wiseseg-run");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
            for (FileStatus f : fs.listStatus(path)) {
                if (f.isFile()) { // config.json, model.pt (and what else the run keeps at its top level)
                    hadoop.copyToLocal(f.getPath(), dir.resolve(f.getPath().getName()));
                }
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(run + ": cannot copy the run folder (" + e.getMessage() + ")", e);
        }
    }

    static void deleteTree(java.nio.file.Path dir) {
        try (Stream<java.nio.file.Path> files = Files.walk(dir)) {
            for (java.nio.file.Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a temp folder left behind: nothing to tell the job
        }
    }
}
