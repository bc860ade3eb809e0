package io.wiseseg.cli;

import io.wiseseg.data.VocDataset;
import io.wiseseg.pipeline.PseudoLabelling;
import io.wiseseg.pipeline.WiseRun;
import io.wiseseg.pseudo.RuleSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code wiseseg run}: WISE end to end ({@link WiseRun}) on any VOC-layout dataset, with each
 * stage's settings as flags and defaults chosen from the images' size and count.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "WISE end to end on a VOC-layout dataset: PRM classifier on the train split's image-level "
                + "labels → pseudo-mask settings chosen on a tenth of the train images (--tune-fraction) → pseudo "
                + "masks → Mask R-CNN on the pseudo masks (and on the GT masks, the upper bound) → "
                + "the val split scored by the reference protocol, with an HTML report and overlay PNGs. "
                + "Unset sizes and epochs are chosen from the train images (printed first); --classifier-iterations and "
                + "--maskrcnn-iterations train by optimizer steps instead. Resumes from what an earlier run left in "
                + "--out.")
final class RunCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    TraceOption trace;

    @picocli.CommandLine.Mixin
    DeviceOption deviceOption;

    @picocli.CommandLine.Mixin
    ThreadsOption threads;

    @CommandLine.Mixin
    DatasetOptions data;

    @Option(names = "--out", required = true, paramLabel = "RUN", description = "Working folder of the run.")
    Path out;

    @Option(names = "--train-split", defaultValue = "train", description = "Split to train on (default: ${DEFAULT-VALUE}).")
    String trainSplit;

    @Option(names = "--eval-split", defaultValue = "val", description = "Split to score (default: ${DEFAULT-VALUE}).")
    String evalSplit;

    @Option(names = "--epochs", description = "Classifier epochs (default: about 10,800 image passes, 2..30).")
    Integer epochs;

    @Option(names = "--maskrcnn-epochs", description = "Mask R-CNN epochs (default: about 10,800 image passes, 2..30).")
    Integer maskRcnnEpochs;

    @CommandLine.Mixin
    RunScheduleOptions schedules;

    @CommandLine.Mixin
    TuneOptions tune;

    @CommandLine.Mixin
    SelfTrainingOptions selfTraining;

    @Option(names = "--classifier-size", paramLabel = "PX",
            description = "Classifier input, longer side (default: the images' median longer side, 64..448).")
    Integer classifierSize;

    @Option(names = "--min-size", paramLabel = "PX",
            description = "Mask R-CNN shorter side (default: the images' median shorter side, 128..800).")
    Integer minSize;

    @Option(names = "--max-size", paramLabel = "PX",
            description = "Mask R-CNN longer side limit (default: the images' median longer side, up to 1333).")
    Integer maxSize;

    @Option(names = "--rule", defaultValue = "iou", completionCandidates = RuleNames.class,
            description = "Pseudo-mask rule, one of ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    String rule;

    @Option(names = "--map-blur", paramLabel = "SIGMA", defaultValue = "0.02", description = "With --rule iou: blur "
            + "each peak response map by SIGMA × the image's longer side (default: ${DEFAULT-VALUE}).")
    double mapBlur;

    @Option(names = "--map-fraction", defaultValue = "0.5",
            description = "With --rule iou: threshold at this fraction of the blurred map's maximum (default: ${DEFAULT-VALUE}).")
    double mapFraction;

    @Option(names = "--proposal-count", defaultValue = "100",
            description = "With --rule iou: proposals considered, in their order; 0 = all (default: ${DEFAULT-VALUE}).")
    int proposalCount;

    @Option(names = "--merge-iou", paramLabel = "IOU", description = RuleNames.MERGE_IOU_HELP)
    Double mergeIou;

    @Option(names = "--class-conflict-iou", paramLabel = "IOU", description = RuleNames.CLASS_CONFLICT_HELP)
    Double classConflictIou;

    @Option(names = "--peak-threshold", defaultValue = "0",
            description = "Keep classifier peaks at least this high (default: ${DEFAULT-VALUE}, for a classifier "
                    + "trained from scratch).")
    float peakThreshold;

    @Option(names = "--output-stride", defaultValue = "16", description = "Classifier output stride, 16 or 8 "
            + "(default: ${DEFAULT-VALUE}).")
    int outputStride;

    @Option(names = "--classifier-weights", paramLabel = "RUN", description = "A train-classifier run (ResNet-18, "
            + "--width 16) whose backbone starts the classifier, and so the Mask R-CNNs: e.g. one pretrained on the "
            + "image labels of a larger dataset. Default: from scratch.")
    Path classifierWeights;

    @Option(names = "--classifier-backbone-lr-factor", paramLabel = "F", defaultValue = "1",
            description = "The classifier backbone's learning rate is its head's (0.02) × F (default: "
            + "${DEFAULT-VALUE}: full rate, for a backbone trained from scratch; below 1 a --classifier-weights "
            + "backbone changes less on few images).")
    double classifierBackboneLrFactor;

    @Option(names = "--maskrcnn-min-scale", paramLabel = "S", defaultValue = "1",
            description = "Multi-scale training of the Mask R-CNNs: each step's images at a scale drawn from [S, 1] of "
            + "the Mask R-CNN's sizes, so that it also sees objects smaller than its training masks show them "
            + "(default: ${DEFAULT-VALUE}: at its sizes only).")
    double maskRcnnMinScale;

    @Option(names = "--no-upper-bound", description = "Skip the fully supervised Mask R-CNN (trained on the GT masks).")
    boolean noUpperBound;

    @Option(names = "--overlays", defaultValue = "8", description = "Overlay PNGs to write (default: ${DEFAULT-VALUE}).")
    int overlays;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the training (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws IOException {
        RuleNames.check(rule);
        var tuning = tune.options(peakThreshold);
        var rounds = selfTraining.settings(); // checked before any work
        threads.apply(); // before any work
        if (!(classifierBackboneLrFactor >= 0) || Double.isInfinite(classifierBackboneLrFactor)) {
            throw new UserException("--classifier-backbone-lr-factor: must be a finite number >= 0, got "
                    + classifierBackboneLrFactor);
        }
        if (!(maskRcnnMinScale > 0 && maskRcnnMinScale <= 1)) {
            throw new UserException("--maskrcnn-min-scale: must be in (0, 1], got " + maskRcnnMinScale);
        }
        if (classifierWeights != null) {
            try {
                WiseRun.checkClassifierWeights(classifierWeights);
            } catch (IllegalArgumentException e) {
                throw new UserException("--classifier-weights: " + e.getMessage());
            }
        }
        var device = deviceOption.resolve();
        var classifierSchedule = schedules.classifier(epochs != null);
        var maskRcnnSchedule = schedules.maskRcnn(maskRcnnEpochs != null);
        VocDataset voc = data.openWithSplit(trainSplit);
        if (!voc.splits().contains(evalSplit)) {
            throw new UserException(data.root + ": no split '" + evalSplit + "' (has " + voc.splits() + ")");
        }
        WiseRun.Settings auto = WiseRun.Settings.forDataset(voc, trainSplit);
        WiseRun.Settings s = new WiseRun.Settings(trainSplit, evalSplit,
                classifierSize != null ? classifierSize : auto.classifierImageSize(),
                epochs != null ? epochs : auto.classifierEpochs(), outputStride,
                new PseudoLabelling.Settings(rule, new RuleSettings(Double.NEGATIVE_INFINITY, false, mapBlur, mapFraction,
                        proposalCount), peakThreshold, true, false, RuleNames.mergeIou(mergeIou),
                        RuleNames.classConflictIou(classConflictIou)),
                minSize != null ? minSize : auto.maskRcnnMinSize(),
                maxSize != null ? maxSize : Math.max(auto.maskRcnnMaxSize(), minSize != null ? minSize : 0),
                maskRcnnEpochs != null ? maskRcnnEpochs : auto.maskRcnnEpochs(), !noUpperBound, overlays, seed,
                classifierSchedule, maskRcnnSchedule)
                .withClassifierWeights(classifierWeights == null ? null : classifierWeights.toAbsolutePath().toString());
        s = s.withClassifierBackboneLrFactor(classifierBackboneLrFactor).withMaskRcnnMinScale(maskRcnnMinScale);
        PrintWriter w = spec.commandLine().getOut();
        w.printf("settings: classifier %d px, %s, output stride %d%s; rule %s%s; Mask R-CNN %d..%d px, %s%s; CPU threads: %d%n",
                s.classifierImageSize(), s.classifierLength(), s.outputStride(),
                (classifierWeights == null ? "" : ", backbone from " + classifierWeights)
                        + (s.classifierBackboneLrFactor() == WiseRun.Settings.DEFAULT_BACKBONE_LR_FACTOR ? ""
                                : ", backbone lr × " + s.classifierBackboneLrFactor()), rule,
                (mergeIou == null ? "" : " (merge at IoU >= " + mergeIou + ")")
                        + (classConflictIou == null ? "" : " (one class per object at IoU >= " + classConflictIou + ")"),
                s.maskRcnnMinSize(),
                s.maskRcnnMaxSize(), s.maskRcnnLength() + (s.maskRcnnMinScale() == 1 ? ""
                        : ", scales " + s.maskRcnnMinScale() + "..1"), s.upperBound() ? "; with the upper bound" : "",
                ThreadsOption.inUse());
        w.flush();
        WiseRun.Result result;
        try (ProgressBarListener bar = new ProgressBarListener()) {
            result = WiseRun.run(voc, s, tuning, rounds, device, out, RunOutput.listener(w, bar));
        }
        RunOutput.print(w, result);
        return 0;
    }
}
