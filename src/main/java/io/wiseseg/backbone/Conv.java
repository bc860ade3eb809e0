package io.wiseseg.backbone;

import org.bytedeco.javacpp.BoolPointer;
import org.bytedeco.pytorch.LongArrayRefOptional;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.T_TensorTensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * A 2-D convolution with torchvision's parameter names ({@code weight}, optional {@code bias}).
 * Our own module rather than {@code Conv2dImpl} so that stride and padding are at hand for the
 * batched input gradient. Public for heads built on the backbone (PRM's 1×1 classifier).
 */
public final class Conv extends Module {
    /**
     * oneDNN's CPU kernels store channels in blocks of 16 (AVX-512; 8 on AVX2) and pad a short
     * block. LibTorch 2.10's oneDNN returned wrong, sometimes NaN, gradients for such layers on an
     * AVX-512 CPU, in some runs and not others (8 → 8 and 3 → 8 channels; ConvTest). Layers that do
     * not fill the blocks therefore run ATen's own convolution on the CPU. An image input (≤ 4
     * channels) is exempt: oneDNN reads a first layer's input unblocked.
     *
     * <p>Strided 1×1 layers (ResNet's downsampling) also run ATen's: on the same CPU, creating
     * oneDNN's backward for ResNet-50's 1024 → 2048 downsampling of an 8×10 map died with SIGFPE
     * (an integer division by zero in {@code brgemm_convolution_bwd_utils::est_eff_1x1}), the JVM
     * with it, even under {@code ONEDNN_MAX_CPU_ISA=AVX2}.
     */
    static final int ONEDNN_CHANNEL_BLOCK = 16;

    final int inChannels, outChannels, kernel, stride, padding;
    /** Whether, on the CPU, this layer bypasses oneDNN (see {@link #ONEDNN_CHANNEL_BLOCK}). */
    final boolean atenOnCpu;
    final Tensor weight;
    final Tensor bias;

    public Conv(int inChannels, int outChannels, int kernel, int stride, int padding, boolean withBias) {
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.atenOnCpu = !oneDnnSafe(inChannels, outChannels, kernel, stride);
        // torchvision's ResNet init: Kaiming normal, fan_out, ReLU gain.
        double std = Math.sqrt(2.0 / (outChannels * kernel * kernel));
        // Keep our own handles: register_* returns a reference into the module's dict, which
        // moves when the next entry is added. Ours share the TensorImpl with the registered one.
        weight = torch.randn(outChannels, inChannels, kernel, kernel).mul_(new org.bytedeco.pytorch.Scalar(std));
        register_parameter("weight", weight);
        if (withBias) {
            // PyTorch's Conv2d default bias init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
            double bound = 1.0 / Math.sqrt(inChannels * kernel * kernel);
            bias = torch.rand(outChannels).mul_(new org.bytedeco.pytorch.Scalar(2 * bound))
                    .sub_(new org.bytedeco.pytorch.Scalar(bound));
            register_parameter("bias", bias);
        } else {
            bias = null;
        }
    }

    /** The convolution; with a {@code trace} (may be null) it records its input size. */
    public Tensor forward(Tensor x, BackwardTrace trace) {
        if (trace != null) {
            trace.push(new long[] {x.size(2), x.size(3)});
        }
        TensorOptional b = bias == null ? new TensorOptional() : new TensorOptional(bias);
        if (atenOnCpu && x.is_cpu()) {
            return torch.thnn_conv2d(x, weight, new long[] {kernel, kernel}, b, new long[] {stride, stride},
                    padding, padding);
        }
        return torch.conv2d(x, weight, b, new long[] {stride, stride}, new long[] {padding, padding},
                new long[] {1, 1}, 1);
    }

    /** Whether oneDNN's CPU kernels can take this layer (see {@link #ONEDNN_CHANNEL_BLOCK}). */
    public static boolean oneDnnSafe(int inChannels, int outChannels, int kernel, int stride) {
        boolean fillsBlocks = outChannels % ONEDNN_CHANNEL_BLOCK == 0
                && (inChannels % ONEDNN_CHANNEL_BLOCK == 0 || inChannels <= 4);
        return fillsBlocks && !(kernel == 1 && stride > 1);
    }

    /** out×in×k×k, registered as {@code weight}. */
    public Tensor weight() {
        return weight;
    }

    /** The bias registered as {@code bias}, or null without one. */
    public Tensor bias() {
        return bias;
    }

    /** The gradient w.r.t. this layer's input for a batch of upstream gradients {@code g}. */
    Tensor inputGrad(Tensor g, BackwardTrace trace) {
        long[] in = trace.popSizes();
        if (atenOnCpu && g.is_cpu()) {
            // the input gradient is the transposed convolution; output padding restores the input
            // size that the stride rounded away
            long[] outputPadding = {in[0] - ((g.size(2) - 1) * stride - 2L * padding + kernel),
                in[1] - ((g.size(3) - 1) * stride - 2L * padding + kernel)};
            return torch.slow_conv_transpose2d(g, weight, new long[] {kernel, kernel}, new TensorOptional(),
                    new long[] {stride, stride}, new long[] {padding, padding}, outputPadding, new long[] {1, 1});
        }
        // The kernel autograd itself runs for a convolution's input gradient (a transposed
        // convolution), so the batched pass matches the per-peak loop; it reads only the shape
        // of "input", which is left uninitialised here.
        Tensor inputShape = torch.empty(new long[] {g.size(0), inChannels, in[0], in[1]},
                new org.bytedeco.pytorch.TensorOptions(g.scalar_type()).device(new org.bytedeco.pytorch.DeviceOptional(g.device())),
                new org.bytedeco.pytorch.MemoryFormatOptional());
        BoolPointer mask = new BoolPointer(3);
        mask.put(0, true).put(1, false).put(2, false);
        T_TensorTensorTensor_T grads = torch.convolution_backward(g, inputShape, weight, new LongArrayRefOptional(),
                new long[] {stride, stride}, new long[] {padding, padding}, new long[] {1, 1}, false,
                new long[] {0, 0}, 1, mask);
        Tensor grad = new Tensor(grads.get0()); // our own handle: get0 points into the tuple
        java.lang.ref.Reference.reachabilityFence(grads);
        return grad;
    }
}
