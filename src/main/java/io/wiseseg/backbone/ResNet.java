package io.wiseseg.backbone;

import io.wiseseg.util.TorchvisionWeights;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * torchvision's ResNet up to layer4 (no pooling, no fc), with its exact module structure and
 * parameter names (conv1, bn1, layer1.0.conv1, ..., layer2.0.downsample.0), so torchvision state
 * dicts load by name. BatchNorm is frozen. {@code width} is the stem width (torchvision: 64); a
 * smaller one gives the narrow networks the fast tests and the synthetic benchmark use.
 *
 * <p>The shared backbone: PRM's classifier runs it with a {@link BackwardTrace} for its batched
 * peak response maps, Mask R-CNN's feature pyramid reads its {@link #stageOutputs}.
 */
public final class ResNet extends Module {
    /** The depths we build: block type and blocks per stage, as torchvision. */
    public enum Depth {
        RESNET18(false, 2, 2, 2, 2), RESNET34(false, 3, 4, 6, 3), RESNET50(true, 3, 4, 6, 3),
        RESNET101(true, 3, 4, 23, 3);

        final boolean bottleneck;
        final int[] blocks;

        Depth(boolean bottleneck, int... blocks) {
            this.bottleneck = bottleneck;
            this.blocks = blocks;
        }

        /** "resnet18" → RESNET18, with a one-line error listing the known names. */
        public static Depth parse(String name) {
            for (Depth d : values()) {
                if (d.cliName().equals(name.toLowerCase(Locale.ROOT))) {
                    return d;
                }
            }
            throw new IllegalArgumentException("unknown backbone '" + name + "' (known: resnet18, resnet34, resnet50, resnet101)");
        }

        public String cliName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Depth depth;
    private final int width;
    private final Conv conv1;
    private final BatchNorm bn1;
    private final List<Module> layers = new ArrayList<>();
    private final List<Block> blocks = new ArrayList<>();
    private final int outChannels;
    private final int outputStride;

    public ResNet(Depth depth, int width) {
        this(depth, width, 32);
    }

    /**
     * A ResNet whose last stages keep their input's resolution for an output stride of 16
     * (layer4 without its stride) or 8 (layer3 and layer4 without): finer class response maps
     * for small images. The weights' shapes, and so their names, do not change.
     */
    public ResNet(Depth depth, int width, int outputStride) {
        if (width < 1) {
            throw new IllegalArgumentException("width must be >= 1, got " + width);
        }
        if (outputStride != 8 && outputStride != 16 && outputStride != 32) {
            throw new IllegalArgumentException("output stride must be 8, 16 or 32, got " + outputStride);
        }
        this.outputStride = outputStride;
        this.depth = depth;
        this.width = width;
        conv1 = register_module("conv1", new Conv(3, width, 7, 2, 3, false));
        bn1 = register_module("bn1", new BatchNorm(width));
        int expansion = depth.bottleneck ? Bottleneck.EXPANSION : BasicBlock.EXPANSION;
        int in = width;
        for (int stage = 0; stage < 4; stage++) {
            int planes = width << stage;
            Module layer = register_module("layer" + (stage + 1), new Module());
            layers.add(layer); // keep the Java peer alive (see toolchain notes)
            for (int b = 0; b < depth.blocks[stage]; b++) {
                int stride = stage > 0 && b == 0 && (4 << stage) <= outputStride ? 2 : 1;
                Module block = depth.bottleneck ? new Bottleneck(in, planes, stride) : new BasicBlock(in, planes, stride);
                layer.register_module(Integer.toString(b), block);
                blocks.add((Block) block);
                in = planes * expansion;
            }
        }
        outChannels = in;
    }

    public Depth depth() {
        return depth;
    }

    public int width() {
        return width;
    }

    /**
     * Copies another ResNet's weights and BatchNorm buffers into this one (a trained classifier's
     * backbone into a new classifier or a Mask R-CNN). Strides do not matter: the weights are the
     * same at any output stride.
     *
     * @param source names {@code other} in the message
     * @throws IllegalArgumentException when depth or width differ, naming both
     */
    public void loadFrom(ResNet other, String source) {
        if (depth != other.depth || width != other.width) {
            throw new IllegalArgumentException(source + " holds a " + other.depth.name().toLowerCase(Locale.ROOT)
                    + " at width " + other.width + " but this model's backbone is a "
                    + depth.name().toLowerCase(Locale.ROOT) + " at width " + width);
        }
        TorchvisionWeights.load(this, TorchvisionWeights.stateDict(other), java.util.Set.of(), source);
    }

    /** The stride of layer4's output: 32, or 16 / 8 with the last strides removed. */
    public int outputStride() {
        return outputStride;
    }

    /** Channels of layer4's output (2048 for ResNet-50, 512 for ResNet-18). */
    public int outChannels() {
        return outChannels;
    }

    /** Layer4's features (stride {@link #outputStride()}) for a normalised N×3×H×W batch. */
    public Tensor forward(Tensor x) {
        return forward(x, null);
    }

