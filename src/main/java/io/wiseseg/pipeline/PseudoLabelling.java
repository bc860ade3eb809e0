package io.wiseseg.pipeline;

import io.wiseseg.data.CocoDataset;
import io.wiseseg.data.ImagePrediction;
import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.VocDataset;
import io.wiseseg.kernels.Device;
import io.wiseseg.kernels.PeakFinder;
import io.wiseseg.kernels.ProposalScorer;
import io.wiseseg.prm.PeakResponseMaps;
import io.wiseseg.prm.PeakStimulation;
import io.wiseseg.prm.PrmCheckpoint;
import io.wiseseg.prm.PrmConfig;
import io.wiseseg.prm.PrmNetwork;
import io.wiseseg.proposals.ProposalSource;
import io.wiseseg.pseudo.ClassConflicts;
import io.wiseseg.pseudo.ImageEvidence;
import io.wiseseg.pseudo.InstanceNms;
import io.wiseseg.pseudo.OracleSeeds;
import io.wiseseg.pseudo.PrmEvidence;
import io.wiseseg.pseudo.PseudoLabeller;
import io.wiseseg.pseudo.ReferencePoints;
import io.wiseseg.pseudo.RuleSettings;
import io.wiseseg.pseudo.SelectionRule;
import io.wiseseg.pseudo.SelectionRules;
import io.wiseseg.data.ProgressListener;
import io.wiseseg.util.TorchRuntime;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.bytedeco.javacpp.PointerScope;

/**
 * WISE's second stage: pseudo masks. For each seed of an image (a peak of a trained PRM
 * classifier, or given points) one object proposal is chosen by a selection rule; the chosen
 * proposals are the image's pseudo masks, the training targets of the Mask R-CNN.
 *
 * <pre>{@code
 * PseudoLabelling labelling = PseudoLabelling.fromClassifier(Path.of("run/prm"),
 *         new ProposalCache(Path.of("run/proposals"), new SelectiveSearch(SelectiveSearch.Options.fast())),
 *         PseudoLabelling.Settings.defaults());
 * labelling.labelSplit(VocDataset.open(Path.of("data")), "train", Path.of("pseudo-train.json"), listener);
 * }</pre>
 *
 * <p>One instance is used by one thread at a time (its timers and LibTorch's autograd mode are
 * per instance and per thread). The classifier sees only the pixels; with
 * {@link Settings#imageLabels()} the seeds also use the image-level labels, the weak supervision;
 * ground-truth masks are never read (except by {@link #fromGroundTruthCentres}, a diagnostic).
 */
public final class PseudoLabelling {
    /**
     * How pseudo masks are chosen.
     *
     * @param rule          a selection rule's name ({@link SelectionRules#names()})
     * @param ruleSettings  the rule's constants
     * @param peakThreshold keep classifier peaks at least this high (WISE: 30 for ImageNet-initialised
     *                      classifiers; 0 for small ones trained from scratch)
     * @param imageLabels   seeds only from the classes an image is labelled with (the weak supervision)
     *                      instead of every class the classifier scores present
     * @param instanceNms   PRM's instance NMS (IoU ≥ 0.3) after the rule; rules that need it always get it
     * @param mergeIou      one pseudo mask per object: seeds of one class whose chosen proposals overlap at
     *                      mask IoU ≥ this become one instance, the best-scored seed's ({@code 1}: only
     *                      seeds that chose the same proposal); {@link #NO_MERGE} (0): no merge, the default
     * @param classConflictIou one class per object: after the merge, pseudo masks of different classes that
     *                      overlap at mask IoU ≥ this keep only the one whose class responds most inside it
     *                      ({@link ClassConflicts}); {@link #NO_CLASS_CONFLICTS} (0): none, the default
     */
    public record Settings(String rule, RuleSettings ruleSettings, float peakThreshold, boolean imageLabels,
            boolean instanceNms, double mergeIou, double classConflictIou) {
        /** {@link #mergeIou()} for no merge. */
        public static final double NO_MERGE = 0;
        /** {@link #classConflictIou()} for no class-conflict step. */
        public static final double NO_CLASS_CONFLICTS = 0;

        public Settings {
            Objects.requireNonNull(ruleSettings, "ruleSettings");
            if (!(mergeIou == NO_MERGE || mergeIou > 0 && mergeIou <= 1)) {
                throw new IllegalArgumentException("the merge IoU must be in (0, 1], or 0 for no merge; got " + mergeIou);
            }
            if (!(classConflictIou == NO_CLASS_CONFLICTS || classConflictIou > 0 && classConflictIou <= 1)) {
                throw new IllegalArgumentException("the class-conflict IoU must be in (0, 1], or 0 for none; got "
                        + classConflictIou);
            }
            if (!SelectionRules.names().contains(rule)) {
                throw new IllegalArgumentException("unknown selection rule '" + rule + "'; one of " + SelectionRules.names());
            }
        }

        /** Without a resolution of class conflicts (as before it existed). */
        public Settings(String rule, RuleSettings ruleSettings, float peakThreshold, boolean imageLabels,
                boolean instanceNms, double mergeIou) {
            this(rule, ruleSettings, peakThreshold, imageLabels, instanceNms, mergeIou, NO_MERGE);
        }

        /** Without a merge of overlapping seeds (as before it existed). */
        public Settings(String rule, RuleSettings ruleSettings, float peakThreshold, boolean imageLabels,
                boolean instanceNms) {
            this(rule, ruleSettings, peakThreshold, imageLabels, instanceNms, NO_MERGE);
        }

        /** The demo's: best IoU with the default constants, peaks of the labelled classes, no threshold, no merge. */
        public static Settings defaults() {
            return new Settings("iou", RuleSettings.defaults(), 0f, true, false);
        }

        /** These settings with {@link #mergeIou()} = {@code mergeIou}. */
        public Settings withMergeIou(double mergeIou) {
            return new Settings(rule, ruleSettings, peakThreshold, imageLabels, instanceNms, mergeIou,
                    classConflictIou);
        }

        /** These settings with {@link #classConflictIou()} = {@code iou}. */
        public Settings withClassConflictIou(double iou) {
            return new Settings(rule, ruleSettings, peakThreshold, imageLabels, instanceNms, mergeIou, iou);
        }

        /** What the seeds' evidence must carry for these settings with {@code rule}'s needs. */
        SelectionRule.Evidence needs(SelectionRule.Evidence ruleNeeds) {
            return classConflictIou == NO_CLASS_CONFLICTS ? ruleNeeds : SelectionRule.Evidence.CLASS_MAPS;
        }
    }

