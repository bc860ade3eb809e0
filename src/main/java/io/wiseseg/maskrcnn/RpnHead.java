package io.wiseseg.maskrcnn;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** torchvision's RPNHead: a shared 3×3 conv + ReLU ({@code conv.0.0}), then objectness and deltas. */
final class RpnHead extends Module {
    private final Module convHolder, convBlock;
    final Conv2d conv, clsLogits, bboxPred;

    RpnHead(int channels, int anchors) {
        convHolder = register_module("conv", new Module());
        convBlock = convHolder.register_module("0", new Module());
        conv = convBlock.register_module("0", new Conv2d(channels, channels, 3, 1, 1, Conv2d.Init.NORMAL_001));
        clsLogits = register_module("cls_logits", new Conv2d(channels, anchors, 1, 1, 0, Conv2d.Init.NORMAL_001));
        bboxPred = register_module("bbox_pred", new Conv2d(channels, anchors * 4, 1, 1, 0, Conv2d.Init.NORMAL_001));
    }

    /** Per level: [objectness N×A×H×W, deltas N×4A×H×W]. */
    List<Tensor[]> forward(List<Tensor> features) {
        List<Tensor[]> out = new ArrayList<>();
        for (Tensor f : features) {
            Tensor t = torch.relu(conv.forward(f));
            out.add(new Tensor[] {clsLogits.forward(t), bboxPred.forward(t)});
        }
        return out;
    }
}