    /**
     * The outputs of layer1 to layer4 (strides 4, 8, 16, 32), as torchvision's
     * IntermediateLayerGetter hands them to a feature pyramid.
     */
    public List<Tensor> stageOutputs(Tensor x) {
        // Every tensor a thread makes belongs to its innermost PointerScope until that scope
        // closes, so one scope around a whole forward pass (a Segmenter call, a training step)
        // would hold every activation of every block at once: several GB for ResNet-50 at 800
        // pixels, times the batch size. Each block runs in a scope of its own that keeps only its
        // output, and a block's input is let go once the next block has run (unless it is a
        // stage's output). Autograd keeps what a backward pass needs by its own reference counts.
        PointerScope outer = PointerScope.getInnerScope();
        Tensor y = scoped(outer, () -> torch.max_pool2d(Relu.forward(bn1.forward(conv1.forward(x, null)), null),
                new long[] {3, 3}, new long[] {2, 2}, new long[] {1, 1}, new long[] {1, 1}, false));
        boolean yIsStageOutput = false;
        List<Tensor> out = new ArrayList<>();
        int b = 0;
        for (int stage = 0; stage < 4; stage++) {
            for (int i = 0; i < depth.blocks[stage]; i++) {
                Block block = blocks.get(b++);
                Tensor input = y;
                y = scoped(outer, () -> block.forward(input, null));
                if (outer != null && !yIsStageOutput) {
                    outer.detach(input); // frees it now rather than when the caller's scope closes
                }
                yIsStageOutput = false;
            }
            out.add(y);
            yIsStageOutput = true;
        }
        return out;
    }

    /** {@code f}'s result, attached to {@code outer}; what else {@code f} made is freed on return. */
    private static Tensor scoped(PointerScope outer, java.util.function.Supplier<Tensor> f) {
        if (outer == null) {
            return f.get(); // no scope: the garbage collector frees them, as before
        }
        try (PointerScope inner = new PointerScope()) {
            Tensor y = f.get();
            outer.attach(y);
            return y;
        }
    }

    /** Channels of layer{@code stage + 1}'s output (stage 0..3). */
    public int stageChannels(int stage) {
        return (width << stage) * (depth.bottleneck ? Bottleneck.EXPANSION : BasicBlock.EXPANSION);
    }

    /**
     * Features of stride {@link #outputStride()}; with a {@code trace} (may be null) the pass also
     * records what {@link #inputGrad} needs.
     */
    public Tensor forward(Tensor x, BackwardTrace trace) {
        Tensor y = Relu.forward(bn1.forward(conv1.forward(x, trace)), trace);
        T_TensorTensor_T pooled = torch.max_pool2d_with_indices(y, new long[] {3, 3}, new long[] {2, 2},
                new long[] {1, 1}, new long[] {1, 1}, false);
        Tensor[] maxAndIndices = io.wiseseg.util.Tensors.owned(pooled); // get0/get1 point into the pair
        if (trace != null) {
            trace.push(new long[] {y.size(2), y.size(3)});
            trace.push(maxAndIndices[1]);
        }
        y = maxAndIndices[0];
        for (Block block : blocks) {
            y = block.forward(y, trace);
        }
        return y;
    }

    /**
     * The gradient w.r.t. the input image for a batch of K upstream gradients on layer4's output,
     * replaying the trace of one forward pass of a single image. Needs frozen BatchNorm.
     */
    public Tensor inputGrad(Tensor g, BackwardTrace trace) {
        for (int i = blocks.size() - 1; i >= 0; i--) {
            g = blocks.get(i).inputGrad(g, trace);
        }
        Tensor indices = trace.popTensor();
        long[] size = trace.popSizes();
        long k = g.size(0), c = g.size(1);
        // Max-pool backward: each output's gradient goes to the input pixel its index names.
        Tensor flat = torch.zeros(new long[] {k, c, size[0] * size[1]},
                new org.bytedeco.pytorch.TensorOptions(g.scalar_type()).device(new org.bytedeco.pytorch.DeviceOptional(g.device())));
        flat.scatter_add_(2, indices.view(1, c, -1).expand(k, c, -1), g.reshape(k, c, -1));
        g = flat.view(k, c, size[0], size[1]);
        g = Relu.inputGrad(g, trace);
        return conv1.inputGrad(bn1.inputGrad(g), trace);
    }

    /** Sets every BatchNorm's frozen statistics from one batch (for training from scratch). */
    public void calibrateBatchNorm(Tensor images) {
        norms().forEach(n -> n.calibrate(true));
        try (NoGradGuard g = new NoGradGuard()) {
            forward(images);
        } finally {
            norms().forEach(n -> n.calibrate(false));
        }
    }

    /**
     * BatchNorm in PyTorch's training mode (batch statistics, trainable affine) or frozen (the
     * reference's setting, and what inference and {@link #inputGrad} need).
     */
    public void setBatchNormTraining(boolean on) {
        norms().forEach(n -> n.trainStatistics(on));
    }

    /** Every BatchNorm layer, stem first. */
    List<BatchNorm> norms() {
        List<BatchNorm> out = new ArrayList<>(List.of(bn1));
        blocks.forEach(b -> out.addAll(b.norms()));
        return out;
    }
}
