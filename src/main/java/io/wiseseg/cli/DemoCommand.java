package io.wiseseg.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wiseseg.data.SyntheticDataset;
import io.wiseseg.data.VocDataset;
import io.wiseseg.pipeline.PseudoLabelling;
import io.wiseseg.pipeline.WiseRun;
import io.wiseseg.pseudo.RuleSettings;
import io.wiseseg.util.AtomicFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code wiseseg demo}: the pipeline end to end on the embedded synthetic benchmark: generate the
 * data, train the PRM classifier on image-level labels, choose the pseudo-mask settings on a
 * tenth of the train images ({@link TuneOptions}), turn its peaks into pseudo masks with
 * proposals, train a Mask R-CNN on them (and one on the ground truth, the upper bound), and score
 * all of them (mAP at IoU 0.25 / 0.5 / 0.75 and ABO) next to the ground-truth oracles. Every stage
 * resumes from what an earlier run left in --out. It is {@code wiseseg run} ({@link WiseRun}) on
 * generated data, at its size (160 px).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the WISE pipeline on the synthetic benchmark: data → PRM classifier → pseudo-mask "
                + "settings chosen on a tenth of the train images (--tune-fraction) → pseudo masks → "
                + "Mask R-CNN on the pseudo masks (and on the GT masks, the upper bound) → evaluation, with an HTML "
                + "report and overlay PNGs. Resumes from what an earlier run left in --out.")
final class DemoCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    TraceOption trace;

    @picocli.CommandLine.Mixin
    DeviceOption deviceOption;

    @picocli.CommandLine.Mixin
    ThreadsOption threads;

    @Option(names = "--out", defaultValue = "wiseseg-demo", paramLabel = "DIR",
            description = "Working folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--quick", description = "A first look in about 5 minutes: 240 images (60 val), more epochs "
            + "each, no upper bound.")
    boolean quick;

    @Option(names = "--images", description = "Synthetic images, a tenth of them val (default: 1000; --quick: 240, "
            + "a quarter val).")
    Integer images;

    @Option(names = "--epochs", description = "Classifier epochs (default: 12, --quick: 30: few images, so more passes).")
    Integer epochs;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the data and the training (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--rule", defaultValue = "iou", completionCandidates = RuleNames.class,
            description = "Pseudo-mask rule, one of ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    String rule;

    @Option(names = "--merge-iou", paramLabel = "IOU", description = RuleNames.MERGE_IOU_HELP)
    Double mergeIou;

    @Option(names = "--class-conflict-iou", paramLabel = "IOU", description = RuleNames.CLASS_CONFLICT_HELP)
    Double classConflictIou;

    @Option(names = "--overlays", defaultValue = "8", description = "Overlay PNGs to write (default: ${DEFAULT-VALUE}).")
    int overlays;

    @Option(names = "--maskrcnn-epochs", description = "Mask R-CNN epochs (default: 4, --quick: 16).")
    Integer maskRcnnEpochs;

    @CommandLine.Mixin
    RunScheduleOptions schedules;

    @CommandLine.Mixin
    TuneOptions tune;

    @CommandLine.Mixin
    SelfTrainingOptions selfTraining;

    @Option(names = "--no-upper-bound", description = "Skip the fully supervised Mask R-CNN (trained on the GT masks).")
    boolean noUpperBound;

    @Option(names = "--upper-bound", description = "With --quick: train the fully supervised Mask R-CNN too "
            + "(about 3 more minutes).")
    boolean upperBound;

    static final int SIZE = 160, MAX_INSTANCES = 4;

    @Override
    public Integer call() throws IOException {
        RuleNames.check(rule);
        var rounds = selfTraining.settings(); // checked before any work
        threads.apply();
        var device = deviceOption.resolve();
        double merge = RuleNames.mergeIou(mergeIou); // checked before any work
        double classes = RuleNames.classConflictIou(classConflictIou);
        var tuning = tune.options(0f);
        var classifierSchedule = schedules.classifier(epochs != null);
        var maskRcnnSchedule = schedules.maskRcnn(maskRcnnEpochs != null);
        // --quick: few training images, so more passes over them; a quarter val so that its table
        // rests on 60 images, not 20 (on 20, float32 summation differences between CPUs moved
        // AP50 by ±10; bench/RESULTS.md)
        int n = images != null ? images : quick ? 240 : 1000;
        double valFraction = quick && images == null ? 0.25 : 0.1;
        int e = epochs != null ? epochs : quick ? 30 : 12;
        int me = maskRcnnEpochs != null ? maskRcnnEpochs : quick ? 16 : 4;
        if (noUpperBound && upperBound) {
            throw new UserException("give one of --upper-bound and --no-upper-bound");
        }
        boolean withUpperBound = quick ? upperBound : !noUpperBound;
        PrintWriter w = spec.commandLine().getOut();
        Files.createDirectories(out);
        checkData(n, valFraction);
        long t0 = System.nanoTime();
        Path dataDir = out.resolve("data");
        VocDataset voc;
        try (ProgressBarListener bar = new ProgressBarListener();
                io.wiseseg.util.Trace.Span s = io.wiseseg.util.Trace.span("synthetic data", "run")) {
            voc = Files.exists(dataDir.resolve("synthetic.txt")) ? VocDataset.open(dataDir)
                    : SyntheticDataset.generate(dataDir, new SyntheticDataset.Options(n, SIZE, SIZE, seed,
                            MAX_INSTANCES, SyntheticDataset.CLASSES.names(), 0.03, valFraction, false), bar);
        }
        w.printf("    synthetic: %d images of %d×%d, up to %d objects, seed %d, made in %.0f s; CPU threads: %d%n",
                n, SIZE, SIZE, MAX_INSTANCES, seed, (System.nanoTime() - t0) / 1e9, ThreadsOption.inUse());
        WiseRun.Settings settings = new WiseRun.Settings("train", "val", SIZE, e, 16,
                new PseudoLabelling.Settings(rule, RuleSettings.defaults(), 0f, true, false, merge, classes), SIZE, SIZE, me,
                withUpperBound, overlays, seed, classifierSchedule, maskRcnnSchedule);
        WiseRun.Result result;
        try (ProgressBarListener bar = new ProgressBarListener()) {
            result = WiseRun.run(voc, settings, tuning, rounds, device, out, RunOutput.listener(w, bar));
        }
        RunOutput.print(w, result);
        return 0;
    }

    /** The data is made once per folder: another image count or seed there would mix runs, so refuse it. */
    private void checkData(int n, double valFraction) throws IOException {
        ObjectNode want = new ObjectMapper().createObjectNode().put("images", n).put("valFraction", valFraction)
                .put("seed", seed).put("size", SIZE).put("maxInstances", MAX_INSTANCES);
        Path file = out.resolve("demo.json");
        if (Files.exists(file)) {
            var have = new ObjectMapper().readTree(file.toFile());
            if (!have.toString().equals(want.toString())) { // as text: a read-back 0L is an IntNode
                throw new UserException(out + " holds a demo run with other settings (" + have + "); "
                        + "use another --out or delete it");
            }
            return;
        }
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        AtomicFiles.write(file, tmp -> json.writeValue(tmp.toFile(), want));
    }
}
