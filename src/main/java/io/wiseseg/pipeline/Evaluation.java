package io.wiseseg.pipeline;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wiseseg.data.AnnotatedImage;
import io.wiseseg.data.ClassSet;
import io.wiseseg.data.ImagePrediction;
import io.wiseseg.eval.Abo;
import io.wiseseg.eval.EvaluationReport;
import io.wiseseg.eval.GroundTruth;
import io.wiseseg.eval.PseudoMaskDiagnostics;
import io.wiseseg.eval.ReferenceAp;
import java.util.List;

/**
 * WISE's fourth stage: instance masks scored as the reference protocol scores them, mAP at mask
 * IoU 0.25, 0.5 and 0.75 (the reference's per-class AP, averaged over classes) and ABO (average
 * best overlap).
 *
 * @param apReport  the reference protocol's report (per class and mean, at each IoU threshold)
 * @param aboReport the ABO report
 */
public record Evaluation(EvaluationReport apReport, EvaluationReport aboReport) {
    /** Scores {@code predictions} (one per image of {@code truth}, any order) against {@code truth}. */
    public static Evaluation of(List<AnnotatedImage> truth, List<ImagePrediction> predictions, ClassSet classes) {
        List<GroundTruth> gt = GroundTruth.of(truth);
        return new Evaluation(new ReferenceAp().evaluate(gt, predictions, classes),
                new Abo().evaluate(gt, predictions, classes));
    }

    /**
     * How pseudo masks relate to the objects of {@code truth}: per image counts, precision and
     * object recall at mask IoU 0.5, duplicates ({@link PseudoMaskDiagnostics}).
     */
    public static PseudoMaskDiagnostics pseudoMaskDiagnostics(List<AnnotatedImage> truth,
            List<ImagePrediction> pseudoMasks, ClassSet classes) {
        return PseudoMaskDiagnostics.of(GroundTruth.of(truth), pseudoMasks, classes);
    }

    /** mAP at mask IoU 0.25, in percent. */
    public double ap25() {
        return 100 * apReport.mean()[0];
    }

    /** mAP at mask IoU 0.5, in percent: the paper's headline number. */
    public double ap50() {
        return 100 * apReport.mean()[1];
    }

    /** mAP at mask IoU 0.75, in percent. */
    public double ap75() {
        return 100 * apReport.mean()[2];
    }

    /** Average best overlap, in percent. */
    public double abo() {
        return 100 * aboReport.mean()[0];
    }

    /** AP25, AP50, AP75 and ABO, in percent: a row of a results table. */
    public double[] row() {
        return new double[] {ap25(), ap50(), ap75(), abo()};
    }

    /** Both reports as JSON ({@code reference}: the AP report, {@code abo}). */
    public ObjectNode toJson() {
        ObjectNode m = JsonNodeFactory.instance.objectNode();
        m.set("reference", apReport.toJsonNode());
        m.set("abo", aboReport.toJsonNode());
        return m;
    }
}