    private final PseudoLabeller labeller;
    private final EvidenceFactory evidence;
    private PseudoLabeller.EvidenceSource lastSource; // its timers, for timesSummary()

    /** Builds one image's evidence source for a dataset. */
    @FunctionalInterface
    private interface EvidenceFactory {
        PseudoLabeller.EvidenceSource forDataset(VocDataset voc) throws IOException;
    }

    private PseudoLabelling(Settings settings, EvidenceFactory evidence) {
        this.labeller = labeller(settings);
        this.evidence = evidence;
    }

    /** The selection step of {@code settings}: its rule, merge and instance NMS. */
    static PseudoLabeller labeller(Settings settings) {
        SelectionRule rule = SelectionRules.create(settings.rule(), settings.ruleSettings());
        return new PseudoLabeller(rule,
                settings.mergeIou() == Settings.NO_MERGE ? null : InstanceNms.sameClass(settings.mergeIou()),
                settings.classConflictIou() == Settings.NO_CLASS_CONFLICTS ? null : new ClassConflicts(settings.classConflictIou()),
                rule.instanceNmsByDefault() || settings.instanceNms() ? InstanceNms.prm() : null,
                new ProposalScorer(Device.cpu()));
    }

    /**
     * Seeds from a trained PRM classifier (the folder {@code wiseseg train-classifier --out} or
     * {@link ClassifierTraining} writes); loads LibTorch itself.
     *
     * @throws IllegalArgumentException when the folder holds no classifier
     */
    public static PseudoLabelling fromClassifier(Path classifierRun, ProposalSource proposals, Settings settings) {
        return fromClassifier(classifierRun, proposals, settings, null);
    }

    /**
     * As {@link #fromClassifier(Path, ProposalSource, Settings)}, with the classifier and its
     * peak kernel on {@code device} (null: the CPU); proposals are scored on the CPU.
     */
    public static PseudoLabelling fromClassifier(Path classifierRun, ProposalSource proposals, Settings settings,
            Device device) {
        TorchRuntime.ensureLoaded();
        return fromClassifier(PrmCheckpoint.loadNetwork(classifierRun), PrmCheckpoint.config(classifierRun), proposals,
                settings, device == null ? Device.cpu() : device);
    }

    /**
     * Seeds from a classifier in memory (as {@link ClassifierTraining#train} returns it).
     *
     * @param config the classifier's settings: its classes and input size
     */
    public static PseudoLabelling fromClassifier(PrmNetwork network, PrmConfig config, ProposalSource proposals,
            Settings settings) {
        return fromClassifier(network, config, proposals, settings, null);
    }

