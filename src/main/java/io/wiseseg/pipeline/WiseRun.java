package io.wiseseg.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wiseseg.backbone.ResNet;
import io.wiseseg.data.AnnotatedImage;
import io.wiseseg.data.CocoDataset;
import io.wiseseg.data.CocoJson;
import io.wiseseg.data.ImagePrediction;
import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.ProgressListener;
import io.wiseseg.data.VocDataset;
import io.wiseseg.eval.Baselines;
import io.wiseseg.eval.ProposalRecall;
import io.wiseseg.eval.PseudoMaskDiagnostics;
import io.wiseseg.kernels.Device;
import io.wiseseg.kernels.PeakFinder;
import io.wiseseg.maskrcnn.MaskRcnn;
import io.wiseseg.maskrcnn.MaskRcnnConfig;
import io.wiseseg.maskrcnn.MaskRcnnTrainer;
import io.wiseseg.prm.IsolatedObjects;
import io.wiseseg.prm.PeakResponseMaps;
import io.wiseseg.prm.PeakStimulation;
import io.wiseseg.prm.PrmCheckpoint;
import io.wiseseg.prm.PrmConfig;
import io.wiseseg.prm.PrmTrainer;
import io.wiseseg.proposals.ProposalCache;
import io.wiseseg.proposals.SelectiveSearch;
import io.wiseseg.pseudo.RuleSettings;
import io.wiseseg.util.AtomicFiles;
import io.wiseseg.util.StepSchedule;
import io.wiseseg.util.TorchRuntime;
import io.wiseseg.util.Trace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.bytedeco.pytorch.global.torch;

/**
 * WISE end to end on a VOC-layout dataset: a PRM classifier trained on the train split's
 * image-level labels → pseudo masks for train and val → a Mask R-CNN trained on the train split's
 * pseudo masks (and, as the upper bound, the same Mask R-CNN on its ground-truth masks) → the val
 * split scored by the reference protocol, next to the ground-truth oracles, with an HTML report
 * and overlay PNGs. The classifier and the pseudo masks see image-level labels only; masks are
 * read for the upper bound and for scoring.
 *
 * <p>Everything goes into one folder and every stage resumes from what an earlier run left there
 * (checkpoints, per-image pseudo masks, predictions); a folder made with other settings is
 * refused. {@code wiseseg run} and {@code wiseseg demo} are this class with flags.
 *
 * <pre>{@code
 * VocDataset voc = VocDataset.open(Path.of("VOCdevkit/VOC2012"));
 * WiseRun.Result r = WiseRun.run(voc, WiseRun.Settings.forDataset(voc), Path.of("run"), RunListener.NONE);
 * System.out.println(r.table().get(WiseRun.WISE_ROW).ap50());
 * }</pre>
 */
public final class WiseRun {
    /** Rows of the results table. */
    public static final String PSEUDO_ROW = "pseudo masks", WISE_ROW = "Mask R-CNN on pseudo masks (WISE)",
            UPPER_ROW = "Mask R-CNN on GT masks (upper bound)", BOX_ORACLE_ROW = "oracle: GT boxes as masks",
            MASK_ORACLE_ROW = "oracle: GT masks";

    /** The classifier: a ResNet-18 at width 16 from scratch, whose backbone then starts the Mask R-CNN's. */
    static final String BACKBONE = "resnet18";
    static final int WIDTH = 16;

    private WiseRun() {}

