package io.wiseseg.maskrcnn;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/** A fully connected layer with PyTorch's parameter names and default initialisation. */
final class Linear extends Module {
    final Tensor weight, bias;

    Linear(int in, int out) {
        // nn.Linear's default: kaiming_uniform_(a=sqrt(5)) → U(±1/sqrt(fan_in)), bias U(±1/sqrt(fan_in)).
        double bound = 1.0 / Math.sqrt(in);
        weight = torch.empty(out, in).uniform_(-bound, bound, new org.bytedeco.pytorch.GeneratorOptional());
        bias = torch.empty(out).uniform_(-bound, bound, new org.bytedeco.pytorch.GeneratorOptional());
        register_parameter("weight", weight);
        register_parameter("bias", bias);
    }

    Tensor forward(Tensor x) {
        return torch.linear(x, weight, new TensorOptional(bias));
    }
}
