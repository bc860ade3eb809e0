package io.wiseseg.prm;

import io.wiseseg.data.AnnotatedImage;
import io.wiseseg.data.Box;
import io.wiseseg.data.Dataset;
import io.wiseseg.data.Instance;
import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.ProgressListener;
import io.wiseseg.kernels.Device;
import io.wiseseg.util.Tensors;
import java.util.List;
import java.util.function.Function;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * Does the classifier recognise an object on its own? Each ground-truth object of a split is
 * shown to the classifier alone: its image with everything outside the object's box (widened
 * by {@link #MARGIN} of its size on each side, so the outline is seen whole) set to the mean
 * colour, and the class the classifier scores highest is compared with the object's. A classifier
 * whose peaks are to find objects must first tell them apart; where this is near chance, no choice
 * of peaks, proposals or rule can make pseudo masks of the right class.
 *
 * @param objects           ground-truth objects shown
 * @param correct           objects whose class scored highest of all classes
 * @param correctAmongLabels objects whose class scored highest of their image's labelled classes
 * @param chanceAmongLabels the expected count of the latter for a classifier that guesses among the
 *                          image's labels (the sum of 1 / labels per object)
 */
public record IsolatedObjects(int objects, int classes, int correct, int correctAmongLabels, double chanceAmongLabels) {
    /** The box's widening on each side, as a share of its width and height. */
    public static final double MARGIN = 0.1;

    /** The share of objects whose class scored highest of all classes. */
    public double accuracy() {
        return objects == 0 ? Double.NaN : (double) correct / objects;
    }

    /** The share of objects whose class scored highest of their image's labelled classes. */
    public double accuracyAmongLabels() {
        return objects == 0 ? Double.NaN : (double) correctAmongLabels / objects;
    }

    /** What guessing a class uniformly gives: 1 / classes. */
    public double chance() {
        return 1.0 / classes;
    }

    /** What guessing uniformly among each image's labels gives. */
    public double chanceAmongLabelsShare() {
        return objects == 0 ? Double.NaN : chanceAmongLabels / objects;
    }

    /** The counts and shares, for a metrics file. */
    public com.fasterxml.jackson.databind.node.ObjectNode toJson() {
        var o = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        o.put("objects", objects);
        o.put("classes", classes);
        o.put("correct", correct);
        o.put("accuracy", accuracy());
        o.put("chance", chance());
        o.put("correctAmongLabels", correctAmongLabels);
        o.put("accuracyAmongLabels", accuracyAmongLabels());
        o.put("chanceAmongLabels", chanceAmongLabelsShare());
        return o;
    }

    /** Shows every object of {@code split} alone to {@code prm}'s classifier at test size {@code imageSize}. */
    public static IsolatedObjects of(PeakResponseMaps prm, Dataset dataset, String split, int imageSize,
            ProgressListener listener) {
        return of(dataset, split, imageSize, x -> prm.peaks(x).scores(), listener);
    }

    /**
     * As {@link #of(PeakResponseMaps, Dataset, String, int, ProgressListener)} with the network on
     * {@code device}, each class scored by
     * the maximum of its response map: how a classifier trained with max pooling (train-classifier
     * --pretraining) scores, rather than PRM's peak aggregation.
     */
    public static IsolatedObjects byMapMaximum(PrmNetwork network, Device device, Dataset dataset,
            String split, int imageSize, ProgressListener listener) {
        return of(dataset, split, imageSize, PrmEvaluation.mapMaximum(network, device), listener);
    }

    /** As above, for images whose ground truth the caller already read (their pixels come from {@code dataset}). */
    public static IsolatedObjects of(PeakResponseMaps prm, Dataset dataset, List<AnnotatedImage> truth, int imageSize,
            ProgressListener listener) {
        return of(dataset, truth, imageSize, x -> prm.peaks(x).scores(), listener);
    }

    /**
     * As above with any scorer: {@code scores} maps a 1×3×H×W normalised image to one score per
     * class (the classifier's peak aggregation).
     */
    static IsolatedObjects of(Dataset dataset, String split, int imageSize, Function<Tensor, float[]> scores,
            ProgressListener listener) {
        return of(dataset, dataset.annotated(split), imageSize, scores, listener);
    }

    static IsolatedObjects of(Dataset dataset, List<AnnotatedImage> truth, int imageSize,
            Function<Tensor, float[]> scores, ProgressListener listener) {
        int classes = dataset.classes().size();
        int objects = 0, correct = 0, amongLabels = 0;
        double chance = 0;
        listener.progress("objects alone", 0, truth.size());
        for (int i = 0; i < truth.size(); i++) {
            LabelledImage image = truth.get(i).labelled();
            try (PointerScope scope = new PointerScope()) {
                Tensor x = PrmEvaluation.input(dataset, image, imageSize);
                for (Instance object : truth.get(i).instances()) {
                    if (object.mask().isEmpty()) {
                        continue;
                    }
                    float[] s = scores.apply(alone(x, object.mask().bbox(), image.height(), image.width()));
                    if (s.length != classes) {
                        throw new IllegalStateException("the classifier scored " + s.length + " classes, the dataset has "
                                + classes);
                    }
                    int c = object.classId();
                    objects++;
                    if (argmax(s, null) == c) {
                        correct++;
                    }
                    // an image whose labels name no class (a dataset whose labels miss its masks' objects):
                    // among its labels is then among all classes, not a division by zero
                    int[] among = image.labels().length == 0 ? null : image.labels();
                    if (argmax(s, among) == c) {
                        amongLabels++;
                    }
                    chance += 1.0 / (among == null ? classes : among.length);
                }
            }
            listener.progress("objects alone", i + 1, truth.size());
        }
        return new IsolatedObjects(objects, classes, correct, amongLabels, chance);
    }

    /**
     * The network input {@code x} (1×3×H×W, normalised, of an imageHeight × imageWidth image) with
     * every pixel outside {@code box} (image pixels), widened by {@link #MARGIN}, set to 0: the
     * normalised mean colour. An input pixel is kept when its centre, mapped back to the image,
     * falls inside the widened box.
     */
    static Tensor alone(Tensor x, Box box, int imageHeight, int imageWidth) {
        int h = (int) x.size(2), w = (int) x.size(3);
        double mx = MARGIN * box.width(), my = MARGIN * box.height();
        double x1 = box.x1() - mx, x2 = box.x2() + mx, y1 = box.y1() - my, y2 = box.y2() + my;
        float[] keep = new float[h * w];
        for (int y = 0; y < h; y++) {
            double iy = (y + 0.5) * imageHeight / h;
            if (iy < y1 || iy >= y2) {
                continue;
            }
            for (int xx = 0; xx < w; xx++) {
                double ix = (xx + 0.5) * imageWidth / w;
                if (ix >= x1 && ix < x2) {
                    keep[y * w + xx] = 1f;
                }
            }
        }
        return x.mul(Tensors.toDeviceOf(Tensors.floats(keep, 1, 1, h, w), x));
    }

    /** The index of the highest score, among {@code among} when given (ties: the first). */
    private static int argmax(float[] s, int[] among) {
        int best = -1;
        if (among == null) {
            for (int c = 0; c < s.length; c++) {
                if (best < 0 || s[c] > s[best]) {
                    best = c;
                }
            }
        } else {
            for (int c : among) {
                if (best < 0 || s[c] > s[best]) {
                    best = c;
                }
            }
        }
        return best;
    }
}