    /**
     * A run's settings.
     *
     * @param trainSplit          the split the classifier and the Mask R-CNNs train on
     * @param evalSplit           the split that is scored
     * @param classifierImageSize the classifier's input: images resized so their longer side is this
     * @param classifierEpochs    classifier epochs
     * @param outputStride        the classifier's output stride (16 or 8: finer peaks, slower)
     * @param pseudo              how pseudo masks are chosen
     * @param maskRcnnMinSize     the Mask R-CNN's shorter side after resizing
     * @param maskRcnnMaxSize     the Mask R-CNN's longer side limit
     * @param maskRcnnEpochs      Mask R-CNN epochs (batch 4, lr 0.02, each)
     * @param upperBound          also train the Mask R-CNN on ground-truth masks (the upper bound)
     * @param overlays            overlay PNGs to write
     * @param seed                seed of every random choice (shuffles, augmentation, initialisation)
     * @param classifierSchedule  the classifier's length and lr drops in optimizer steps (batch 16);
     *                            {@link StepSchedule#EPOCHS}: classifierEpochs at a constant rate
     * @param maskRcnnSchedule    the Mask R-CNNs' length and lr drops in optimizer steps (batch 4);
     *                            {@link StepSchedule#EPOCHS}: maskRcnnEpochs, the rate × 0.1 after
     *                            two thirds of them
     * @param classifierWeights   a train-classifier run (its absolute path) whose backbone starts the
     *                            classifier's, and so the Mask R-CNNs'; null: from scratch
     * @param classifierBackboneLrFactor the classifier backbone's learning rate is its head's (0.02)
     *                            times this; 1 (the default) trains a backbone from scratch at full rate
     * @param maskRcnnMinScale    the Mask R-CNNs train each step at a scale drawn from [this, 1] of
     *                            their sizes (multi-scale training: objects smaller than the
     *                            training masks show them); 1 (the default): at their sizes only
     */
    public record Settings(String trainSplit, String evalSplit, int classifierImageSize, int classifierEpochs,
            int outputStride, PseudoLabelling.Settings pseudo, int maskRcnnMinSize, int maskRcnnMaxSize,
            int maskRcnnEpochs, boolean upperBound, int overlays, long seed, StepSchedule classifierSchedule,
            StepSchedule maskRcnnSchedule, String classifierWeights, double classifierBackboneLrFactor,
            double maskRcnnMinScale) {
        /** The classifier backbone's learning-rate factor when none is given. */
        public static final double DEFAULT_BACKBONE_LR_FACTOR = 1.0;

        public Settings {
            classifierSchedule = classifierSchedule == null ? StepSchedule.EPOCHS : classifierSchedule;
            maskRcnnSchedule = maskRcnnSchedule == null ? StepSchedule.EPOCHS : maskRcnnSchedule;
            if (classifierImageSize < 32 || maskRcnnMinSize < 32 || maskRcnnMaxSize < maskRcnnMinSize) {
                throw new IllegalArgumentException("image sizes: classifier " + classifierImageSize
                        + ", Mask R-CNN " + maskRcnnMinSize + ".." + maskRcnnMaxSize + " (need ≥ 32, min ≤ max)");
            }
            if (classifierEpochs < 1 || maskRcnnEpochs < 1) {
                throw new IllegalArgumentException("epochs must be >= 1, got classifier " + classifierEpochs
                        + ", Mask R-CNN " + maskRcnnEpochs);
            }
            if (outputStride != 8 && outputStride != 16) {
                throw new IllegalArgumentException("output stride must be 8 or 16, got " + outputStride);
            }
            if (overlays < 0) {
                throw new IllegalArgumentException("overlays must be >= 0, got " + overlays);
            }
            if (!(classifierBackboneLrFactor >= 0) || Double.isInfinite(classifierBackboneLrFactor)) {
                throw new IllegalArgumentException("the classifier's backbone learning-rate factor must be a finite "
                        + "number >= 0, got " + classifierBackboneLrFactor);
            }
            if (!(maskRcnnMinScale > 0 && maskRcnnMinScale <= 1)) {
                throw new IllegalArgumentException("the Mask R-CNN's smallest training scale must be in (0, 1], got "
                        + maskRcnnMinScale);
            }
        }

        /** Settings with the Mask R-CNNs trained at their sizes only. */
        public Settings(String trainSplit, String evalSplit, int classifierImageSize, int classifierEpochs,
                int outputStride, PseudoLabelling.Settings pseudo, int maskRcnnMinSize, int maskRcnnMaxSize,
                int maskRcnnEpochs, boolean upperBound, int overlays, long seed, StepSchedule classifierSchedule,
                StepSchedule maskRcnnSchedule, String classifierWeights, double classifierBackboneLrFactor) {
            this(trainSplit, evalSplit, classifierImageSize, classifierEpochs, outputStride, pseudo, maskRcnnMinSize,
                    maskRcnnMaxSize, maskRcnnEpochs, upperBound, overlays, seed, classifierSchedule, maskRcnnSchedule,
                    classifierWeights, classifierBackboneLrFactor, 1.0);
        }

        /** Settings with the default backbone learning-rate factor. */
        public Settings(String trainSplit, String evalSplit, int classifierImageSize, int classifierEpochs,
                int outputStride, PseudoLabelling.Settings pseudo, int maskRcnnMinSize, int maskRcnnMaxSize,
                int maskRcnnEpochs, boolean upperBound, int overlays, long seed, StepSchedule classifierSchedule,
                StepSchedule maskRcnnSchedule, String classifierWeights) {
            this(trainSplit, evalSplit, classifierImageSize, classifierEpochs, outputStride, pseudo, maskRcnnMinSize,
                    maskRcnnMaxSize, maskRcnnEpochs, upperBound, overlays, seed, classifierSchedule, maskRcnnSchedule,
                    classifierWeights, DEFAULT_BACKBONE_LR_FACTOR);
        }

        /** Settings whose classifier starts from scratch. */
        public Settings(String trainSplit, String evalSplit, int classifierImageSize, int classifierEpochs,
                int outputStride, PseudoLabelling.Settings pseudo, int maskRcnnMinSize, int maskRcnnMaxSize,
                int maskRcnnEpochs, boolean upperBound, int overlays, long seed, StepSchedule classifierSchedule,
                StepSchedule maskRcnnSchedule) {
            this(trainSplit, evalSplit, classifierImageSize, classifierEpochs, outputStride, pseudo, maskRcnnMinSize,
                    maskRcnnMaxSize, maskRcnnEpochs, upperBound, overlays, seed, classifierSchedule, maskRcnnSchedule,
                    null);
        }

        /** Settings whose stages train by epochs ({@link StepSchedule#EPOCHS}). */
        public Settings(String trainSplit, String evalSplit, int classifierImageSize, int classifierEpochs,
                int outputStride, PseudoLabelling.Settings pseudo, int maskRcnnMinSize, int maskRcnnMaxSize,
                int maskRcnnEpochs, boolean upperBound, int overlays, long seed) {
            this(trainSplit, evalSplit, classifierImageSize, classifierEpochs, outputStride, pseudo, maskRcnnMinSize,
                    maskRcnnMaxSize, maskRcnnEpochs, upperBound, overlays, seed, null, null, null);
        }

        /**
         * Defaults chosen from a dataset's train images: the classifier sees them at their median
         * longer side (a multiple of 16 in 64..448, PRM's 448 at most), the Mask R-CNN at their
         * median sides (shorter side 128..800, longer side up to 1,333, as torchvision's); epochs
         * make about 10,800 image passes in each stage, within 2..30 epochs: the synthetic demo's
         * classifier (12 epochs over 900 images), and 2,700 Mask R-CNN steps of 4 images. The
         * Mask R-CNN's 3,600 passes before 2026-12-02 (the demo's 4 epochs) left the hard
         * family's 400-image sets far from converged (bench/RESULTS.md).
         */
        public static Settings forDataset(VocDataset voc) {
            return forDataset(voc, "train");
        }

        /** As {@link #forDataset(VocDataset)}, training on {@code trainSplit} (and scoring val). */
        public static Settings forDataset(VocDataset voc, String trainSplit) {
            List<LabelledImage> train = voc.labelled(trainSplit);
            if (train.isEmpty()) {
                throw new IllegalArgumentException(voc.root() + ": the " + trainSplit + " split has no images");
            }
            int longer = median(train.stream().mapToInt(i -> Math.max(i.width(), i.height())).toArray());
            int shorter = median(train.stream().mapToInt(i -> Math.min(i.width(), i.height())).toArray());
            int classifierSize = Math.clamp(Math.round(longer / 16f) * 16, 64, 448);
            int min = Math.clamp(shorter, 128, 800);
            int max = Math.clamp(longer, min, 1333);
            int n = train.size();
            return new Settings(trainSplit, "val", classifierSize, Math.clamp(Math.round(10_800f / n), 2, 30), 16,
                    PseudoLabelling.Settings.defaults(), min, max, Math.clamp(Math.round(10_800f / n), 2, 30), true, 8, 0);
        }

        public Settings withEpochs(int classifier, int maskRcnn) {
            return new Settings(trainSplit, evalSplit, classifierImageSize, classifier, outputStride, pseudo,
                    maskRcnnMinSize, maskRcnnMaxSize, maskRcnn, upperBound, overlays, seed, classifierSchedule,
                    maskRcnnSchedule, classifierWeights, classifierBackboneLrFactor, maskRcnnMinScale);
        }

        public Settings withPseudo(PseudoLabelling.Settings pseudo) {
            return new Settings(trainSplit, evalSplit, classifierImageSize, classifierEpochs, outputStride, pseudo,
                    maskRcnnMinSize, maskRcnnMaxSize, maskRcnnEpochs, upperBound, overlays, seed, classifierSchedule,
                    maskRcnnSchedule, classifierWeights, classifierBackboneLrFactor, maskRcnnMinScale);
        }

        public Settings withSizes(int classifierImageSize, int maskRcnnMinSize, int maskRcnnMaxSize) {
            return new Settings(trainSplit, evalSplit, classifierImageSize, classifierEpochs, outputStride, pseudo,
                    maskRcnnMinSize, maskRcnnMaxSize, maskRcnnEpochs, upperBound, overlays, seed, classifierSchedule,
                    maskRcnnSchedule, classifierWeights, classifierBackboneLrFactor, maskRcnnMinScale);
        }

        public Settings withUpperBound(boolean upperBound) {
            return new Settings(trainSplit, evalSplit, classifierImageSize, classifierEpochs, outputStride, pseudo,
                    maskRcnnMinSize, maskRcnnMaxSize, maskRcnnEpochs, upperBound, overlays, seed, classifierSchedule,
                    maskRcnnSchedule, classifierWeights, classifierBackboneLrFactor, maskRcnnMinScale);
        }

        public Settings withOverlays(int overlays) {
            return new Settings(trainSplit, evalSplit, classifierImageSize, classifierEpochs, outputStride, pseudo,
                    maskRcnnMinSize, maskRcnnMaxSize, maskRcnnEpochs, upperBound, overlays, seed, classifierSchedule,
                    maskRcnnSchedule, classifierWeights, classifierBackboneLrFactor, maskRcnnMinScale);
        }

        public Settings withSeed(long seed) {
            return new Settings(trainSplit, evalSplit, classifierImageSize, classifierEpochs, outputStride, pseudo,
                    maskRcnnMinSize, maskRcnnMaxSize, maskRcnnEpochs, upperBound, overlays, seed, classifierSchedule,
                    maskRcnnSchedule, classifierWeights, classifierBackboneLrFactor, maskRcnnMinScale);
        }

        public Settings withSplits(String trainSplit, String evalSplit) {
            return new Settings(trainSplit, evalSplit, classifierImageSize, classifierEpochs, outputStride, pseudo,
                    maskRcnnMinSize, maskRcnnMaxSize, maskRcnnEpochs, upperBound, overlays, seed, classifierSchedule,
                    maskRcnnSchedule, classifierWeights, classifierBackboneLrFactor, maskRcnnMinScale);
        }

        /** These settings with the stages' schedules in optimizer steps. */
        public Settings withSchedules(StepSchedule classifier, StepSchedule maskRcnn) {
            return new Settings(trainSplit, evalSplit, classifierImageSize, classifierEpochs, outputStride, pseudo,
                    maskRcnnMinSize, maskRcnnMaxSize, maskRcnnEpochs, upperBound, overlays, seed, classifier, maskRcnn,
                    classifierWeights, classifierBackboneLrFactor, maskRcnnMinScale);
        }

        /**
         * These settings with the classifier's backbone started from a train-classifier run's
         * (a ResNet-18 at width 16, e.g. pretrained on the image labels of a larger dataset), or
         * from scratch with null.
         */
        public Settings withClassifierWeights(String classifierWeights) {
            return new Settings(trainSplit, evalSplit, classifierImageSize, classifierEpochs, outputStride, pseudo,
                    maskRcnnMinSize, maskRcnnMaxSize, maskRcnnEpochs, upperBound, overlays, seed, classifierSchedule,
                    maskRcnnSchedule, classifierWeights, classifierBackboneLrFactor, maskRcnnMinScale);
        }

        /**
         * These settings with the classifier backbone's learning rate at {@code factor} × the head's:
         * below 1 a pretrained backbone (--classifier-weights) changes less while PRM's recipe
         * fine-tunes it on few images.
         */
        /** These settings with the Mask R-CNNs trained at scales drawn from [{@code scale}, 1] of their sizes. */
        public Settings withMaskRcnnMinScale(double scale) {
            return new Settings(trainSplit, evalSplit, classifierImageSize, classifierEpochs, outputStride, pseudo,
                    maskRcnnMinSize, maskRcnnMaxSize, maskRcnnEpochs, upperBound, overlays, seed, classifierSchedule,
                    maskRcnnSchedule, classifierWeights, classifierBackboneLrFactor, scale);
        }

        public Settings withClassifierBackboneLrFactor(double factor) {
            return new Settings(trainSplit, evalSplit, classifierImageSize, classifierEpochs, outputStride, pseudo,
                    maskRcnnMinSize, maskRcnnMaxSize, maskRcnnEpochs, upperBound, overlays, seed, classifierSchedule,
                    maskRcnnSchedule, classifierWeights, factor, maskRcnnMinScale);
        }

        /** The classifier's length as the run prints it: "12 epochs" or "900 iterations". */
        public String classifierLength() {
            return length(classifierSchedule, classifierEpochs);
        }

        /** The Mask R-CNNs' length as the run prints it. */
        public String maskRcnnLength() {
            return length(maskRcnnSchedule, maskRcnnEpochs);
        }

        private static String length(StepSchedule schedule, int epochs) {
            String s = schedule.byIterations() ? schedule.iterations() + " iterations" : epochs + " epochs";
            if (!schedule.lrSteps().isEmpty()) {
                s += ", lr × " + schedule.lrGamma() + " at steps " + schedule.lrSteps();
            }
            return s;
        }

        private static int median(int[] xs) {
            int[] s = xs.clone();
            java.util.Arrays.sort(s);
            return s[s.length / 2];
        }
    }

