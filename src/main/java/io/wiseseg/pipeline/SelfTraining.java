package io.wiseseg.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wiseseg.backbone.ResNet;
import io.wiseseg.data.AnnotatedImage;
import io.wiseseg.data.Box;
import io.wiseseg.data.ClassSet;
import io.wiseseg.data.CocoDataset;
import io.wiseseg.data.CocoJson;
import io.wiseseg.data.ImagePrediction;
import io.wiseseg.data.Instance;
import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.VocDataset;
import io.wiseseg.eval.PseudoMaskDiagnostics;
import io.wiseseg.kernels.Device;
import io.wiseseg.maskrcnn.MaskRcnnCheckpoint;
import io.wiseseg.maskrcnn.Predictor;
import io.wiseseg.pseudo.InstanceNms;
import io.wiseseg.pseudo.PseudoInstance;
import io.wiseseg.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.bytedeco.javacpp.PointerScope;

/**
 * Self-training after WISE: round k's Mask R-CNN predicts the training split's images; its
 * confident predictions of each image's labelled classes (the image-level labels, still the only
 * supervision), one per object, become round k + 1's pseudo masks, and a Mask R-CNN trained on
 * them with round 0's recipe is scored on the eval split. Round 0 is WISE itself (the Mask R-CNN
 * on the pseudo stage's masks).
 *
 * <p>Per image, a prediction is kept when its score is at least {@link Settings#scoreThreshold()},
 * its class is one of the image's labels and its mask is not empty; of kept predictions of one
 * class whose masks overlap at IoU ≥ {@link #SAME_OBJECT_IOU}, only the best-scored stays
 * ({@link InstanceNms#sameClass}). <b>An image left with no kept prediction keeps its previous
 * round's pseudo masks</b>, so no training image loses all its targets to a round whose model
 * missed it.
 *
 * <p>Files, for rule {@code R} and train split {@code T}: {@code pseudo-R-T-rK.json} (round K's
 * training masks, COCO results as the pseudo stage writes) and {@code maskrcnn-R-rK/} (its Mask
 * R-CNN, checkpoints and eval-split predictions), and {@code pseudo-R-T-rK-fallbacks.txt} (the images
 * that kept round K − 1's masks). Each is written atomically once complete, and
 * training resumes from its epoch checkpoints, so a killed run resumes in the round and stage
 * it stopped in.
 */
public final class SelfTraining {
    /** The results-table row of round {@code k} is this followed by k. */
    public static final String ROW_PREFIX = "self-training round ";
    /** Kept predictions of one class overlapping at this mask IoU or more are one object. */
    public static final double SAME_OBJECT_IOU = 0.5;

    private SelfTraining() {}

    /**
     * How many rounds, and which predictions become pseudo masks.
     *
     * @param rounds         self-training rounds after WISE (0: none, WISE as it is)
     * @param scoreThreshold keep predictions scored at least this. The default, 0.5, is the score
     *                       the run's overlays and the serve page show detections at (and
     *                       torchvision's visualisation default): a detection the model itself
     *                       calls more likely present than not. With the fallback rule a higher
     *                       one mostly leaves more images on their old masks.
     * @param tuneScore      choose each round's threshold of {@link #SCORE_CANDIDATES} on the run's
     *                       tuning images instead ({@link #chooseScore}); {@code scoreThreshold} then
     *                       serves only a run without tuning images
     * @param ignoreScore    null, or: the model's predictions scored at least this that the round does
     *                       not keep (below the threshold, of a class the image is not labelled with)
     *                       become ignored regions of its training images ({@link #ignoredRegions}):
     *                       the round's model never learns them as background
     */
    public record Settings(int rounds, double scoreThreshold, boolean tuneScore, Double ignoreScore) {
        public static final double DEFAULT_SCORE = 0.5;
        /** No self-training. */
        public static final Settings NONE = new Settings(0, DEFAULT_SCORE);

