package io.wiseseg.prm;

import io.wiseseg.data.AnnotatedImage;
import io.wiseseg.data.BySize;
import io.wiseseg.data.Dataset;
import io.wiseseg.data.Instance;
import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.ProgressListener;
import io.wiseseg.kernels.Device;
import io.wiseseg.util.Tensors;
import java.util.List;
import java.util.function.Function;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Held-out checks of a trained PRM classifier: classification mAP from the peak aggregation,
 * and how well its peaks localise objects (for each ground-truth instance, whether a peak of its
 * class falls inside it; for each kept peak, whether it falls inside an instance of its class).
 */
public final class PrmEvaluation {
    /** Classification on a split: mean AP and the chance level (mean positive rate). */
    public record Classification(int images, double meanAp, double chanceMeanAp) {}

    /**
     * Localisation on a split.
     *
     * @param instanceRecall fraction of ground-truth instances containing ≥ 1 peak of their class
     * @param peakPrecision  fraction of kept peaks inside an instance of their class
     * @param instancesBySize the instances by COCO's size classes of their mask area
     * @param foundBySize    the instances containing a peak of their class, by the same classes: whether
     *                       the peaks miss the small objects (the pseudo masks cannot find them then)
     */
    public record Localisation(int images, int instances, int peaks, double instanceRecall, double peakPrecision,
            BySize instancesBySize, BySize foundBySize) {
        /** Instance recall of small, medium and large instances (NaN where a class has none). */
        public double[] recallBySize() {
            return new double[] {ratio(foundBySize.small(), instancesBySize.small()),
                ratio(foundBySize.medium(), instancesBySize.medium()),
                ratio(foundBySize.large(), instancesBySize.large())};
        }

        private static double ratio(int a, int b) {
            return b == 0 ? Double.NaN : (double) a / b;
        }
    }

    private PrmEvaluation() {}

    public static Classification classification(PeakResponseMaps prm, Dataset dataset, String split, int imageSize,
            ProgressListener listener) {
        return classification(dataset, split, imageSize, x -> prm.peaks(x).scores(), listener);
    }

    /**
     * As above with any scorer: {@code scores} maps a 1×3×H×W normalised image to one score per
     * class (PRM's peak aggregation, or {@link #mapMaximum}).
     */
    public static Classification classification(Dataset dataset, String split, int imageSize,
            Function<Tensor, float[]> scores, ProgressListener listener) {
        List<LabelledImage> images = dataset.labelled(split);
        int c = dataset.classes().size();
        float[][] scored = new float[images.size()][];
        boolean[][] labels = new boolean[images.size()][c];
        listener.progress("classify " + split, 0, images.size());
        for (int i = 0; i < images.size(); i++) {
            LabelledImage image = images.get(i);
            try (PointerScope scope = new PointerScope()) {
                scored[i] = scores.apply(input(dataset, image, imageSize));
            }
            for (int l : image.labels()) {
                labels[i][l] = true;
            }
            listener.progress("classify " + split, i + 1, images.size());
        }
        return new Classification(images.size(), ClassificationMetrics.meanAveragePrecision(scored, labels),
                ClassificationMetrics.chanceMeanAveragePrecision(labels));
    }

    /**
     * Scores each class by the maximum of its response map: how a classifier trained with max
     * pooling ({@code train-classifier --pretraining}) scores, rather than PRM's peak aggregation.
     */
    public static Function<Tensor, float[]> mapMaximum(PrmNetwork network, Device device) {
        return x -> {
            try (NoGradGuard g = new NoGradGuard()) {
                Tensor maps = network.classResponseMaps(device.place(x));
                return Tensors.toFloats(torch.amax(maps, new long[] {2, 3}, false));
            }
        };
    }

    /** Where a peak points in the image. */
    public enum PointRule {
        /** The peak's own position (its layer4 cell's centre). */
        PEAK,
        /** The maximum of the peak's response map, as WISE places its points (one backward per image, batched). */
        RESPONSE_MAX
    }

    /**
     * @param imageLabels peaks of each image's labelled classes only, as the pseudo masks take them
     *                    ({@link PeakResponseMaps#compute(org.bytedeco.pytorch.Tensor, int[])}); else
     *                    those of every class the classifier scores present
     */
    public static Localisation localisation(PeakResponseMaps prm, Dataset dataset, String split, int imageSize,
            PointRule rule, boolean imageLabels, ProgressListener listener) {
        List<LabelledImage> images = dataset.labelled(split);
        int instances = 0, found = 0, peaks = 0, inside = 0;
        BySize bySize = BySize.NONE, foundBySize = BySize.NONE;
        listener.progress("localise " + split, 0, images.size());
        for (int i = 0; i < images.size(); i++) {
            LabelledImage image = images.get(i);
            AnnotatedImage truth = dataset.annotate(image);
            PeakResponseMaps.Result r;
            int[] maxima = null;
            try (PointerScope scope = new PointerScope()) { // frees the image's tensors, the result's maps included
                org.bytedeco.pytorch.Tensor x = input(dataset, image, imageSize);
                int[] labels = imageLabels ? image.labels() : null;
                if (rule == PointRule.PEAK) {
                    r = imageLabels ? prm.peaks(x, labels) : prm.peaks(x);
                } else {
                    r = imageLabels ? prm.compute(x, labels) : prm.compute(x);
                }
                if (rule == PointRule.RESPONSE_MAX) {
                    maxima = r.responseMaxima();
                }
            }
            int[][] points = new int[r.peaks().size()][];
            for (int k = 0; k < points.length; k++) {
                Peak p = r.peaks().get(k);
                int iy = r.imageY(p), ix = r.imageX(p);
                if (maxima != null) {
                    iy = maxima[k] / r.width();
                    ix = maxima[k] % r.width();
                }
                // Input pixel → original image pixel.
                int y = (int) Math.min(image.height() - 1, Math.floor((iy + 0.5) * image.height() / r.height()));
                int x = (int) Math.min(image.width() - 1, Math.floor((ix + 0.5) * image.width() / r.width()));
                points[k] = new int[] {p.classId(), y, x};
            }
            for (Instance inst : truth.instances()) {
                instances++;
                long area = inst.mask().area();
                bySize = bySize.plus(area);
                for (int[] pt : points) {
                    if (pt[0] == inst.classId() && inst.mask().get(pt[1], pt[2])) {
                        found++;
                        foundBySize = foundBySize.plus(area);
                        break;
                    }
                }
            }
            for (int[] pt : points) {
                peaks++;
                for (Instance inst : truth.instances()) {
                    if (pt[0] == inst.classId() && inst.mask().get(pt[1], pt[2])) {
                        inside++;
                        break;
                    }
                }
            }
            listener.progress("localise " + split, i + 1, images.size());
        }
        return new Localisation(images.size(), instances, peaks, instances == 0 ? Double.NaN : (double) found / instances,
                peaks == 0 ? Double.NaN : (double) inside / peaks, bySize, foundBySize);
    }

    /** The image as the network sees it at test time (see {@link ImageTensors#inputSize}). */
    static org.bytedeco.pytorch.Tensor input(Dataset dataset, LabelledImage image, int imageSize) {
        int[] size = ImageTensors.inputSize(image.height(), image.width(), imageSize);
        return ImageTensors.normalised(dataset.readImage(image), size[0], size[1], false);
    }
}