    /**
     * What a run produced.
     *
     * @param evalSplit    the split scored
     * @param evalImages   its images
     * @param table        per row (pseudo masks, WISE, upper bound, oracles) its scores
     * @param findings     what the table says about WISE's claim, in sentences
     * @param pseudoMasks  the scored split's pseudo masks against its objects (precision, object
     *                     recall, duplicates)
     * @param stageSeconds wall time of each stage in this call
     * @param metrics      the per-class reports of every row (JSON)
     * @param report       the HTML report
     */
    public record Result(String evalSplit, int evalImages, Map<String, Evaluation> table, List<String> findings,
            PseudoMaskDiagnostics pseudoMasks, Map<String, Double> stageSeconds, Path metrics, Path report) {}

    /**
     * Runs (or resumes) the pipeline into {@code out}, as {@code wiseseg run} does: the pseudo-mask
     * settings chosen by the default search ({@link SettingsSearch.Options#defaults}; pass
     * {@link SettingsSearch.Options#OFF} to the overload that takes options for {@code s}'s own).
     * Loads LibTorch itself. LibTorch runs the per-image stages on one thread (a parallel region on
     * one small image mostly waits; see bench/RESULTS.md); the process's thread count is restored
     * before this returns.
     *
     * @throws IllegalArgumentException when {@code out} holds a run with other settings, or the
     *                                  dataset lacks a split
     */
    public static Result run(VocDataset voc, Settings s, Path out, RunListener listener) throws IOException {
        return run(voc, s, SettingsSearch.Options.defaults(s.pseudo().peakThreshold()), SelfTraining.Settings.NONE, out,
                listener);
    }

