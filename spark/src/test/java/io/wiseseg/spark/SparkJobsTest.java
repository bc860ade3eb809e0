package io.wiseseg.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wiseseg.backbone.ResNet;
import io.wiseseg.cli.Main;
import io.wiseseg.data.AnnotatedImage;
import io.wiseseg.data.ProgressListener;
import io.wiseseg.data.SyntheticDataset;
import io.wiseseg.data.VocDataset;
import io.wiseseg.kernels.Device;
import io.wiseseg.maskrcnn.MaskRcnn;
import io.wiseseg.maskrcnn.MaskRcnnConfig;
import io.wiseseg.maskrcnn.MaskRcnnTrainer;
import io.wiseseg.pipeline.ClassifierTraining;
import io.wiseseg.pipeline.PseudoLabelling;
import io.wiseseg.prm.PrmConfig;
import io.wiseseg.pseudo.RuleSettings;
import io.wiseseg.util.TorchRuntime;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both Spark jobs with {@code local[2]} on the synthetic benchmark, against the single-process
 * commands ({@code wiseseg pseudo} and {@code wiseseg predict}, run through the CLI's own entry
 * point) on the same images with tiny models trained here in seconds: the same masks (RLE), the
 * same categories, scores within 1e-5 relative. Then a job halted half way (a kill -9 of its
 * JVM, in a child process) and re-run redoes only the missing partitions and writes the same
 * file; bad images are counted and listed, never fatal; a re-run with other settings is refused.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SparkJobsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> CLASSES = List.of("disc", "square");

    @TempDir
    static Path tmp;
    static Path data, prm, mrcnn;
    static JavaSparkContext sc;

    @BeforeAll
    static void trainTinyModelsAndStartSpark() throws Exception {
        TorchRuntime.ensureLoaded();
        torch.set_num_threads(1); // tiny tensors on a busy 2-core machine
        Device.cpu().setNumThreads(1);
        VocDataset voc = SyntheticDataset.generate(tmp.resolve("data"), new SyntheticDataset.Options(24, 64, 64, 7, 2,
                CLASSES, 0.02, 0.5, true), ProgressListener.NONE);
        data = voc.root();
        prm = tmp.resolve("prm");
        PrmConfig config = new PrmConfig("resnet18", 8, voc.classes().names(), null, data.toString(), "train", 2, 4, 64, 1.25, 0.5,
                0.02, 1.0, true, 0.9, 1e-4, 0, 100, 16);
        ClassifierTraining.train(voc, config, prm, ProgressListener.NONE);
        mrcnn = tmp.resolve("mrcnn");
        trainMaskRcnn(voc, mrcnn);
        sc = new JavaSparkContext(new SparkConf().setMaster("local[2]").setAppName("SparkJobsTest")
                .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1"));
    }

    @AfterAll
    static void stopSpark() {
        if (sc != null) {
            sc.close();
        }
    }

    /** As the main project's TinyRun: a narrow ResNet-18-FPN, 30 epochs on 4 images, seconds. */
    private static void trainMaskRcnn(VocDataset voc, Path out) throws Exception {
        List<MaskRcnnTrainer.Example> examples = new ArrayList<>();
        for (AnnotatedImage a : voc.annotated("train").subList(0, 4)) {
            examples.add(new MaskRcnnTrainer.Example(a.image().id(), () -> voc.readImage(a.image()), a.instances()));
        }
        MaskRcnnConfig config = MaskRcnnConfig.small(voc.classes().size() + 1)
                .withBackbone(ResNet.Depth.RESNET18, 8, 32, 128, 32).withSizes(64, 64)
                .withProposals(300, 100, 300, 100, 64);
        torch.manual_seed(1);
        MaskRcnn model = new MaskRcnn(config, Device.cpu());
        MaskRcnnTrainer.Options options = new MaskRcnnTrainer.Options(30, 2, 0.01, 0.9, 1e-4, 10, 0.1, List.of(24),
                0.1, true, 3);
        new MaskRcnnTrainer(model, voc.classes(), options, out).train(examples, false, ProgressListener.NONE);
    }

    @Test
    @Order(1)
    void pseudoJobEqualsThePseudoCommand() throws Exception {
        Path cli = tmp.resolve("cli-pseudo.json");
        assertEquals(0, Main.commandLine().execute("pseudo", "--dataset", data.toString(), "--split", "train",
                "--checkpoint", prm.toString(), "--image-labels", "--peak-threshold", "0", "--threads", "1",
                "--out", cli.toString()));
        Path out = tmp.resolve("spark-pseudo.json");
        PartitionedJob.Result r = PseudoLabelJob.run(sc, new PseudoLabelJob.Options(prm.toString(), data.toString(),
                "train", settings(), out.toString(), 5));
        assertEquals(5, r.partitionsRun());
        assertEquals(12, r.images());
        assertTrue(r.badImages().isEmpty());
        // five partitions on two task threads of one JVM: the classifier loaded once
        assertEquals(1, r.modelLoads().size(), "model loads: " + r.tasks());
        int compared = assertSameResults(cli, out);
        assertTrue(compared > 0, "no pseudo masks to compare");
    }

    @Test
    @Order(2)
    void predictJobEqualsThePredictCommand() throws Exception {
        Path cli = tmp.resolve("cli-predict.json");
        assertEquals(0, Main.commandLine().execute("predict", "--checkpoint", mrcnn.toString(), "--dataset",
                data.toString(), "--split", "val", "--threads", "1", "--out", cli.toString()));
        Path out = tmp.resolve("spark-predict.json");
        PartitionedJob.Result r = predict(out, 4);
        assertEquals(4, r.partitionsRun());
        assertEquals(12, r.images());
        assertEquals(1, r.modelLoads().size(), "model loads: " + r.tasks());
        assertTrue(r.tasks().stream().allMatch(t -> t.threads() == 1), "task.cpus 1 -> 1 LibTorch thread");
        assertTrue(assertSameResults(cli, out) > 0, "no predictions to compare");
    }

    @Test
    @Order(3)
    void aJobKilledHalfWayAndRunAgainRedoesOnlyTheMissingPartitionsAndWritesTheSameFile() throws Exception {
        Path whole = tmp.resolve("whole.json");
        PartitionedJob.Result uninterrupted = predict(whole, 6);
        assertEquals(6, uninterrupted.partitionsRun());

        Path out = tmp.resolve("killed.json");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--") || arg.startsWith("-Xmx") || arg.startsWith("-Dio.netty") || arg.startsWith("-Djdk.")
                    || arg.startsWith("-Dorg.bytedeco")) {
                cmd.add(arg);
            }
        }
        cmd.addAll(List.of("-Dspark.master=local[2]", "-Dspark.ui.enabled=false", "-Dspark.driver.host=127.0.0.1",
                "-D" + PartitionedJob.HALT_AFTER_COMMITS + "=3", "-cp", testClassPath(), PredictJob.class.getName(),
                "--checkpoint", mrcnn.toString(), "--dataset", data.toString(), "--split", "val",
                "--out", out.toString(), "--partitions", "6"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("killed.log").toFile())
                .start();
        assertTrue(p.waitFor(240, TimeUnit.SECONDS), "the child job did not stop");
        assertEquals(137, p.exitValue(), () -> "the child job was not halted: " + log(tmp.resolve("killed.log")));
        assertFalse(Files.exists(out), "a killed job wrote the merged file");
        PartitionCommitter committer = new PartitionCommitter(out.toString());
        HadoopConf hadoop = new HadoopConf(sc.hadoopConfiguration());
        int committed = committer.committed(hadoop).size();
        assertTrue(committed >= 3 && committed < 6, "committed before the kill: " + committed);

        PartitionedJob.Result rerun = predict(out, 6);
        assertEquals(6 - committed, rerun.partitionsRun(), "partitions redone");
        Set<Integer> redone = new HashSet<>();
        rerun.tasks().forEach(t -> redone.add(t.partition()));
        assertEquals(6 - committed, redone.size());
        assertArrayEquals(Files.readAllBytes(whole), Files.readAllBytes(out), "the re-run's file differs");
        assertSameResults(tmp.resolve("cli-predict.json"), out);

        // once all are committed, a third run redoes nothing and writes the same file again
        assertEquals(0, predict(out, 6).partitionsRun());
        assertArrayEquals(Files.readAllBytes(whole), Files.readAllBytes(out));

        // the same output with other settings is refused before any task runs
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> predict(out, 3));
        assertTrue(e.getMessage().contains("partitions ('6' then, '3' now)"), e.getMessage());
    }

    @Test
    @Order(4)
    void badImagesAreCountedAndListedNotFatal() throws Exception {
        // a folder of the val images, one of them truncated and one empty file
        Path images = Files.createDirectories(tmp.resolve("images"));
        VocDataset voc = VocDataset.open(data);
        List<String> ids = voc.ids("val");
        for (String id : ids) {
            Files.copy(data.resolve("JPEGImages/" + id + ".jpg"), images.resolve(id + ".jpg"));
        }
        byte[] jpeg = Files.readAllBytes(images.resolve(ids.get(3) + ".jpg"));
        Files.write(images.resolve(ids.get(3) + ".jpg"), java.util.Arrays.copyOf(jpeg, jpeg.length / 2));
        Files.write(images.resolve("empty.png"), new byte[0]);
        Path out = tmp.resolve("bad.json");
        PartitionedJob.Result r = PredictJob.run(sc, new PredictJob.Options(mrcnn.toString(), null, null,
                images.toString(), out.toString(), 3));
        assertEquals(2, r.badImages().size());
        assertEquals(11, r.images());
        List<String> tsv = Files.readAllLines(Path.of(out + ".bad.tsv"));
        assertEquals(3, tsv.size(), String.join("\n", tsv));
        assertTrue(tsv.stream().anyMatch(l -> l.startsWith(ids.get(3) + "\t")), String.join("\n", tsv));
        assertTrue(tsv.stream().anyMatch(l -> l.startsWith("empty\t")), String.join("\n", tsv));

        // the good images' results are the command's
        List<JsonNode> want = new ArrayList<>();
        for (JsonNode n : JSON.readTree(tmp.resolve("cli-predict.json").toFile())) {
            if (!n.get("image_id").asText().equals(ids.get(3))) {
                want.add(n);
            }
        }
        List<JsonNode> have = new ArrayList<>();
        JSON.readTree(out.toFile()).forEach(have::add);
        assertSameResults(want, have);

        // pseudo-labelling: a dataset copy with one truncated image
        Path copy = tmp.resolve("data-bad");
        copyTree(data, copy);
        String trainId = voc.ids("train").get(5);
        byte[] train = Files.readAllBytes(copy.resolve("JPEGImages/" + trainId + ".jpg"));
        Files.write(copy.resolve("JPEGImages/" + trainId + ".jpg"), java.util.Arrays.copyOf(train, train.length / 2));
        Path pseudo = tmp.resolve("bad-pseudo.json");
        PartitionedJob.Result pr = PseudoLabelJob.run(sc, new PseudoLabelJob.Options(prm.toString(), copy.toString(),
                "train", settings(), pseudo.toString(), 4));
        assertEquals(1, pr.badImages().size());
        assertEquals(trainId, pr.badImages().get(0)[0]);
        assertTrue(pr.badImages().get(0)[2].contains("truncated") || pr.badImages().get(0)[2].contains("JPEG"),
                pr.badImages().get(0)[2]);
        List<JsonNode> wantPseudo = new ArrayList<>();
        for (JsonNode n : JSON.readTree(tmp.resolve("cli-pseudo.json").toFile())) {
            if (!n.get("image_id").asText().equals(trainId)) {
                wantPseudo.add(n);
            }
        }
        List<JsonNode> havePseudo = new ArrayList<>();
        JSON.readTree(pseudo.toFile()).forEach(havePseudo::add);
        assertSameResults(wantPseudo, havePseudo);
    }

    private static PartitionedJob.Result predict(Path out, int partitions) throws Exception {
        return PredictJob.run(sc, new PredictJob.Options(mrcnn.toString(), data.toString(), "val", null, out.toString(),
                partitions));
    }

    /** What {@code pseudo --checkpoint --image-labels --peak-threshold 0} uses (rule iou, its defaults). */
    private static PseudoLabelling.Settings settings() {
        return new PseudoLabelling.Settings("iou", RuleSettings.defaults(), 0f, true, false);
    }

    private static int assertSameResults(Path want, Path have) throws Exception {
        List<JsonNode> a = new ArrayList<>(), b = new ArrayList<>();
        JSON.readTree(want.toFile()).forEach(a::add);
        JSON.readTree(have.toFile()).forEach(b::add);
        return assertSameResults(a, b);
    }

    /** Same images, categories and RLE masks in the same order; scores within 1e-5 relative; boxes within 1e-4 px. */
    private static int assertSameResults(List<JsonNode> want, List<JsonNode> have) {
        assertEquals(want.size(), have.size(), "result count");
        for (int i = 0; i < want.size(); i++) {
            JsonNode w = want.get(i), h = have.get(i);
            String at = "result " + i + " (image " + w.get("image_id").asText() + ")";
            assertEquals(w.get("image_id").asText(), h.get("image_id").asText(), at);
            assertEquals(w.get("category_id").asInt(), h.get("category_id").asInt(), at);
            assertEquals(w.get("segmentation"), h.get("segmentation"), at + ": mask");
            double sw = w.get("score").asDouble(), sh = h.get("score").asDouble();
            assertTrue(Math.abs(sw - sh) <= 1e-5 * Math.max(Math.abs(sw), 1e-12), at + ": score " + sw + " vs " + sh);
            for (int k = 0; k < 4; k++) {
                assertEquals(w.get("bbox").get(k).asDouble(), h.get("bbox").get(k).asDouble(), 1e-4, at + ": bbox");
            }
        }
        return want.size();
    }

    private static String testClassPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }

    private static String log(Path file) {
        try {
            return Files.readString(file);
        } catch (Exception e) {
            return "(no log: " + e + ")";
        }
    }

    private static void copyTree(Path from, Path to) throws Exception {
        try (var files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
    }
}
