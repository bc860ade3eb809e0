package io.wiseseg.maskrcnn;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

/** torchvision's FastRCNNPredictor: class logits and per-class box deltas. */
final class FastRcnnPredictor extends Module {
    final Linear clsScore, bboxPred;

    FastRcnnPredictor(int in, int numClasses) {
        clsScore = register_module("cls_score", new Linear(in, numClasses));
        bboxPred = register_module("bbox_pred", new Linear(in, numClasses * 4));
    }

    /** [class logits R×C, box deltas R×4C]. */
    Tensor[] forward(Tensor x) {
        return new Tensor[] {clsScore.forward(x), bboxPred.forward(x)};
    }
}