    /**
     * As {@link #run(VocDataset, Settings, Path, RunListener)}; with {@code tuning} enabled, the
     * pseudo-mask settings are chosen after the classifier by a {@link SettingsSearch} on a seeded
     * part of the train split (its masks only; {@code tune.json}, resumable), and label both splits.
     */
    public static Result run(VocDataset voc, Settings s, SettingsSearch.Options tuning, Path out, RunListener listener)
            throws IOException {
        return run(voc, s, tuning, SelfTraining.Settings.NONE, out, listener);
    }

    /**
     * As {@link #run(VocDataset, Settings, Path, RunListener)}, then {@code selfTraining.rounds()}
     * rounds of {@link SelfTraining}, each a row {@link SelfTraining#ROW_PREFIX} k of the table.
     */
    public static Result run(VocDataset voc, Settings s, SelfTraining.Settings selfTraining, Path out,
            RunListener listener) throws IOException {
        return run(voc, s, SettingsSearch.Options.defaults(s.pseudo().peakThreshold()), selfTraining, out, listener);
    }

    /** The pipeline with a settings search ({@code tuning}) and self-training rounds, each optional. */
    public static Result run(VocDataset voc, Settings s, SettingsSearch.Options tuning,
            SelfTraining.Settings selfTraining, Path out, RunListener listener) throws IOException {
        return run(voc, s, tuning, selfTraining, Device.cpu(), out, listener);
    }

    /**
     * As above, with every network on {@code device} (the classifier, its peak response maps, the
     * Mask R-CNNs); proposals and their scoring stay on the CPU. The device is not a setting of
     * the run: a run started on one device resumes on another.
     */
    public static Result run(VocDataset voc, Settings s, SettingsSearch.Options tuning,
            SelfTraining.Settings selfTraining, Device device, Path out, RunListener listener) throws IOException {
        TorchRuntime.ensureLoaded();
        for (String split : List.of(s.trainSplit(), s.evalSplit())) {
            if (!voc.splits().contains(split)) {
                throw new IllegalArgumentException(voc.root() + ": no split '" + split + "' (has " + voc.splits() + ")");
            }
        }
        if (s.classifierWeights() != null) {
            checkClassifierWeights(Path.of(s.classifierWeights()));
        }
        Files.createDirectories(out);
        if (tuning.enabled()) { // a bad fraction or an empty pool is said before any training
            SettingsSearch.tuningImages(voc, s.trainSplit(), s.evalSplit(), tuning.fraction(), s.seed());
        }
        checkSettings(out, s, tuning, selfTraining);
        int threads = torch.get_num_threads();
        try {
            return stages(voc, s, tuning, selfTraining, device, out, threads, listener);
        } finally {
            torch.set_num_threads(threads);
        }
    }

