package io.wiseseg.maskrcnn;

import io.wiseseg.backbone.Conv;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/** A 2-D convolution with bias and PyTorch's parameter names ({@code weight}, {@code bias}). */
final class Conv2d extends Module {
    /** How torchvision initialises the weight of a given layer. */
    enum Init {
        /** kaiming_uniform_(a=1) (FPN). */
        KAIMING_UNIFORM_A1,
        /** kaiming_normal_(mode=fan_out, nonlinearity=relu) (mask head and predictor). */
        KAIMING_NORMAL_FAN_OUT,
        /** normal_(std=0.01) (RPN head). */
        NORMAL_001
    }

    final Tensor weight, bias;
    private final long stride, padding, kernel;
    /** On the CPU, ATen's convolution instead of oneDNN's (see {@link Conv#oneDnnSafe}). */
    private final boolean atenOnCpu;

    Conv2d(int in, int out, int kernel, int stride, int padding, Init init) {
        this.stride = stride;
        this.padding = padding;
        this.kernel = kernel;
        this.atenOnCpu = !Conv.oneDnnSafe(in, out, kernel, stride);
        weight = torch.randn(out, in, kernel, kernel);
        double std = switch (init) {
            // uniform(-b, b) with b = sqrt(3) * gain / sqrt(fan_in), gain = sqrt(2 / (1 + a^2)) = 1
            case KAIMING_UNIFORM_A1 -> Double.NaN;
            case KAIMING_NORMAL_FAN_OUT -> Math.sqrt(2.0 / (out * kernel * kernel));
            case NORMAL_001 -> 0.01;
        };
        if (init == Init.KAIMING_UNIFORM_A1) {
            double bound = Math.sqrt(3.0 / (in * kernel * kernel));
            weight.uniform_(-bound, bound, new org.bytedeco.pytorch.GeneratorOptional());
        } else {
            weight.mul_(new Scalar(std));
        }
        bias = torch.zeros(out);
        register_parameter("weight", weight);
        register_parameter("bias", bias);
    }

    Tensor forward(Tensor x) {
        if (atenOnCpu && x.is_cpu()) {
            return torch.thnn_conv2d(x, weight, new long[] {kernel, kernel}, new TensorOptional(bias),
                    new long[] {stride, stride}, padding, padding);
        }
        return torch.conv2d(x, weight, new TensorOptional(bias), new long[] {stride, stride},
                new long[] {padding, padding}, new long[] {1, 1}, 1);
    }
}