        public Settings {
            if (rounds < 0) {
                throw new IllegalArgumentException("self-training rounds must be >= 0, got " + rounds);
            }
            if (!(scoreThreshold >= 0 && scoreThreshold <= 1)) {
                throw new IllegalArgumentException("the round score threshold must be in [0, 1], got " + scoreThreshold);
            }
            if (ignoreScore != null && !(ignoreScore >= 0 && ignoreScore <= 1)) {
                throw new IllegalArgumentException("the round's ignore score must be in [0, 1], got " + ignoreScore);
            }
        }

        /** A fixed threshold. */
        public Settings(int rounds, double scoreThreshold) {
            this(rounds, scoreThreshold, false, null);
        }

        /** Each round's threshold chosen on the run's tuning images. */
        public static Settings tuned(int rounds) {
            return new Settings(rounds, DEFAULT_SCORE, true, null);
        }

        /** These settings with ignored regions from predictions scored at least {@code score}. */
        public Settings withIgnoreScore(double score) {
            return new Settings(rounds, scoreThreshold, tuneScore, score);
        }
    }

    /** run.json's and the CLI's word for a score threshold chosen on the tuning images. */
    public static final String SCORE_TUNED = "tuned";

    /** The thresholds a tuned round chooses from. */
    public static final List<Double> SCORE_CANDIDATES = List.of(0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9);

    /**
     * One candidate threshold's training masks on the tuning images against their objects.
     * F1 of precision and object recall (IoU 0.5) ranks them: a Mask R-CNN learns from every
     * training mask alike, whatever its score, so the masks' ranking (what AP measures) does not
     * matter here, only how many are right and how many objects they cover.
     */
    public record ScoreCandidate(double score, int masks, int objects, double precision, double recall, double f1) {
        static ScoreCandidate of(double score, PseudoMaskDiagnostics d) {
            return new ScoreCandidate(score, d.pseudoMasks(), d.objects(), d.precisionOrZero(), d.recallOrZero(),
                    d.f1());
        }
    }

    /** A round's chosen threshold and every candidate's numbers, in {@link #SCORE_CANDIDATES}' order. */
    public record ScoreChoice(double chosen, List<String> imageIds, List<ScoreCandidate> candidates) {
        ObjectNode toJson() {
            ObjectNode o = JsonNodeFactory.instance.objectNode().put("chosen", chosen);
            imageIds.forEach(o.putArray("images")::add);
            var a = o.putArray("candidates");
            for (ScoreCandidate c : candidates) {
                a.addObject().put("score", c.score()).put("masks", c.masks()).put("objects", c.objects())
                        .put("precision", c.precision()).put("recall", c.recall()).put("f1", c.f1());
            }
            return o;
        }

        static ScoreChoice fromJson(JsonNode o) {
            List<ScoreCandidate> cs = new ArrayList<>();
            for (JsonNode c : o.get("candidates")) {
                cs.add(new ScoreCandidate(c.get("score").asDouble(), c.get("masks").asInt(), c.get("objects").asInt(),
                        c.get("precision").asDouble(), c.get("recall").asDouble(), c.get("f1").asDouble()));
            }
            List<String> ids = new ArrayList<>();
            o.get("images").forEach(i -> ids.add(i.asText()));
            return new ScoreChoice(o.get("chosen").asDouble(), ids, cs);
        }

        /** One line: the chosen threshold and each candidate's F1. */
        String line() {
            return String.format(Locale.ROOT, "score threshold %.1f chosen on %d tuning images (F1 of precision and "
                    + "object recall: %s)", chosen, imageIds.size(), candidates.stream().map(c -> String.format(
                            Locale.ROOT, "%.1f: %.3f", c.score(), c.f1())).collect(Collectors.joining(", ")));
        }
    }