    /** {@code threads}: LibTorch's thread count for the large work (the networks' training), the caller's. */
    private static Result stages(VocDataset voc, Settings s, SettingsSearch.Options tuning,
            SelfTraining.Settings selfTraining, Device device, Path out, int threads,
            RunListener listener) throws IOException {
        Map<String, Double> stageTimes = new LinkedHashMap<>();
        torch.manual_seed(s.seed());
        listener.stageDone(String.format(Locale.ROOT, "1/5 data: %d images (%d %s, %d %s) in %s",
                voc.labelled(s.trainSplit()).size() + voc.labelled(s.evalSplit()).size(),
                voc.labelled(s.trainSplit()).size(), s.trainSplit(), voc.labelled(s.evalSplit()).size(), s.evalSplit(),
                voc.root()));

        // 2. classifier, on image-level labels only
        long t0 = System.nanoTime();
        Path prmDir = out.resolve("prm");
        PrmConfig config = new PrmConfig(BACKBONE, WIDTH, voc.classes().names(), s.classifierWeights(),
                voc.root().toAbsolutePath().toString(), s.trainSplit(), s.classifierEpochs(), 16,
                s.classifierImageSize(), 1.25, 0.5, 0.02, s.classifierBackboneLrFactor(), true, 0.9, 1e-4, s.seed(), 100,
                s.outputStride())
                .withSchedule(s.classifierSchedule());
        PrmTrainer.Trained trained = ClassifierTraining.train(voc, config, prmDir, device, listener);
        List<Double> losses = trained.state().losses();
        stage(stageTimes, "PRM classifier", t0);
        listener.stageDone(String.format(Locale.ROOT,
                "2/5 PRM classifier (ResNet-18/%d, %d px, %s): loss %.3f → %.3f, checkpoint %s", WIDTH,
                s.classifierImageSize(), s.classifierLength(), mean(losses.subList(0, Math.min(10, losses.size()))),
                mean(losses.subList(Math.max(0, losses.size() - 10), losses.size())), prmDir));

        // 2b. the pseudo-mask settings chosen on tuning images of the train split (their masks only)
        SettingsSearch.Result tuned = null;
        if (tuning.enabled()) {
            torch.set_num_threads(1); // as the pseudo masks below
            t0 = System.nanoTime();
            tuned = SettingsSearch.inRun(voc, s.trainSplit(), s.evalSplit(), s.seed(), s.pseudo(), tuning,
                    trained.network(), config, new ProposalCache(out.resolve("proposals"),
                            new SelectiveSearch(SelectiveSearch.Options.fast())), out, listener);
            stage(stageTimes, "pseudo-mask settings search", t0);
            SettingsSearch.report(tuned, s.trainSplit(), out.resolve(SettingsSearch.FILE), listener);
            s = s.withPseudo(tuned.best());
        }

        // 3. pseudo masks for the scored split and the training split (a Mask R-CNN's targets).
        // From here on the tensors are small (one image, a narrow network): one LibTorch thread
        // makes the response maps ~20× faster on 2 cores than two (a 2-thread parallel region on
        // tiny tensors mostly waits; bench/RESULTS.md). Our native kernels keep their own threads.
        torch.set_num_threads(1);
        t0 = System.nanoTime();
        String rule = s.pseudo().rule();
        PseudoLabelling labelling = PseudoLabelling.fromClassifier(trained.network(), config,
                new ProposalCache(out.resolve("proposals"), new SelectiveSearch(SelectiveSearch.Options.fast())),
                s.pseudo());
        Map<String, Path> pseudo = new LinkedHashMap<>();
        for (String split : List.of(s.evalSplit(), s.trainSplit())) {
            Path file = out.resolve("pseudo-" + rule + "-" + split + ".json");
            labelling.labelSplit(voc, split, file, listener);
            pseudo.put(split, file);
        }
        stage(stageTimes, "pseudo masks", t0);
        listener.stageDone("3/5 pseudo masks (" + labelling.description() + "): " + pseudo.get(s.evalSplit()) + ", "
                + pseudo.get(s.trainSplit()));
        if (!labelling.timesSummary().isEmpty()) {
            listener.stageDone("    per image: " + labelling.timesSummary());
        }

        // 4. Mask R-CNN on the training split's pseudo masks (WISE) and on its ground truth (the
        //    upper bound); both start from the classifier's backbone, trained on the same images'
        //    image-level labels
        // batches of 4 images through the whole Mask R-CNN: large tensors again, every thread helps
        // (on 2 cores 2.4 steps/s against 1.8 on one; bench/RESULTS.md)
        torch.set_num_threads(threads);
        t0 = System.nanoTime();
        ResNet start = trained.network().backbone();
        List<ImagePrediction> wise = maskRcnn(voc, s, TrainingExamples.of(voc, voc.root(), s.trainSplit(),
                pseudo.get(s.trainSplit())), start, out.resolve("maskrcnn-" + rule), "Mask R-CNN on pseudo masks", device,
                listener);
        stage(stageTimes, "Mask R-CNN on pseudo masks (train + predict)", t0);
        listener.stageDone(String.format(Locale.ROOT, "4/5 Mask R-CNN (small ResNet-18-FPN, %d..%d px, %s) on "
                + "the pseudo masks: %s", s.maskRcnnMinSize(), s.maskRcnnMaxSize(), s.maskRcnnLength(),
                out.resolve("maskrcnn-" + rule)));
        List<ImagePrediction> upper = null;
        if (s.upperBound()) {
            t0 = System.nanoTime();
            upper = maskRcnn(voc, s, TrainingExamples.of(voc, voc.root(), s.trainSplit(), null), start,
                    out.resolve("maskrcnn-gt"), "Mask R-CNN on GT masks", device, listener);
            stage(stageTimes, "Mask R-CNN on GT masks (train + predict)", t0);
            listener.stageDone("    upper bound: the same Mask R-CNN on the ground-truth masks: "
                    + out.resolve("maskrcnn-gt"));
        }
        // 4b. self-training: each round's Mask R-CNN trained afresh on the previous one's
        //     confident predictions (SelfTraining)
        t0 = System.nanoTime();
        Settings chosen = s; // after the settings search, if any
        List<SelfTraining.Round> rounds = SelfTraining.run(voc, s.trainSplit(), selfTraining,
                tuned == null ? List.of() : tuned.imageIds(), out, rule,
                pseudo.get(s.trainSplit()), out.resolve("maskrcnn-" + rule), (masks, ignored, dir, what) -> maskRcnn(
                        voc, chosen, TrainingExamples.withIgnored(TrainingExamples.of(voc, voc.root(),
                                chosen.trainSplit(), masks), ignored), start, dir, what, device, listener),
                device, listener);
        if (!rounds.isEmpty()) {
            stage(stageTimes, "self-training (" + rounds.size() + " rounds)", t0);
        }

        // 5. evaluation, next to the oracles (the classifier on single images again: one thread)
        torch.set_num_threads(1);
        long evaluation = System.nanoTime(); // a span of the trace (the report's stage times end at 4b)
        List<AnnotatedImage> truth = voc.annotated(s.evalSplit());
        CocoDataset asCoco = new CocoDataset(voc.classes(), CocoDataset.defaultCategoryIds(voc.classes()), truth, Map.of());
        List<ImagePrediction> pseudoEval = CocoJson.readResults(pseudo.get(s.evalSplit()), asCoco);
        Map<String, List<ImagePrediction>> rows = new LinkedHashMap<>();
        rows.put(PSEUDO_ROW, pseudoEval);
        rows.put(WISE_ROW, wise);
        rounds.forEach(r -> rows.put(r.row(), r.predictions()));
        if (upper != null) {
            rows.put(UPPER_ROW, upper);
        }
        rows.put(BOX_ORACLE_ROW, Baselines.groundTruthBoxes(truth));
        rows.put(MASK_ORACLE_ROW, Baselines.groundTruthMasks(truth));
        Map<String, Evaluation> table = new LinkedHashMap<>();
        ObjectNode metrics = new ObjectMapper().createObjectNode();
        Map<String, double[]> numbers = new LinkedHashMap<>();
        for (var row : rows.entrySet()) {
            Evaluation e = Evaluation.of(truth, row.getValue(), voc.classes());
            table.put(row.getKey(), e);
            numbers.put(row.getKey(), e.row());
            metrics.set(row.getKey(), e.toJson());
        }
        List<String> findings = RunReport.findings(numbers, PSEUDO_ROW, WISE_ROW, upper != null ? UPPER_ROW : null);
        PseudoMaskDiagnostics diagnostics = Evaluation.pseudoMaskDiagnostics(truth, pseudoEval, voc.classes());
        ((ObjectNode) metrics.get(PSEUDO_ROW)).set("diagnostics", diagnostics.toJson());
        // what any rule picking proposals could reach (the pseudo masks cached them)
        List<ProposalRecall> ceiling = ProposalCeiling.of(voc, truth, new ProposalCache(out.resolve("proposals"),
                new SelectiveSearch(SelectiveSearch.Options.fast())), listener, 100, 0);
        ((ObjectNode) metrics.get(PSEUDO_ROW)).set("proposalCeiling",
                new ObjectMapper().valueToTree(ceiling.stream().map(ProposalRecall::toJson).toList()));
        if (ceiling.get(0).objects() > 0) {
            findings.add(RunReport.proposalFinding(s.evalSplit(), ceiling, diagnostics));
        }
        // whether the classifier whose peaks seeded the masks can name the objects at all
        IsolatedObjects alone = IsolatedObjects.of(new PeakResponseMaps(trained.network(),
                new PeakStimulation(new PeakFinder(device)), PeakResponseMaps.DEFAULT_CLASS_THRESHOLD,
                PeakResponseMaps.DEFAULT_PEAK_THRESHOLD), voc, truth, s.classifierImageSize(), listener); // truth: read above
        ((ObjectNode) metrics.get(PSEUDO_ROW)).set("objectsAlone", alone.toJson());
        if (alone.objects() > 0) {
            findings.add(RunReport.classifierFinding(s.evalSplit(), alone));
        }
        Map<String, PseudoMaskDiagnostics> trainingMasks = SelfTraining.report(voc, s.trainSplit(),
                pseudo.get(s.trainSplit()), rounds, numbers, metrics, findings);
        Path metricsFile = out.resolve("metrics-" + rule + ".json");
        writeJson(metricsFile, metrics);

        Map<String, List<ImagePrediction>> panels = new LinkedHashMap<>();
        panels.put("pseudo masks (" + rule + ")", pseudoEval);
        panels.put("Mask R-CNN on pseudo masks", onlyConfident(wise));
        if (upper != null) {
            panels.put("Mask R-CNN on GT masks", onlyConfident(upper));
        }
        List<String> titles = new ArrayList<>(List.of("ground truth"));
        titles.addAll(panels.keySet());
        List<Path> shown = OverlaySheets.write(voc, truth, panels, titles, s.overlays(), out.resolve("overlays-" + rule));
        Path report = out.resolve("report-" + rule + ".html");
        RunReport.write(report, new RunReport.Content("WISE on " + voc.root().getFileName() + ", rule " + rule,
                describe(voc, s, selfTraining), numbers, findings, diagnostics, stageTimes, titles, shown,
                trainingMasks), tuned == null ? List.of() : List.of(tuned.html()));
        Trace.complete("evaluation + report", "run", evaluation, System.nanoTime());
        listener.stageDone("5/5 metrics in " + metricsFile + "; report in " + report + " (" + shown.size()
                + " overlays: " + String.join(" | ", titles) + ")");
        return new Result(s.evalSplit(), truth.size(), table, findings, diagnostics, stageTimes, metricsFile, report);
    }