    /**
     * As above, with the network (moved there) and its peak kernel on {@code device} (null: where
     * the network is).
     */
    public static PseudoLabelling fromClassifier(PrmNetwork network, PrmConfig config, ProposalSource proposals,
            Settings settings, Device device) {
        TorchRuntime.ensureLoaded();
        Device on = device == null ? Device.ofModule(network) : device;
        on.place(network);
        PeakFinder finder = new PeakFinder(on);
        PeakResponseMaps prm = new PeakResponseMaps(network, new PeakStimulation(finder),
                PeakResponseMaps.DEFAULT_CLASS_THRESHOLD, settings.peakThreshold());
        SelectionRule rule = SelectionRules.create(settings.rule(), settings.ruleSettings());
        return new PseudoLabelling(settings, voc -> {
            if (!config.classes().equals(voc.classes().names())) {
                throw new IllegalArgumentException("the classifier's classes " + config.classes()
                        + " differ from the dataset's " + voc.classes().names());
            }
            // seeds at the maxima of the peak response maps, where WISE places its points
            return new PrmEvidence(voc, network, prm, config.imageSize(), proposals,
                    settings.needs(PrmEvidence.needsOf(rule, PrmEvidence.Point.RESPONSE_MAX)), PrmEvidence.Point.RESPONSE_MAX,
                    settings.imageLabels());
        });
    }

    /**
     * Seeds from points in the reference implementation's {@code prm_point_dict.json} format; the
     * rule must need no more than the points (e.g. {@code wise}, best objectness).
     *
     * @throws IllegalArgumentException when the rule needs a classifier's maps
     * @throws IOException when the points file cannot be read
     */
    public static PseudoLabelling fromPoints(Path pointsFile, ProposalSource proposals, Settings settings)
            throws IOException {
        requirePeaksOnly(settings); // before reading the file: a wrong rule is the first thing to say
        ReferencePoints points = ReferencePoints.read(pointsFile);
        return new PseudoLabelling(settings, voc -> image -> new ImageEvidence(image.id(), image.height(),
                image.width(), points.seeds(image.id(), image.height(), image.width()), null, null,
                proposals.proposals(image, () -> null), null));
    }

    /**
     * Diagnostic: one seed per ground-truth instance, at its pixel nearest the centroid ("perfect
     * peaks"): how good the masks would be with a perfect classifier. Reads the split's masks.
     */
    public static PseudoLabelling fromGroundTruthCentres(ProposalSource proposals, Settings settings) {
        requirePeaksOnly(settings);
        return new PseudoLabelling(settings, voc -> image -> new ImageEvidence(image.id(), image.height(),
                image.width(), OracleSeeds.of(voc.annotate(image)), null, null,
                proposals.proposals(image, () -> voc.readImage(image)), null));
    }

    private static void requirePeaksOnly(Settings settings) {
        SelectionRule rule = SelectionRules.create(settings.rule(), settings.ruleSettings());
        if (rule.evidence() != SelectionRule.Evidence.PEAKS) {
            throw new IllegalArgumentException("rule " + settings.rule() + " needs "
                    + rule.evidence().name().toLowerCase(Locale.ROOT).replace('_', ' ') + ": use a classifier");
        }
        if (settings.classConflictIou() != Settings.NO_CLASS_CONFLICTS) {
            throw new IllegalArgumentException("one class per object needs a classifier's class maps");
        }
    }

    /** The rule and its settings, in words. */
    public String description() {
        return labeller.description();
    }

    /**
     * Labels every image of {@code split} into one COCO results file (categories 1..C in the
     * dataset's class order). Resumable: each image's result is kept in {@code out}'s sibling
     * folder {@code <out>.parts/} as it is made, and a later call skips the images done.
     */
    public void labelSplit(VocDataset voc, String split, Path out, ProgressListener listener) throws IOException {
        List<LabelledImage> images = voc.labelled(split);
        lastSource = evidence.forDataset(voc);
        labeller.labelSplit(images, lastSource, CocoDataset.defaultCategoryIds(voc.classes()), out, listener);
    }

    /** Pseudo masks of one image of {@code voc} (not written anywhere). */
    public ImagePrediction label(VocDataset voc, LabelledImage image) throws IOException {
        try (PointerScope scope = new PointerScope()) {
            return labeller.label(evidence.forDataset(voc).evidence(image));
        }
    }

    /** Per image time of each step of the last {@link #labelSplit}, or "" before any image was labelled. */
    public String timesSummary() {
        if (labeller.times().images() == 0) {
            return "";
        }
        return (lastSource instanceof PrmEvidence p ? p.times().summary() + "; then " : "") + labeller.times().summary();
    }
}
