package io.wiseseg.maskrcnn;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** torchvision's TwoMLPHead: flatten, fc6 + ReLU, fc7 + ReLU. */
final class TwoMlpHead extends Module {
    final Linear fc6, fc7;

    TwoMlpHead(int in, int representation) {
        fc6 = register_module("fc6", new Linear(in, representation));
        fc7 = register_module("fc7", new Linear(representation, representation));
    }

    Tensor forward(Tensor x) {
        return torch.relu(fc7.forward(torch.relu(fc6.forward(x.flatten(1, -1)))));
    }
}