    /**
     * The Mask R-CNNs' gradient norm limit: it only stops a divergence. Healthy steps stay far
     * below it (hard family, first 120 steps: mean 3.7, max 25), while a 4-image set at lr 0.02
     * blew up within 20 steps without it (norms 200, 646, 4,216, then NaN).
     */
    public static final double MAX_GRAD_NORM = 100;

    /** Trains (or resumes) a Mask R-CNN in {@code dir} and predicts the scored split (read back when done). */
    private static List<ImagePrediction> maskRcnn(VocDataset voc, Settings s, List<MaskRcnnTrainer.Example> examples,
            ResNet start, Path dir, String what, Device device, RunListener listener) throws IOException {
        Path predictions = dir.resolve("predictions-" + s.evalSplit() + ".json");
        ProgressListener prefixed = (task, done, total) -> listener.progress(what + ": " + task, done, total);
        torch.manual_seed(s.seed());
        MaskRcnnConfig config = MaskRcnnConfig.small(voc.classes().size() + 1)
                .withSizes(s.maskRcnnMinSize(), s.maskRcnnMaxSize()).withTrainableBackboneLayers(5);
        // warm-up: 100 iterations, or an eighth of a short run's
        int steps = s.maskRcnnSchedule().byIterations() ? s.maskRcnnSchedule().iterations()
                : s.maskRcnnEpochs() * ((examples.size() + 3) / 4);
        MaskRcnnTrainer.Options options = MaskRcnnTrainer.Options.wise(s.maskRcnnEpochs(), 4, 0.02,
                Math.min(100, steps / 8), true, s.seed()).withSchedule(s.maskRcnnSchedule()).withMaxGradNorm(MAX_GRAD_NORM)
                .withMinScale(s.maskRcnnMinScale());
        if (Files.isRegularFile(predictions)) { // finished earlier: only the predictions are needed
            return MaskRcnnTraining.readPredictions(voc, s.evalSplit(), predictions);
        }
        MaskRcnn net = MaskRcnnTraining.train(voc.classes(), examples, config, options, start, dir, device, prefixed);
        return MaskRcnnTraining.predict(net, voc, s.evalSplit(), predictions, prefixed);
    }

