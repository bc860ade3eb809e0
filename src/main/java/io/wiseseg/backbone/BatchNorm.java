package io.wiseseg.backbone;

import io.wiseseg.util.Tensors;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * BatchNorm with torchvision's state-dict names and buffers (weight, bias, running_mean,
 * running_var, num_batches_tracked), so ImageNet weights load by name.
 *
 * <p>Frozen by default, as WISE's PRM has it: evaluation mode, y = (x - mean) / sqrt(var + eps) ·
 * weight + bias with the running statistics, nothing trainable. Two switches exist for networks
 * trained from scratch (the synthetic benchmark, tests), where there are no statistics to freeze:
 * {@link #calibrate} takes them from one batch, and {@link #trainStatistics} runs PyTorch's
 * training mode (batch statistics, running averages with momentum 0.1, trainable affine).
 */
final class BatchNorm extends Module {
    private static final double EPS = 1e-5, MOMENTUM = 0.1;

    final Tensor weight, bias, runningMean, runningVar, batches;
    private boolean calibrating, training;

    BatchNorm(int channels) {
        // Our own handles share the TensorImpl with the registered entries (see Conv).
        weight = torch.ones(channels);
        bias = torch.zeros(channels);
        runningMean = torch.zeros(channels);
        runningVar = torch.ones(channels);
        batches = Tensors.longs(new long[] {0});
        register_parameter("weight", weight, false);
        register_parameter("bias", bias, false);
        register_buffer("running_mean", runningMean);
        register_buffer("running_var", runningVar);
        register_buffer("num_batches_tracked", batches);
    }

    /** While on, each forward pass sets the running statistics to its batch's statistics. */
    void calibrate(boolean on) {
        calibrating = on;
    }

    /** PyTorch's training mode on or off; the affine parameters train while it is on. */
    void trainStatistics(boolean on) {
        training = on;
        weight.set_requires_grad(on);
        bias.set_requires_grad(on);
    }

    boolean isTrainingStatistics() {
        return training;
    }

    Tensor scale() {
        return weight.mul(runningVar.add(new Scalar(EPS)).rsqrt());
    }

    Tensor forward(Tensor x) {
        if (training) {
            return trainingForward(x);
        }
        if (calibrating) {
            try (NoGradGuard g = new NoGradGuard()) {
                Tensor d = x.detach();
                runningMean.copy_(d.mean(new long[] {0, 2, 3}, false, new ScalarTypeOptional()));
                Tensor centred = d.sub(runningMean.view(1, -1, 1, 1));
                runningVar.copy_(centred.mul(centred).mean(new long[] {0, 2, 3}, false, new ScalarTypeOptional()));
            }
        }
        Tensor scale = scale();
        Tensor shift = bias.sub(runningMean.mul(scale));
        return x.mul(scale.view(1, -1, 1, 1)).add(shift.view(1, -1, 1, 1));
    }

    /**
     * PyTorch's training mode in LibTorch's fused kernel (one pass forward, one backward; the same
     * running averages, unbiased variance, momentum 0.1). Spelt out in eight autograd ops, as it
     * first was, it made a from-scratch classifier's steps about twice as slow.
     */
    private Tensor trainingForward(Tensor x) {
        Tensor y = torch.batch_norm(x, new TensorOptional(weight), new TensorOptional(bias),
                new TensorOptional(runningMean), new TensorOptional(runningVar), true, MOMENTUM, EPS, true);
        try (NoGradGuard g = new NoGradGuard()) {
            batches.add_(new Scalar(1L));
        }
        return y;
    }

    Tensor inputGrad(Tensor g) {
        if (training) {
            throw new IllegalStateException("the batched input gradient needs frozen BatchNorm");
        }
        return g.mul(scale().view(1, -1, 1, 1));
    }
}