    /**
     * The threshold of {@link #SCORE_CANDIDATES} whose selected masks ({@link #select}, fallback
     * included) on the tuning images {@code tune} best match their objects: highest F1, ties to
     * the candidate nearest {@link Settings#DEFAULT_SCORE}, then the lower.
     *
     * @param predicted the model's predictions of the tuning images, by image id
     * @param previous  the previous round's masks of the tuning images, by image id
     */
    static ScoreChoice chooseScore(List<AnnotatedImage> tune, Map<String, ImagePrediction> predicted,
            Map<String, ImagePrediction> previous, ClassSet classes) {
        List<ScoreCandidate> cs = new ArrayList<>();
        ScoreCandidate best = null;
        for (double t : SCORE_CANDIDATES) {
            List<ImagePrediction> masks = new ArrayList<>();
            for (AnnotatedImage a : tune) {
                masks.add(select(a.image(), predicted.get(a.image().id()), previous.get(a.image().id()), t).masks());
            }
            ScoreCandidate c = ScoreCandidate.of(t, Evaluation.pseudoMaskDiagnostics(tune, masks, classes));
            cs.add(c);
            if (best == null || c.f1() > best.f1() || (c.f1() == best.f1()
                    && Math.abs(c.score() - Settings.DEFAULT_SCORE) < Math.abs(best.score() - Settings.DEFAULT_SCORE))) {
                best = c; // candidates ascend, so of two equally near the default the lower stays
            }
        }
        return new ScoreChoice(best.score(), tune.stream().map(a -> a.image().id()).toList(), cs);
    }

    /** One image's next pseudo masks, and whether they are the previous round's (no prediction kept). */
    public record Choice(ImagePrediction masks, boolean fellBack) {}

    /**
     * One image's pseudo masks for the next round from the model's {@code predicted} instances (any
     * order): those scored ≥ {@code threshold}, of a class {@code image} is labelled with, with a
     * non-empty mask, one per object (same class, mask IoU ≥ {@link #SAME_OBJECT_IOU}: the best
     * score stays); each with its mask's tight box and the model's score. None kept: {@code previous}.
     */
    public static Choice select(LabelledImage image, ImagePrediction predicted, ImagePrediction previous,
            double threshold) {
        List<Instance> candidates = new ArrayList<>();
        for (Instance in : predicted.instances()) {
            if (in.score() >= threshold && image.hasLabel(in.classId()) && in.mask().area() > 0) {
                candidates.add(in);
            }
        }
        List<PseudoInstance> wrapped = new ArrayList<>();
        for (int i = 0; i < candidates.size(); i++) {
            Instance in = candidates.get(i);
            wrapped.add(new PseudoInstance(i, in.classId(), -1, in.mask(), in.score(), List.of()));
        }
        List<Instance> kept = new ArrayList<>();
        for (PseudoInstance p : InstanceNms.sameClass(SAME_OBJECT_IOU).apply(wrapped)) {
            Instance in = candidates.get(p.seed());
            kept.add(Instance.of(in.classId(), in.mask(), in.score()));
        }
        if (kept.isEmpty()) {
            return new Choice(previous, true);
        }
        return new Choice(new ImagePrediction(image.id(), predicted.height(), predicted.width(), kept), false);
    }

    /**
     * One round's outcome.
     *
     * @param round          its number, from 1
     * @param row            its row of the results table
     * @param trainingMasks  its training masks' file
     * @param maskRcnnDir    its Mask R-CNN's folder
     * @param predictions    that Mask R-CNN's predictions on the eval split
     * @param fellBack       training images that kept the previous round's masks
     * @param trainImages    training images
     * @param diagnostics    its training masks against the training split's objects
     * @param scoreThreshold the score its training masks were kept at
     * @param scoreChoice    how that threshold was chosen on the tuning images; null when fixed
     * @param ignored        its ignored regions against the training split's objects; null without
     */
    public record Round(int round, String row, Path trainingMasks, Path maskRcnnDir, List<ImagePrediction> predictions,
            int fellBack, int trainImages, PseudoMaskDiagnostics diagnostics, double scoreThreshold,
            ScoreChoice scoreChoice, IgnoredRegions ignored) {}

    /**
     * A round's ignored regions: how many, and how many of them lie on an object its training
     * masks miss (box IoU ≥ 0.5 with the box of an object no training mask of its class hits at
     * mask IoU ≥ 0.5): what the regions are for.
     */
    public record IgnoredRegions(double score, int regions, int onMissedObjects) {
        ObjectNode toJson() {
            return JsonNodeFactory.instance.objectNode().put("score", score).put("regions", regions)
                    .put("onMissedObjects", onMissedObjects);
        }

