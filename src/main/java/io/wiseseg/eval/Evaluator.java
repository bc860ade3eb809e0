package io.wiseseg.eval;

import io.wiseseg.data.ClassSet;
import io.wiseseg.data.ImagePrediction;
import java.util.List;

/**
 * One evaluation protocol. Predictions are matched to ground truth by image id; predictions for
 * images without ground truth are ignored, and a ground-truth image without a prediction entry
 * counts as one with no predictions.
 */
public interface Evaluator {
    EvaluationReport evaluate(List<GroundTruth> groundTruth, List<ImagePrediction> predictions,
            ClassSet classes);
}