    /** Mask R-CNN detections shown in overlays: score at least 0.5 (all of them are scored). */
    private static List<ImagePrediction> onlyConfident(List<ImagePrediction> predictions) {
        return predictions.stream().map(p -> new ImagePrediction(p.imageId(), p.height(), p.width(),
                p.instances().stream().filter(i -> i.score() >= 0.5).toList())).toList();
    }

    private static Map<String, Object> describe(VocDataset voc, Settings s, SelfTraining.Settings selfTraining) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("dataset", voc.root() + ": " + voc.classes().size() + " classes, train split '" + s.trainSplit()
                + "', scored split '" + s.evalSplit() + "', seed " + s.seed());
        m.put("PRM classifier", "ResNet-18 at width " + WIDTH + ", output stride " + s.outputStride() + ", "
                + (s.classifierWeights() == null ? "from scratch" : "backbone from " + s.classifierWeights()) + ", "
                + s.classifierLength() + ", " + s.classifierImageSize() + " px"
                + (s.classifierBackboneLrFactor() == Settings.DEFAULT_BACKBONE_LR_FACTOR ? ""
                        : ", backbone learning rate × " + s.classifierBackboneLrFactor()));
        m.put("pseudo masks", "rule " + s.pseudo().rule() + ", seeds from the peaks of "
                + (s.pseudo().imageLabels() ? "each image's labelled classes" : "every class scored present")
                + ", selective search (fast) proposals"
                + (s.pseudo().mergeIou() == PseudoLabelling.Settings.NO_MERGE ? ""
                        : ", seeds of one class merged at mask IoU >= " + s.pseudo().mergeIou())
                + (s.pseudo().classConflictIou() == PseudoLabelling.Settings.NO_CLASS_CONFLICTS ? ""
                        : ", one class per object at mask IoU >= " + s.pseudo().classConflictIou()));
        m.put("Mask R-CNN", "ResNet-18-FPN at width " + WIDTH + ", backbone from the PRM classifier, "
                + s.maskRcnnLength() + ", batch 4, lr 0.02, " + s.maskRcnnMinSize() + ".." + s.maskRcnnMaxSize()
                + " px" + (s.maskRcnnMinScale() == 1 ? "" : ", trained at scales drawn from " + s.maskRcnnMinScale()
                        + "..1 of that"));
        if (selfTraining.rounds() > 0) {
            m.put("self-training", selfTraining.rounds() + " rounds: the previous Mask R-CNN's predictions on the "
                    + "train images scored >= " + (selfTraining.tuneScore() ? "a threshold chosen each round on the "
                            + "tuning images (F1 of precision and object recall)" : selfTraining.scoreThreshold())
                    + ", of each image's labelled classes, "
                    + "one per object (same class, mask IoU >= " + SelfTraining.SAME_OBJECT_IOU + "); an image with "
                    + "none keeps its previous masks" + (selfTraining.ignoreScore() == null ? "" : "; its other "
                    + "predictions scored >= " + selfTraining.ignoreScore() + " not on a training mask are ignored "
                    + "regions (never sampled as background)") + "; each round's Mask R-CNN trained afresh as above");
        }
        return m;
    }

    static final String SETTINGS_FILE = "run.json";

    /** A folder made with other settings would mix runs: refuse it, naming what differs. */
    /**
     * Checks that {@code run} is a train-classifier run whose backbone can start a run's
     * classifier (a ResNet-18 at width 16).
     *
     * @throws IllegalArgumentException saying what {@code run} is instead
     */
    public static void checkClassifierWeights(Path run) {
        if (!PrmCheckpoint.isRun(run)) {
            throw new IllegalArgumentException(run + (Files.exists(run) ? " is not a train-classifier run (no "
                    + PrmCheckpoint.CONFIG + " and " + PrmCheckpoint.MODEL + ")" : ": no such folder"));
        }
        PrmConfig c = PrmCheckpoint.config(run);
        if (!c.backbone().equals(BACKBONE) || c.width() != WIDTH) {
            throw new IllegalArgumentException(run + " holds a " + c.backbone() + " at width " + c.width()
                    + "; a run's classifier is a " + BACKBONE + " at width " + WIDTH
                    + " (train-classifier --backbone " + BACKBONE + " --width " + WIDTH + ")");
        }
    }

    static void checkSettings(Path out, Settings s) throws IOException {
        checkSettings(out, s, SettingsSearch.Options.OFF, SelfTraining.Settings.NONE);
    }

    static void checkSettings(Path out, Settings s, SettingsSearch.Options tuning) throws IOException {
        checkSettings(out, s, tuning, SelfTraining.Settings.NONE);
    }

    static void checkSettings(Path out, Settings s, SelfTraining.Settings selfTraining) throws IOException {
        checkSettings(out, s, SettingsSearch.Options.OFF, selfTraining);
    }

    /**
     * As {@link #checkSettings(Path, Settings)}; a settings search is recorded (as "tune") only
     * when enabled, self-training only with rounds.
     */
    static void checkSettings(Path out, Settings s, SettingsSearch.Options tuning, SelfTraining.Settings selfTraining)
            throws IOException {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode want = (ObjectNode) json.readTree(json.writeValueAsString(s)); // as read back: 0L is an IntNode
        if (tuning.enabled()) { // runs without a search keep the run.json they had
            ObjectNode tune = json.createObjectNode().put("fraction", tuning.fraction())
                    .put("grid", tuning.grid().spec());
            if (tuning.metric() != SettingsSearch.Metric.AP50) { // recorded only when not the one runs had before it
                tune.put("metric", tuning.metric().word());
            }
            want.set("tune", tune);
        }
        // neither how many PNGs to draw nor whether the upper bound is added changes a result
        want.remove(List.of("overlays", "upperBound"));
        // no merge is how runs were made before the setting existed: their folders stay valid
        if (s.pseudo().mergeIou() == PseudoLabelling.Settings.NO_MERGE) {
            ((ObjectNode) want.get("pseudo")).remove("mergeIou");
        }
        // and no resolution of class conflicts
        if (s.pseudo().classConflictIou() == PseudoLabelling.Settings.NO_CLASS_CONFLICTS) {
            ((ObjectNode) want.get("pseudo")).remove("classConflictIou");
        }
        // likewise a classifier from scratch
        if (s.classifierWeights() == null) {
            want.remove("classifierWeights");
        }
        // and the backbone's full learning rate (the one runs had before the setting existed)
        if (s.classifierBackboneLrFactor() == Settings.DEFAULT_BACKBONE_LR_FACTOR) {
            want.remove("classifierBackboneLrFactor");
        }
        // and Mask R-CNNs trained at one scale
        if (s.maskRcnnMinScale() == 1) {
            want.remove("maskRcnnMinScale");
        }
        Path file = out.resolve(SETTINGS_FILE);
        if (Files.exists(file)) {
            JsonNode have = json.readTree(file.toFile());
            ((ObjectNode) have).remove(List.of("overlays", "upperBound"));
            // a run made before schedules by iterations trained both stages by epochs
            JsonNode epochs = json.readTree(json.writeValueAsString(StepSchedule.EPOCHS));
            for (String f : List.of("classifierSchedule", "maskRcnnSchedule")) {
                if (have.isObject() && !have.has(f)) {
                    ((ObjectNode) have).set(f, epochs);
                }
            }
            // self-training is recorded only with rounds (older folders stay valid); its block is
            // compared on its own (SelfTraining.checkRecorded): more or fewer rounds extend or cut a run
            JsonNode haveRounds = ((ObjectNode) have).remove(SelfTraining.SETTINGS_KEY);
            if (!have.equals(want)) {
                List<String> diffs = new ArrayList<>();
                differences("", have, want, diffs);
                // runs made before the search was on by default resume with --tune-fraction 0
                String hint = !have.has("tune") && want.has("tune") ? "; it was made without a settings search: "
                        + "add --tune-fraction 0 (SettingsSearch.Options.OFF) to resume it" : "";
                throw new IllegalArgumentException(out + " holds a run with other settings (" + String.join(", ", diffs)
                        + ")" + hint + "; use another folder or delete it");
            }
            JsonNode rounds = SelfTraining.checkRecorded(out, haveRounds, selfTraining);
            if (rounds != null && !rounds.equals(haveRounds)) {
                writeJson(file, want.set(SelfTraining.SETTINGS_KEY, rounds));
            }
            return;
        }
        JsonNode rounds = SelfTraining.checkRecorded(out, null, selfTraining);
        writeJson(file, rounds == null ? want : want.set(SelfTraining.SETTINGS_KEY, rounds));
    }

    private static void differences(String path, JsonNode have, JsonNode want, List<String> out) {
        if (have.isObject() && want.isObject()) {
            var names = new java.util.TreeSet<String>();
            have.fieldNames().forEachRemaining(names::add);
            want.fieldNames().forEachRemaining(names::add);
            for (String n : names) {
                differences(path.isEmpty() ? n : path + "." + n, have.path(n), want.path(n), out);
            }
        } else if (!have.equals(want)) {
            out.add(path + ": " + have + " → " + want);
        }
    }

    private static void writeJson(Path file, Object value) throws IOException {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        AtomicFiles.write(file, tmp -> json.writeValue(tmp.toFile(), value));
    }

    /** The seconds since {@code t0} as a stage of the report; the same interval as a span of the trace, if any. */
    private static void stage(Map<String, Double> stageTimes, String name, long t0) {
        long now = System.nanoTime();
        Trace.complete(name, "run", t0, now);
        stageTimes.put(name, (now - t0) / 1e9);
    }

    private static double mean(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }
}
