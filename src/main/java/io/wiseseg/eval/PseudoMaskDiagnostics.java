package io.wiseseg.eval;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wiseseg.data.BySize;
import io.wiseseg.data.ClassSet;
import io.wiseseg.data.ImagePrediction;
import io.wiseseg.data.Instance;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How pseudo masks relate to the objects of a split with ground-truth instances: what the AP table
 * does not say. A pseudo mask <em>hits</em> an object when both are in the same image, of the same
 * class, and their mask IoU is at least {@link #IOU} (0.5). The IoU is the AP table's
 * ({@link ReferenceAp}: pycocotools' mask IoU on the masks as they are), so VOC's void pixels are
 * <em>not</em> ignored: they count as pixels like any other (pseudo masks have them zeroed
 * already). Crowd regions are not objects and are not looked at; predictions for images without
 * ground truth are ignored; a ground-truth image without a prediction entry has no pseudo masks.
 * Every pseudo mask counts (no top-100 cut, no score threshold).
 *
 * @param images      ground-truth images
 * @param pseudoMasks pseudo masks in them
 * @param objects     ground-truth objects (instances, crowds excluded)
 * @param hitMasks    pseudo masks that hit at least one object: {@link #precision()} = hitMasks / pseudoMasks
 * @param objectsHit  objects hit by at least one pseudo mask: {@link #recall()} = objectsHit / objects
 * @param hits        (pseudo mask, object) pairs that hit
 * @param duplicates  hits on an object already hit by a higher-scored pseudo mask (equal scores: the
 *                    one listed first counts as higher); hits − objectsHit, however the ties fall
 * @param wrongClass  pseudo masks that hit no object of their class but overlap an object of
 *                    another class at IoU ≥ 0.5
 * @param sumBestIou  over the objects, the best IoU of a same-class pseudo mask (0 when none):
 *                    {@link #meanBestIou()} = sumBestIou / objects, ABO with the class required
 *                    and void pixels kept (unlike {@link Abo}'s defaults)
 * @param objectsBySize the objects by COCO's size classes of their mask area: small under 32² px,
 *                    medium under 96², large the rest (objects as the image has them, void excluded)
 * @param hitBySize   the objects hit, by the same classes: recall by size, where small objects are
 *                    what weak supervision finds last
 */
public record PseudoMaskDiagnostics(int images, int pseudoMasks, int objects, int hitMasks, int objectsHit, int hits,
        int duplicates, int wrongClass, double sumBestIou, BySize objectsBySize, BySize hitBySize) {
    /** The IoU at which a pseudo mask hits an object. */
    public static final double IOU = 0.5;
    /** COCO's area bounds (px) of small and of medium objects ({@link BySize}'s). */
    public static final long SMALL_AREA = BySize.SMALL_AREA, MEDIUM_AREA = BySize.MEDIUM_AREA;

    /** The diagnostics of {@code predictions} (pseudo masks, one entry per image, any order) against {@code groundTruth}. */
    public static PseudoMaskDiagnostics of(List<GroundTruth> groundTruth, List<ImagePrediction> predictions,
            ClassSet classes) {
        return of(groundTruth, predictions, classes, SMALL_AREA, MEDIUM_AREA);
    }

    /** {@link #of(List, List, ClassSet)} with other size bounds (tests on small images). */
    static PseudoMaskDiagnostics of(List<GroundTruth> groundTruth, List<ImagePrediction> predictions,
            ClassSet classes, long smallArea, long mediumArea) {
        BySize bySize = BySize.NONE, hitBySize = BySize.NONE;
        Map<String, List<Instance>> preds = Overlap.byImage(groundTruth, predictions, classes.size());
        int masks = 0, objects = 0, hitMasks = 0, objectsHit = 0, hits = 0, wrongClass = 0;
        double sumBest = 0;
        for (GroundTruth g : groundTruth) {
            List<Instance> dts = preds.getOrDefault(g.id(), List.of());
            List<Instance> gts = g.instances();
            for (Instance gt : gts) {
                if (gt.classId() < 0 || gt.classId() >= classes.size()) {
                    throw new IllegalArgumentException("ground truth of image " + g.id() + " has class id "
                            + gt.classId() + " outside [0, " + classes.size() + ")");
                }
            }
            masks += dts.size();
            objects += gts.size();
            double[] best = new double[gts.size()];
            boolean[] hit = new boolean[gts.size()];
            for (Instance dt : dts) {
                boolean hitsOwn = false, hitsOther = false;
                for (int o = 0; o < gts.size(); o++) {
                    Instance gt = gts.get(o);
                    double iou = Overlap.coco(dt.mask(), gt.mask(), false);
                    if (gt.classId() != dt.classId()) {
                        hitsOther |= iou >= IOU;
                        continue;
                    }
                    best[o] = Math.max(best[o], iou);
                    if (iou >= IOU) {
                        hitsOwn = true;
                        hits++;
                        hit[o] = true;
                    }
                }
                hitMasks += hitsOwn ? 1 : 0;
                wrongClass += !hitsOwn && hitsOther ? 1 : 0;
            }
            for (int o = 0; o < gts.size(); o++) {
                objectsHit += hit[o] ? 1 : 0;
                sumBest += best[o];
                long area = gts.get(o).mask().area();
                bySize = bySize.plus(area, smallArea, mediumArea);
                if (hit[o]) {
                    hitBySize = hitBySize.plus(area, smallArea, mediumArea);
                }
            }
        }
        return new PseudoMaskDiagnostics(groundTruth.size(), masks, objects, hitMasks, objectsHit, hits,
                hits - objectsHit, wrongClass, sumBest, bySize, hitBySize);
    }

    /** The fraction of small, medium and large objects hit (NaN for a size without objects). */
    public double[] recallBySize() {
        return new double[] {ratio(hitBySize.small(), objectsBySize.small()),
            ratio(hitBySize.medium(), objectsBySize.medium()), ratio(hitBySize.large(), objectsBySize.large())};
    }

    /** Pseudo masks per image (NaN without images). */
    public double masksPerImage() {
        return ratio(pseudoMasks, images);
    }

    /** Ground-truth objects per image (NaN without images). */
    public double objectsPerImage() {
        return ratio(objects, images);
    }

    /** The fraction of pseudo masks that hit an object of their class (NaN without pseudo masks). */
    public double precision() {
        return ratio(hitMasks, pseudoMasks);
    }

    /** The fraction of objects hit by at least one pseudo mask (NaN without objects). */
    public double recall() {
        return ratio(objectsHit, objects);
    }

    /**
     * F1 of precision and object recall, 0 when either is 0 or undefined (no pseudo masks, no
     * objects): how many masks are right and how many objects they cover, whatever their scores,
     * which is what a Mask R-CNN trained on them sees (it learns from every mask alike).
     */
    public double f1() {
        double p = precisionOrZero(), r = recallOrZero();
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    /** {@link #precision()}, 0 without pseudo masks (for scores that rank candidates). */
    public double precisionOrZero() {
        return pseudoMasks == 0 ? 0 : precision();
    }

    /** {@link #recall()}, 0 without objects (for scores that rank candidates). */
    public double recallOrZero() {
        return objects == 0 ? 0 : recall();
    }

    /** Mean over objects of the best same-class pseudo mask's IoU (NaN without objects). */
    public double meanBestIou() {
        return objects == 0 ? Double.NaN : sumBestIou / objects;
    }

    private static double ratio(int a, int b) {
        return b == 0 ? Double.NaN : (double) a / b;
    }

    /** One line of the diagnostics: a name, its value as shown, and what it counts. */
    public record Row(String name, String value, String what) {}

    /** What the text and the HTML report show, one number a row. */
    public List<Row> rows() {
        return List.of(
                new Row("pseudo masks per image", fixed(masksPerImage()),
                        String.format(Locale.ROOT, "%d in %d images", pseudoMasks, images)),
                new Row("objects per image", fixed(objectsPerImage()), objects + " objects"),
                new Row("precision", percent(precision()), hitMasks + " of " + pseudoMasks + " pseudo masks hit an object"),
                new Row("object recall", percent(recall()), objectsHit + " of " + objects + " objects hit"),
                new Row("  small objects", percent(recallBySize()[0]), hitBySize.small() + " of "
                        + objectsBySize.small() + " hit (mask area under 32² px)"),
                new Row("  medium objects", percent(recallBySize()[1]), hitBySize.medium() + " of "
                        + objectsBySize.medium() + " hit (32² to 96² px)"),
                new Row("  large objects", percent(recallBySize()[2]), hitBySize.large() + " of "
                        + objectsBySize.large() + " hit (96² px and more)"),
                new Row("duplicates", Integer.toString(duplicates), "hits on an object already hit by a higher-scored mask"),
                new Row("wrong class", Integer.toString(wrongClass), "masks hitting only objects of another class"),
                new Row("mean best IoU", percent(meanBestIou()), "per object, its class's best pseudo mask; ABO-style"));
    }

    /** The title of the diagnostics, saying what a hit is. */
    public static String title() {
        return String.format(Locale.ROOT, "pseudo masks against the objects (a hit: same class, mask IoU >= %.1f)", IOU);
    }

    /** The title, then one aligned line per {@link #rows() row}. */
    public String toText() {
        StringBuilder sb = new StringBuilder(title()).append('\n');
        for (Row r : rows()) {
            sb.append(String.format(Locale.ROOT, "  %-24s %8s  (%s)\n", r.name(), r.value(), r.what()));
        }
        return sb.toString();
    }

    private static String fixed(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String percent(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f %%", 100 * v);
    }

    /** The counts and the derived numbers (fractions in [0, 1]; null where undefined). */
    public ObjectNode toJson() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("iou", IOU);
        n.put("images", images);
        n.put("pseudoMasks", pseudoMasks);
        n.put("objects", objects);
        n.put("hitMasks", hitMasks);
        n.put("objectsHit", objectsHit);
        n.put("hits", hits);
        n.put("duplicates", duplicates);
        n.put("wrongClass", wrongClass);
        put(n, "masksPerImage", masksPerImage());
        put(n, "objectsPerImage", objectsPerImage());
        put(n, "precision", precision());
        put(n, "recall", recall());
        put(n, "meanBestIou", meanBestIou());
        String[] names = {"small", "medium", "large"};
        int[] all = {objectsBySize.small(), objectsBySize.medium(), objectsBySize.large()};
        int[] hit = {hitBySize.small(), hitBySize.medium(), hitBySize.large()};
        ObjectNode sizes = n.putObject("bySize");
        for (int i = 0; i < 3; i++) {
            ObjectNode s = sizes.putObject(names[i]).put("objects", all[i]).put("objectsHit", hit[i]);
            put(s, "recall", recallBySize()[i]);
        }
        return n;
    }

    private static void put(ObjectNode n, String field, double v) {
        if (Double.isNaN(v)) {
            n.putNull(field);
        } else {
            n.put(field, v);
        }
    }
}
