package io.wiseseg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.kernels.Device;
import io.wiseseg.kernels.RoiAlign;
import io.wiseseg.data.ProgressListener;
import io.wiseseg.data.VocDataset;
import io.wiseseg.maskrcnn.MaskRcnnConfig;
import io.wiseseg.maskrcnn.MaskRcnnTrainer;
import io.wiseseg.pipeline.MaskRcnnTraining;
import io.wiseseg.pipeline.PseudoLabelling;
import io.wiseseg.pipeline.RunListener;
import io.wiseseg.pipeline.Segmenter;
import io.wiseseg.pipeline.TrainingExamples;
import io.wiseseg.pipeline.WiseRun;
import io.wiseseg.proposals.ProposalCache;
import io.wiseseg.proposals.SelectiveSearch;
import io.wiseseg.testing.TinyVoc;
import io.wiseseg.testing.TinyRun;
import io.wiseseg.util.Tensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each public entry point that may be a program's first LibTorch use, called first in a fresh
 * JVM with an empty JavaCPP cache: the cold-cache crash of toolchain.md ("The first-load crash")
 * kills such a JVM with SIGSEGV where a system libtorch_cpu.so exists (Debian's python3-torch)
 * unless the entry point loads LibTorch through {@code util.TorchRuntime} first.
 */
class FirstCallTest {
    @TempDir
    Path tmp;

    @Test
    void segmenterLoad() throws Exception {
        // the run and image paths are made here, in the test JVM, before the child starts
        assertFirstCallWorks("segmenter", TinyRun.dir().toString(), TinyRun.images().get(0).toString());
    }

    @Test
    void tensors() throws Exception {
        assertFirstCallWorks("tensors");
    }

    @Test
    void roiAlign() throws Exception {
        assertFirstCallWorks("roialign");
    }

    @Test
    void wholeRunThenPseudoLabellingFromItsClassifier() throws Exception {
        Path voc = TinyVoc.write(tmp.resolve("voc"), 6, 2, 5);
        Path out = tmp.resolve("run");
        assertFirstCallWorks("run", voc.toString(), out.toString());
        assertFirstCallWorks("pseudo", voc.toString(), out.resolve("prm").toString(), tmp.resolve("p.json").toString());
    }

    @Test
    void maskRcnnTraining() throws Exception {
        Path voc = TinyVoc.write(tmp.resolve("voc"), 4, 1, 6);
        assertFirstCallWorks("maskrcnn-training", voc.toString(), tmp.resolve("mr").toString());
    }

    /** Runs {@link Program} in a fresh JVM on an empty cache; expects exit code 0 and "ok". */
    private void assertFirstCallWorks(String... args) throws IOException, InterruptedException {
        Path cache = Files.createDirectories(tmp.resolve("javacpp-cache"));
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-Dorg.bytedeco.javacpp.cachedir=" + cache, "-XX:ErrorFile=" + tmp.resolve("hs_err_pid%p.log"),
                "-cp", System.getProperty("java.class.path"), Program.class.getName()));
        command.addAll(Arrays.asList(args));
        Path log = tmp.resolve("child.log");
        Process p = new ProcessBuilder(command).directory(tmp.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        boolean done = p.waitFor(5, TimeUnit.MINUTES);
        if (!done) {
            p.destroyForcibly().waitFor();
        }
        String output = Files.readString(log);
        deleteTree(cache); // ~400 MB of extracted libraries
        assertTrue(done, "the child JVM did not finish: " + output);
        assertEquals(0, p.exitValue(), args[0] + " as the first call died:\n" + tail(output));
        assertTrue(output.contains("ok " + args[0]), output);
    }

    /** The child program: one entry point as its first wiseseg (and LibTorch) call. */
    public static final class Program {
        public static void main(String[] args) throws Exception {
            switch (args[0]) {
                case "segmenter" -> {
                    // the README's order: Device.cpu() is evaluated before Segmenter.load runs
                    try (Segmenter segmenter = Segmenter.load(Path.of(args[1]), Device.cpu())) {
                        segmenter.segment(Path.of(args[2]));
                    }
                }
                case "tensors" -> {
                    Tensor t = Tensors.floats(new float[] {1, 2, 3}, 3);
                    check(Arrays.equals(new float[] {1, 2, 3}, Tensors.toFloats(t)), "round trip");
                }
                case "roialign" -> {
                    RoiAlign align = new RoiAlign(Device.cpu());
                    // the caller's own tensors, made with LibTorch directly after the kernel exists
                    Tensor features = torch.ones(1, 1, 4, 4);
                    Tensor rois = torch.zeros(1, 5);
                    rois.narrow(1, 3, 2).fill_(new Scalar(3.0));
                    Tensor out = align.forward(features, rois, new RoiAlign.Params(2, 2, 1f, 2, true));
                    check(out.sum().item_float() == 4f, "RoIAlign of ones: " + out.sum().item_float());
                }
                case "run" -> {
                    VocDataset voc = VocDataset.open(Path.of(args[1]));
                    WiseRun.Result r = WiseRun.run(voc, WiseRun.Settings.forDataset(voc).withEpochs(1, 1).withOverlays(0),
                            Path.of(args[2]), RunListener.NONE);
                    check(r.table().get(WiseRun.MASK_ORACLE_ROW).ap50() == 100.0, "GT masks score 100");
                }
                case "pseudo" -> {
                    VocDataset voc = VocDataset.open(Path.of(args[1]));
                    PseudoLabelling labelling = PseudoLabelling.fromClassifier(Path.of(args[2]),
                            new ProposalCache(Path.of(args[3] + ".proposals"), new SelectiveSearch(SelectiveSearch.Options.fast())),
                            PseudoLabelling.Settings.defaults());
                    labelling.labelSplit(voc, "val", Path.of(args[3]), ProgressListener.NONE);
                    check(Files.isRegularFile(Path.of(args[3])), "pseudo masks written");
                }
                case "maskrcnn-training" -> {
                    VocDataset voc = VocDataset.open(Path.of(args[1]));
                    var net = MaskRcnnTraining.train(voc.classes(), TrainingExamples.of(voc, voc.root(), "train", null),
                            MaskRcnnConfig.small(voc.classes().size() + 1).withSizes(128, 128),
                            MaskRcnnTrainer.Options.wise(1, 2, 0.01, 0, false, 0), null, Path.of(args[2]),
                            ProgressListener.NONE);
                    check(MaskRcnnTraining.predict(net, voc, "val", Path.of(args[2], "val.json"), ProgressListener.NONE)
                            .size() == 1, "one prediction per val image");
                }
                default -> throw new IllegalArgumentException("unknown entry point " + args[0]);
            }
            System.out.println("ok " + args[0]);
        }

        private static void check(boolean ok, String what) {
            if (!ok) {
                throw new AssertionError(what);
            }
        }
    }

    private static String tail(String s) {
        List<String> lines = s.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