        static IgnoredRegions of(double score, List<AnnotatedImage> truth, List<ImagePrediction> training,
                Map<String, List<Box>> ignored) {
            Map<String, ImagePrediction> byId = new HashMap<>();
            training.forEach(p -> byId.put(p.imageId(), p));
            int regions = 0, onMissed = 0;
            for (AnnotatedImage a : truth) {
                List<Box> boxes = ignored.getOrDefault(a.image().id(), List.of());
                regions += boxes.size();
                ImagePrediction masks = byId.get(a.image().id());
                List<Box> missed = new ArrayList<>();
                for (Instance object : a.instances()) {
                    boolean hit = false;
                    for (Instance m : masks == null ? List.<Instance>of() : masks.instances()) {
                        hit |= m.classId() == object.classId() && m.mask().iou(object.mask()) >= PseudoMaskDiagnostics.IOU;
                    }
                    if (!hit && !object.mask().isEmpty()) {
                        missed.add(object.mask().bbox());
                    }
                }
                for (Box b : boxes) {
                    if (missed.stream().anyMatch(o -> o.iou(b) >= PseudoMaskDiagnostics.IOU)) {
                        onMissed++;
                    }
                }
            }
            return new IgnoredRegions(score, regions, onMissed);
        }

        String line() {
            return String.format(Locale.ROOT, "%d ignored regions (predictions scored >= %.2f not kept), %d of them on "
                    + "an object the training masks miss", regions, score, onMissedObjects);
        }
    }


    /**
     * Trains round {@code k}'s Mask R-CNN on the given training masks (and ignored regions: a file of
     * {@link #readIgnored}, or null) and predicts the eval split.
     */
    interface Trainer {
        List<ImagePrediction> train(Path trainingMasks, Path ignored, Path dir, String what) throws IOException;
    }

    /**
     * An image's ignored regions: the boxes of {@code predicted}'s instances scored at least
     * {@code floor} with a non-empty mask that overlap none of the image's training masks
     * ({@code kept}) at mask IoU ≥ {@link #SAME_OBJECT_IOU}, whatever their class. The image's
     * objects are all of its labelled classes, so a confident detection of another class is most
     * likely an object under the wrong name; below the round's threshold, an object the model is
     * unsure of. Either way the next model should not learn it as background.
     */
    public static List<Box> ignoredRegions(ImagePrediction predicted, ImagePrediction kept, double floor) {
        List<Box> out = new ArrayList<>();
        for (Instance in : predicted.instances()) {
            if (in.score() < floor || in.mask().area() == 0) {
                continue;
            }
            boolean trained = false;
            for (Instance k : kept.instances()) {
                trained |= k.mask().iou(in.mask()) >= SAME_OBJECT_IOU;
            }
            if (!trained) {
                out.add(in.mask().bbox());
            }
        }
        return out;
    }

    /** Writes each image's ignored regions (x1, y1, x2, y2 boxes in pixels), by image id. */
    static void writeIgnored(Path file, double floor, Map<String, List<Box>> byImage) throws IOException {
        ObjectNode o = JsonNodeFactory.instance.objectNode().put("score", floor);
        ObjectNode images = o.putObject("images");
        byImage.forEach((id, boxes) -> {
            var a = images.putArray(id);
            for (Box b : boxes) {
                a.addArray().add(b.x1()).add(b.y1()).add(b.x2()).add(b.y2());
            }
        });
        AtomicFiles.writeString(file, o.toPrettyString());
    }

    /** A file of {@link #writeIgnored}: each image's ignored boxes, by image id. */
    public static Map<String, List<Box>> readIgnored(Path file) throws IOException {
        JsonNode images = new ObjectMapper().readTree(file.toFile()).get("images");
        if (images == null || !images.isObject()) {
            throw new IOException(file + ": no \"images\" object of ignored regions");
        }
        Map<String, List<Box>> out = new HashMap<>();
        for (var e : images.properties()) {
            List<Box> boxes = new ArrayList<>();
            for (JsonNode b : e.getValue()) {
                if (b.size() != 4) {
                    throw new IOException(file + ": image " + e.getKey() + ": a box needs 4 numbers, got " + b);
                }
                boxes.add(new Box((float) b.get(0).asDouble(), (float) b.get(1).asDouble(), (float) b.get(2).asDouble(),
                        (float) b.get(3).asDouble()));
            }
            out.put(e.getKey(), boxes);
        }
        return out;
    }

