package io.wiseseg.prm;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * BatchNorm in evaluation mode with nothing trainable, as WISE's PRM freezes it: y = (x - mean) /
 * sqrt(var + eps) * weight + bias with the running statistics. It keeps torchvision's state-dict
 * names and buffers (weight, bias, running_mean, running_var, num_batches_tracked) so ImageNet
 * weights load by name.
 */
final class FrozenBatchNorm extends Module {
    private static final double EPS = 1e-5;

    final Tensor weight, bias, runningMean, runningVar;
    private boolean calibrating;

    FrozenBatchNorm(int channels) {
        // Our own handles share the TensorImpl with the registered entries (see Conv).
        weight = torch.ones(channels);
        bias = torch.zeros(channels);
        runningMean = torch.zeros(channels);
        runningVar = torch.ones(channels);
        register_parameter("weight", weight, false);
        register_parameter("bias", bias, false);
        register_buffer("running_mean", runningMean);
        register_buffer("running_var", runningVar);
        register_buffer("num_batches_tracked", Tensors.longs(new long[] {0}));
    }

    /**
     * While on, the next forward passes set the running statistics to their batch's statistics.
     * Why: a network trained from scratch has no statistics to freeze; taking them from one batch
     * keeps the activations of a deep frozen-BN network in range.
     */
    void calibrate(boolean on) {
        calibrating = on;
    }

    Tensor scale() {
        return weight.mul(runningVar.add(new Scalar(EPS)).rsqrt());
    }

    Tensor forward(Tensor x) {
        if (calibrating) {
            try (NoGradGuard g = new NoGradGuard()) {
                Tensor d = x.detach();
                runningMean.copy_(d.mean(new long[] {0, 2, 3}, false, new org.bytedeco.pytorch.ScalarTypeOptional()));
                Tensor centred = d.sub(runningMean.view(1, -1, 1, 1));
                runningVar.copy_(centred.mul(centred).mean(new long[] {0, 2, 3}, false, new org.bytedeco.pytorch.ScalarTypeOptional()));
            }
        }
        Tensor scale = scale();
        Tensor shift = bias.sub(runningMean.mul(scale));
        return x.mul(scale.view(1, -1, 1, 1)).add(shift.view(1, -1, 1, 1));
    }

    Tensor inputGrad(Tensor g) {
        return g.mul(scale().view(1, -1, 1, 1));
    }
}
