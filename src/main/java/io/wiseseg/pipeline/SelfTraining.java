package io.wiseseg.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wiseseg.backbone.ResNet;
import io.wiseseg.data.AnnotatedImage;
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
     *                       calls more likely present than not. Not tuned: with the fallback
     *                       rule a higher one mostly leaves more images on their old masks.
     */
    public record Settings(int rounds, double scoreThreshold) {
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
        }
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
     */
    public record Round(int round, String row, Path trainingMasks, Path maskRcnnDir, List<ImagePrediction> predictions,
            int fellBack, int trainImages, PseudoMaskDiagnostics diagnostics) {}

    /** Trains round {@code k}'s Mask R-CNN on the given training masks and predicts the eval split. */
    interface Trainer {
        List<ImagePrediction> train(Path trainingMasks, Path dir, String what) throws IOException;
    }

    /**
     * Runs (or resumes) rounds 1..{@code settings.rounds()} after round 0, whose training masks are
     * {@code round0Masks} and whose Mask R-CNN (finished) is in {@code round0Dir}.
     */
    static List<Round> run(VocDataset voc, String trainSplit, Settings settings, Path out, String rule,
            Path round0Masks, Path round0Dir, Trainer trainer, Device device, RunListener listener) throws IOException {
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
            Path fallbacks = fallbackFile(masks);
            if (!Files.isRegularFile(masks)) {
                List<String> kept = new ArrayList<>();
                List<ImagePrediction> next = nextMasks(voc, images, CocoJson.readResults(previousMasks, blank),
                        previousDir, settings.scoreThreshold(), what, device, listener, kept);
                // the list first: a masks file on disk always has its list
                AtomicFiles.writeString(fallbacks, kept.stream().map(id -> id + "\n").collect(Collectors.joining()));
                CocoJson.writeResults(masks, next, voc.classes());
            }
            List<ImagePrediction> training = CocoJson.readResults(masks, blank);
            int fellBack = Files.readAllLines(fallbacks).size();
            List<ImagePrediction> predictions = trainer.train(masks, dir, what);
            if (truth == null) {
                truth = voc.annotated(trainSplit);
            }
            PseudoMaskDiagnostics d = Evaluation.pseudoMaskDiagnostics(truth, training, voc.classes());
            rounds.add(new Round(k, ROW_PREFIX + k, masks, dir, predictions, fellBack, images.size(), d));
            listener.stageDone(String.format(Locale.ROOT,
                    "    %s: %d training masks (%d of %d images kept round %d's), precision %.1f %%, object "
                            + "recall %.1f %% on %s; Mask R-CNN %s", what, d.pseudoMasks(), fellBack, images.size(),
                    k - 1, 100 * d.precision(), 100 * d.recall(), trainSplit, dir));
            previousMasks = masks;
            previousDir = dir;
        }
        return rounds;
    }

    /** Round k's model on each training image, selected ({@link #select}) against round k's masks. */
    private static List<ImagePrediction> nextMasks(VocDataset voc, List<LabelledImage> images,
            List<ImagePrediction> previous, Path modelDir, double threshold, String what, Device device,
            RunListener listener, List<String> fellBack) throws IOException {
        Map<String, ImagePrediction> previousById = new HashMap<>();
        previous.forEach(p -> previousById.put(p.imageId(), p));
        Predictor predictor = new Predictor(MaskRcnnCheckpoint.load(modelDir, device).model());
        List<ImagePrediction> out = new ArrayList<>(images.size());
        String task = what + ": predict the training images";
        listener.progress(task, 0, images.size());
        for (LabelledImage li : images) {
            ImagePrediction predicted;
            try (PointerScope scope = new PointerScope()) {
                predicted = predictor.predict(li.id(), voc.readImage(li));
            }
            Choice c = select(li, predicted, previousById.get(li.id()), threshold);
            out.add(c.masks());
            if (c.fellBack()) {
                fellBack.add(li.id());
            }
            listener.progress(task, out.size(), images.size());
        }
        return out;
    }

    /** The ids of the images that kept the previous round's masks, one a line, next to round k's masks file. */
    static Path fallbackFile(Path masks) {
        String name = masks.getFileName().toString();
        return masks.resolveSibling(name.substring(0, name.length() - ".json".length()) + "-fallbacks.txt");
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
        var block = JsonNodeFactory.instance.objectNode()
                .put("rounds", want.rounds()).put("roundScore", want.scoreThreshold());
        if (have != null && have.has("roundScore") && have.get("roundScore").asDouble() != want.scoreThreshold()) {
            throw new IllegalArgumentException(out + " holds a run with other settings (" + SETTINGS_KEY
                    + ".roundScore: " + have.get("roundScore") + " → " + want.scoreThreshold()
                    + "); use another folder or delete it");
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
            double ap50 = numbers.get(r.row())[1];
            findings.add(String.format(Locale.ROOT, "Self-training round %d against WISE at AP50: %.1f vs %.1f (%+.1f); "
                    + "its training masks hit %.1f %% of the %s objects at precision %.1f %% (round 0: %.1f %%, %.1f %%)",
                    r.round(), ap50, wise, ap50 - wise, 100 * r.diagnostics().recall(), trainSplit,
                    100 * r.diagnostics().precision(), 100 * round0.recall(), 100 * round0.precision()));
        }
        return out;
    }
}