    /**
     * Runs (or resumes) rounds 1..{@code settings.rounds()} after round 0, whose training masks are
     * {@code round0Masks} and whose Mask R-CNN (finished) is in {@code round0Dir}. {@code tuneIds}:
     * the run's tuning images (train-split images whose masks the run may read), where a tuned
     * score threshold is chosen; without them a tuned round keeps {@link Settings#scoreThreshold()}.
     */
    static List<Round> run(VocDataset voc, String trainSplit, Settings settings, List<String> tuneIds, Path out,
            String rule, Path round0Masks, Path round0Dir, Trainer trainer, Device device, RunListener listener)
            throws IOException {
        List<Round> rounds = new ArrayList<>();
        List<LabelledImage> images = voc.labelled(trainSplit);
        CocoDataset blank = new CocoDataset(voc.classes(), CocoDataset.defaultCategoryIds(voc.classes()),
                images.stream().map(li -> new AnnotatedImage(li, List.of(), null)).toList(), Map.of());
        List<AnnotatedImage> truth = null; // the training split's objects, read for the diagnostics only
        Path previousMasks = round0Masks, previousDir = round0Dir;
        for (int k = 1; k <= settings.rounds(); k++) {
            Path masks = out.resolve("pseudo-" + rule + "-" + trainSplit + "-r" + k + ".json");
            Path dir = out.resolve("maskrcnn-" + rule + "-r" + k);
            String what = "self-training round " + k;
            Path fallbacks = sibling(masks, "-fallbacks.txt"), scoreFile = sibling(masks, "-score.json");
            Path ignoreFile = settings.ignoreScore() == null ? null : sibling(masks, "-ignore.json");
            boolean tuned = settings.tuneScore() && !tuneIds.isEmpty();
            if (!Files.isRegularFile(masks)) {
                if (truth == null) {
                    truth = voc.annotated(trainSplit);
                }
                List<AnnotatedImage> tune = tuned ? truth.stream().filter(a -> tuneIds.contains(a.image().id()))
                        .toList() : List.of();
                List<String> kept = new ArrayList<>();
                MaskChoice next = nextMasks(voc, images, tune, CocoJson.readResults(previousMasks, blank), previousDir,
                        settings.scoreThreshold(), settings.ignoreScore(), what, device, listener, kept);
                // the score and the list first: a masks file on disk always has them
                if (next.choice() != null) {
                    AtomicFiles.writeString(scoreFile, next.choice().toJson().toPrettyString());
                } else {
                    Files.deleteIfExists(scoreFile);
                }
                AtomicFiles.writeString(fallbacks, kept.stream().map(id -> id + "\n").collect(Collectors.joining()));
                if (ignoreFile != null) {
                    writeIgnored(ignoreFile, settings.ignoreScore(), next.ignored());
                }
                CocoJson.writeResults(masks, next.masks(), voc.classes());
            }
            if (ignoreFile != null && !Files.isRegularFile(ignoreFile)) {
                throw new IOException(masks + " was made without ignored regions (" + ignoreFile.getFileName()
                        + " is missing); use another folder or delete the round's files");
            }
            ScoreChoice choice = Files.isRegularFile(scoreFile)
                    ? ScoreChoice.fromJson(new ObjectMapper().readTree(scoreFile.toFile())) : null;
            double threshold = choice != null ? choice.chosen() : settings.scoreThreshold();
            if (choice != null) {
                listener.stageDone("    " + what + ": " + choice.line());
            }
            List<ImagePrediction> training = CocoJson.readResults(masks, blank);
            int fellBack = Files.readAllLines(fallbacks).size();
            if (truth == null) {
                truth = voc.annotated(trainSplit);
            }
            IgnoredRegions ignored = null;
            if (ignoreFile != null) {
                ignored = IgnoredRegions.of(settings.ignoreScore(), truth, training, readIgnored(ignoreFile));
                listener.stageDone("    " + what + ": " + ignored.line());
            }
            List<ImagePrediction> predictions = trainer.train(masks, ignoreFile, dir, what);
            PseudoMaskDiagnostics d = Evaluation.pseudoMaskDiagnostics(truth, training, voc.classes());
            rounds.add(new Round(k, ROW_PREFIX + k, masks, dir, predictions, fellBack, images.size(), d, threshold,
                    choice, ignored));
            listener.stageDone(String.format(Locale.ROOT,
                    "    %s: %d training masks at score >= %.2f (%d of %d images kept round %d's), precision %.1f %%, "
                            + "object recall %.1f %% on %s; Mask R-CNN %s", what, d.pseudoMasks(), threshold, fellBack,
                    images.size(), k - 1, 100 * d.precision(), 100 * d.recall(), trainSplit, dir));
            previousMasks = masks;
            previousDir = dir;
        }
        return rounds;
    }

