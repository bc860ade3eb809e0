package io.wiseseg.backbone;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** ReLU with its backward mask kept in a trace (the mask of one image serves K gradients). */
final class Relu {
    private Relu() {}

    static Tensor forward(Tensor x, BackwardTrace trace) {
        Tensor y = torch.relu(x);
        if (trace != null) {
            trace.push(y.gt(new Scalar(0.0)).to(y.device(), torch.ScalarType.Float));
        }
        return y;
    }

    static Tensor inputGrad(Tensor g, BackwardTrace trace) {
        return g.mul(trace.popTensor());
    }
}
