package io.wiseseg.cli;

import io.wiseseg.data.AnnotatedImage;
import io.wiseseg.data.CocoDataset;
import io.wiseseg.data.CocoJson;
import io.wiseseg.data.VocDataset;
import io.wiseseg.pipeline.Evaluation;
import io.wiseseg.pipeline.PseudoLabelling;
import io.wiseseg.proposals.ProposalCache;
import io.wiseseg.proposals.ProposalFiles;
import io.wiseseg.proposals.ProposalSource;
import io.wiseseg.proposals.SelectiveSearch;
import io.wiseseg.pseudo.RuleSettings;
import io.wiseseg.util.TorchRuntime;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code wiseseg pseudo}: WISE's pseudo masks from peak points and proposal files (the
 * reference's prm_point_dict.json and SharpMask proposals, or a folder made by
 * {@code wiseseg proposals}).
 */
@Command(name = "pseudo", aliases = "pseudo-masks", mixinStandardHelpOptions = true,
        description = "Pseudo masks: each peak (the reference's points, or a trained PRM classifier's peaks) takes "
                + "one proposal, chosen by best objectness (WISE), PRM retrieval or best IoU. Writes one COCO "
                + "results JSON; resumes from <out>.parts/.")
final class PseudoCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    TraceOption trace;

    @picocli.CommandLine.Mixin
    DeviceOption deviceOption;

    @picocli.CommandLine.Mixin
    DatasetOptions data;

    @Option(names = "--split", defaultValue = "train", description = "Split to label (default: ${DEFAULT-VALUE}).")
    String split;

    @CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
    Seeds seeds;

    static final class Seeds {
        @Option(names = "--points", paramLabel = "FILE",
                description = "Peak points in the reference's prm_point_dict.json format.")
        Path points;

        @Option(names = "--checkpoint", paramLabel = "RUN",
                description = "A trained PRM classifier (train-classifier's --out): its peaks are the seeds.")
        Path checkpoint;

        @Option(names = "--oracle-points", description = "Diagnostic: one seed per ground-truth instance, at its "
                + "pixel nearest the centroid (\"perfect peaks\"); for evaluation splits only.")
        boolean oraclePoints;
    }

    @Option(names = "--proposals", paramLabel = "PATH",
            description = "Proposal folder (<id>.jpg.json or <id>.json) or one id -> list JSON file; with "
                    + "--checkpoint it may be omitted: selective search (fast) then runs, cached in <out>.proposals/.")
    Path proposals;

    @Option(names = "--rule", completionCandidates = RuleNames.class, description = "The pseudo-mask rule, one of "
            + "${COMPLETION-CANDIDATES}; default: wise with --points, iou with --checkpoint.")
    String rule;

    @Option(names = "--peak-threshold", defaultValue = "30",
            description = "With --checkpoint: keep peaks at least this high (WISE: 30, for ImageNet-initialised "
                    + "models; small models from scratch need 0) (default: ${DEFAULT-VALUE}).")
    float peakThreshold;

    @Option(names = "--evaluate", description = "Also score the pseudo masks against the split's ground truth.")
    boolean evaluate;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "COCO results JSON to write.")
    Path out;

    @Option(names = "--threshold", defaultValue = "none",
            description = "Keep proposals scoring above this (0.5 as pointList2propDict) or 'none' (as "
                    + "bo_proposal, which made the reference's training targets; default: ${DEFAULT-VALUE}).")
    String threshold;

    @Option(names = "--single-point", description = "Skip proposals that contain more than one point.")
    boolean singlePoint;

    @Option(names = "--image-labels", description = "With --checkpoint: seeds from the peaks of each image's labelled "
            + "classes only (the weak supervision), instead of every class the classifier scores present.")
    boolean imageLabels;

    @Option(names = "--map-blur", paramLabel = "SIGMA", defaultValue = "0.02", description = "With --rule iou: blur "
            + "each peak response map with a Gaussian of SIGMA × the image's longer side and threshold it at "
            + "--map-fraction of its maximum; 0: no blur, threshold at the map's mean (default: ${DEFAULT-VALUE}).")
    double mapBlur;

    @Option(names = "--map-fraction", defaultValue = "0.5", description = "With --map-blur (default: ${DEFAULT-VALUE}).")
    double mapFraction;

    @Option(names = "--proposal-count", defaultValue = "100", description = "With --rule iou: proposals considered, "
            + "in their order; 0 = all (default: ${DEFAULT-VALUE}).")
    int proposalCount;

    /** On 2 cores with a small classifier --threads 1 is much faster: a parallel region on tiny tensors mostly waits. */
    @picocli.CommandLine.Mixin
    ThreadsOption threads;

    @Option(names = "--nms", description = "PRM's instance NMS (IoU >= 0.3) after any rule (always on with --rule prm).")
    boolean nms;

    @Option(names = "--merge-iou", paramLabel = "IOU", description = RuleNames.MERGE_IOU_HELP)
    Double mergeIou;

    @Option(names = "--class-conflict-iou", paramLabel = "IOU", description = RuleNames.CLASS_CONFLICT_HELP)
    Double classConflictIou;

    @Override
    public void run() {
        threads.value(); // a bad count is refused before any work
        double t;
        try {
            t = threshold.equals("none") ? Double.NEGATIVE_INFINITY : Double.parseDouble(threshold);
        } catch (NumberFormatException e) {
            throw new UserException("--threshold must be a number or 'none', got '" + threshold + "'");
        }
        // the classifier's device (point seeds run no network); proposals are scored on the CPU
        io.wiseseg.kernels.Device device = deviceOption.resolve();
        VocDataset voc = data.openWithSplit(split);
        if (seeds.points != null && proposals == null) {
            throw new UserException("--points needs --proposals (the reference's proposal files)");
        }
        String chosen = RuleNames.check(rule != null ? rule : seeds.checkpoint == null ? "wise" : "iou");
        PseudoLabelling.Settings settings = new PseudoLabelling.Settings(chosen, new RuleSettings(t, singlePoint,
                mapBlur, mapFraction, proposalCount), peakThreshold, imageLabels, nms, RuleNames.mergeIou(mergeIou),
                RuleNames.classConflictIou(classConflictIou));
        PrintWriter w = spec.commandLine().getOut();
        try (ProgressBarListener bar = new ProgressBarListener()) {
            ProposalSource source = proposals != null ? new ProposalFiles(proposals)
                    : new ProposalCache(out.resolveSibling(out.getFileName() + ".proposals"),
                            new SelectiveSearch(SelectiveSearch.Options.fast()));
            PseudoLabelling labelling;
            if (seeds.oraclePoints) {
                labelling = PseudoLabelling.fromGroundTruthCentres(source, settings);
            } else if (seeds.points != null) {
                labelling = PseudoLabelling.fromPoints(seeds.points, source, settings);
            } else {
                threads.apply();
                labelling = PseudoLabelling.fromClassifier(seeds.checkpoint, source, settings, device);
            }
            labelling.labelSplit(voc, split, out, bar);
            if (!labelling.timesSummary().isEmpty()) {
                w.println("per image: " + labelling.timesSummary());
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        if (evaluate) {
            List<AnnotatedImage> truth = voc.annotated(split);
            try {
                var predictions = CocoJson.readResults(out, new CocoDataset(voc.classes(),
                        CocoDataset.defaultCategoryIds(voc.classes()), truth, java.util.Map.of()));
                Evaluation e = Evaluation.of(truth, predictions, voc.classes());
                w.println(e.apReport().toText());
                w.println(e.aboReport().toText());
                w.println(Evaluation.pseudoMaskDiagnostics(truth, predictions, voc.classes()).toText());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        w.printf("wrote pseudo masks of %d images to %s%n", voc.labelled(split).size(), out);
        w.flush();
    }
}