    /** A round's training masks, its score choice (null for a fixed threshold), and its ignored regions by image. */
    private record MaskChoice(List<ImagePrediction> masks, ScoreChoice choice, Map<String, List<Box>> ignored) {}

    /**
     * Round k's model on each training image, selected ({@link #select}) against round k's masks:
     * at {@code threshold}, or, with {@code tune} images, at the threshold {@link #chooseScore}
     * picks on them (they are predicted first, their predictions kept for the choice).
     */
    private static MaskChoice nextMasks(VocDataset voc, List<LabelledImage> images, List<AnnotatedImage> tune,
            List<ImagePrediction> previous, Path modelDir, double threshold, Double ignoreScore, String what,
            Device device, RunListener listener, List<String> fellBack) throws IOException {
        Map<String, ImagePrediction> previousById = new HashMap<>();
        previous.forEach(p -> previousById.put(p.imageId(), p));
        Predictor predictor = new Predictor(MaskRcnnCheckpoint.load(modelDir, device).model());
        ScoreChoice choice = null;
        Map<String, ImagePrediction> tunePredicted = new HashMap<>();
        if (!tune.isEmpty()) {
            String task = what + ": predict the tuning images";
            listener.progress(task, 0, tune.size());
            for (AnnotatedImage a : tune) {
                tunePredicted.put(a.image().id(), predict(predictor, voc, a.image()));
                listener.progress(task, tunePredicted.size(), tune.size());
            }
            choice = chooseScore(tune, tunePredicted, previousById, voc.classes());
            threshold = choice.chosen();
        }
        List<ImagePrediction> out = new ArrayList<>(images.size());
        Map<String, List<Box>> ignored = new LinkedHashMap<>();
        String task = what + ": predict the training images";
        listener.progress(task, 0, images.size());
        for (LabelledImage li : images) {
            ImagePrediction predicted = tunePredicted.containsKey(li.id()) ? tunePredicted.get(li.id())
                    : predict(predictor, voc, li);
            Choice c = select(li, predicted, previousById.get(li.id()), threshold);
            out.add(c.masks());
            if (ignoreScore != null) {
                ignored.put(li.id(), ignoredRegions(predicted, c.masks(), ignoreScore));
            }
            if (c.fellBack()) {
                fellBack.add(li.id());
            }
            listener.progress(task, out.size(), images.size());
        }
        return new MaskChoice(out, choice, ignored);
    }

    private static ImagePrediction predict(Predictor predictor, VocDataset voc, LabelledImage li) throws IOException {
        try (PointerScope scope = new PointerScope()) {
            return predictor.predict(li.id(), voc.readImage(li));
        }
    }

    /**
     * A file next to round k's masks file, named after it: {@code -score.json} (the score choice,
     * tuned thresholds only), {@code -fallbacks.txt} (the images that kept the previous round's
     * masks, one id a line), {@code -ignore.json} (ignored regions, {@link #writeIgnored}).
     */
    static Path sibling(Path masks, String suffix) {
        String name = masks.getFileName().toString();
        return masks.resolveSibling(name.substring(0, name.length() - ".json".length()) + suffix);
    }

    /** run.json's key of the self-training settings (present only in runs made with rounds). */
    static final String SETTINGS_KEY = "selfTraining";

