package io.wiseseg.backbone;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

/** torchvision's shortcut projection, children "0" (1×1 conv) and "1" (BatchNorm). */
final class Downsample extends Module {
    final Conv conv;
    final BatchNorm bn;

    Downsample(int in, int out, int stride) {
        conv = register_module("0", new Conv(in, out, 1, stride, 0, false));
        bn = register_module("1", new BatchNorm(out));
    }

    Tensor forward(Tensor x, BackwardTrace trace) {
        return bn.forward(conv.forward(x, trace));
    }

    Tensor inputGrad(Tensor g, BackwardTrace trace) {
        return conv.inputGrad(bn.inputGrad(g), trace);
    }
}
