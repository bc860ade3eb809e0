package io.wiseseg.maskrcnn;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** torchvision's MaskRCNNPredictor: 2× upsampling deconvolution + ReLU, then per-class mask logits. */
final class MaskPredictor extends Module {
    final ConvTranspose2d conv5Mask;
    final Conv2d maskFcnLogits;

    MaskPredictor(int in, int channels, int numClasses) {
        conv5Mask = register_module("conv5_mask", new ConvTranspose2d(in, channels));
        maskFcnLogits = register_module("mask_fcn_logits", new Conv2d(channels, numClasses, 1, 1, 0,
                Conv2d.Init.KAIMING_NORMAL_FAN_OUT));
    }

    Tensor forward(Tensor x) {
        return maskFcnLogits.forward(torch.relu(conv5Mask.forward(x)));
    }
}