    /**
     * The self-training block run.json should hold, given the one it holds ({@code have}, null for
     * none) and this call's settings: this call's (none for no rounds: the recorded one stays).
     * The rounds may differ from the recorded ones (round k depends only on rounds before it, so
     * more rounds extend a run and fewer report its first ones); another score threshold would
     * mix rounds made two ways, so it is refused.
     */
    static JsonNode checkRecorded(Path out, JsonNode have,
            Settings want) {
        if (want.rounds() == 0) {
            return have;
        }
        var block = JsonNodeFactory.instance.objectNode().put("rounds", want.rounds());
        if (want.tuneScore()) {
            block.put("roundScore", SCORE_TUNED);
        } else {
            block.put("roundScore", want.scoreThreshold());
        }
        if (want.ignoreScore() != null) {
            block.put("ignoreScore", want.ignoreScore());
        }
        for (String key : List.of("roundScore", "ignoreScore")) {
            // ignoreScore: absent in runs without ignored regions, so compared only once a run has a block
            boolean differs = have != null && (key.equals("roundScore") ? have.has(key) : have.has("roundScore"))
                    && !java.util.Objects.equals(have.get(key), block.get(key));
            if (differs) {
                throw new IllegalArgumentException(out + " holds a run with other settings (" + SETTINGS_KEY + "." + key
                        + ": " + have.get(key) + " → " + block.get(key) + "); use another folder or delete it");
            }
        }
        return block;
    }

    /**
     * Adds the rounds to a run's report: in {@code metrics}, each round's row gets its training
     * masks' diagnostics on the training split ({@code trainingMasks}) and its fallback count, and
     * WISE's row round 0's; one finding per round (its AP50 against WISE's, as measured).
     *
     * @return per round, from round 0, its training masks against the training split's objects;
     *         empty without rounds
     */
    static Map<String, PseudoMaskDiagnostics> report(VocDataset voc, String trainSplit, Path round0Masks,
            List<Round> rounds, Map<String, double[]> numbers,
            ObjectNode metrics, List<String> findings) throws IOException {
        Map<String, PseudoMaskDiagnostics> out = new LinkedHashMap<>();
        if (rounds.isEmpty()) {
            return out;
        }
        List<AnnotatedImage> truth = voc.annotated(trainSplit);
        CocoDataset asCoco = new CocoDataset(voc.classes(), CocoDataset.defaultCategoryIds(voc.classes()), truth,
                Map.of());
        PseudoMaskDiagnostics round0 = Evaluation.pseudoMaskDiagnostics(truth, CocoJson.readResults(round0Masks,
                asCoco), voc.classes());
        out.put("round 0 (WISE)", round0);
        ((ObjectNode) metrics.get(WiseRun.WISE_ROW)).set("trainingMasks",
                round0.toJson());
        double wise = numbers.get(WiseRun.WISE_ROW)[1];
        for (Round r : rounds) {
            out.put("round " + r.round(), r.diagnostics());
            var m = (ObjectNode) metrics.get(r.row());
            m.set("trainingMasks", r.diagnostics().toJson());
            m.put("trainImagesKeepingPreviousMasks", r.fellBack());
            m.put("scoreThreshold", r.scoreThreshold());
            if (r.scoreChoice() != null) {
                m.set("scoreChoice", r.scoreChoice().toJson());
            }
            if (r.ignored() != null) {
                m.set("ignoredRegions", r.ignored().toJson());
            }
            double ap50 = numbers.get(r.row())[1];
            findings.add(String.format(Locale.ROOT, "Self-training round %d against WISE at AP50: %.1f vs %.1f (%+.1f); "
                    + "its training masks (score >= %.2f%s) hit %.1f %% of the %s objects at precision %.1f %% "
                    + "(round 0: %.1f %%, %.1f %%)", r.round(), ap50, wise, ap50 - wise, r.scoreThreshold(),
                    r.scoreChoice() != null ? ", chosen on " + r.scoreChoice().imageIds().size() + " tuning images" : "",
                    100 * r.diagnostics().recall(), trainSplit,
                    100 * r.diagnostics().precision(), 100 * round0.recall(), 100 * round0.precision()));
        }
        return out;
    }
}
