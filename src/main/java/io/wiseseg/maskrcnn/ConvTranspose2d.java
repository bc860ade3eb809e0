package io.wiseseg.maskrcnn;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/** The mask predictor's 2×2, stride-2 transposed convolution (weight in × out × 2 × 2). */
final class ConvTranspose2d extends Module {
    final Tensor weight, bias;

    ConvTranspose2d(int in, int out) {
        // torchvision's MaskRCNNPredictor: kaiming_normal_(mode=fan_out, relu); PyTorch's fan_out of
        // a transposed weight (in, out, k, k) is in * k * k.
        weight = torch.randn(in, out, 2, 2).mul_(new Scalar(Math.sqrt(2.0 / (in * 4))));
        bias = torch.zeros(out);
        register_parameter("weight", weight);
        register_parameter("bias", bias);
    }

    Tensor forward(Tensor x) {
        return torch.conv_transpose2d(x, weight, new TensorOptional(bias), new long[] {2, 2},
                new long[] {0, 0}, new long[] {0, 0}, 1, 1, 1);
    }
}
