package io.wiseseg.backbone;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

/** torchvision's ResNet-18/34 block: two 3×3 convolutions and a shortcut. */
final class BasicBlock extends Module implements Block {
    static final int EXPANSION = 1;

    final Conv conv1, conv2;
    final BatchNorm bn1, bn2;
    final Downsample downsample;

    BasicBlock(int in, int planes, int stride) {
        conv1 = register_module("conv1", new Conv(in, planes, 3, stride, 1, false));
        bn1 = register_module("bn1", new BatchNorm(planes));
        conv2 = register_module("conv2", new Conv(planes, planes, 3, 1, 1, false));
        bn2 = register_module("bn2", new BatchNorm(planes));
        downsample = stride != 1 || in != planes ? register_module("downsample", new Downsample(in, planes, stride)) : null;
    }

    @Override
    public Tensor forward(Tensor x, BackwardTrace trace) {
        Tensor out = Relu.forward(bn1.forward(conv1.forward(x, trace)), trace);
        out = bn2.forward(conv2.forward(out, trace));
        Tensor identity = downsample == null ? x : downsample.forward(x, trace);
        return Relu.forward(out.add(identity), trace);
    }

    @Override
    public Tensor inputGrad(Tensor g, BackwardTrace trace) {
        g = Relu.inputGrad(g, trace);
        Tensor identity = downsample == null ? g : downsample.inputGrad(g, trace);
        Tensor branch = conv2.inputGrad(bn2.inputGrad(g), trace);
        branch = Relu.inputGrad(branch, trace);
        branch = conv1.inputGrad(bn1.inputGrad(branch), trace);
        return branch.add(identity);
    }

    @Override
    public java.util.List<BatchNorm> norms() {
        return downsample == null ? java.util.List.of(bn1, bn2) : java.util.List.of(bn1, bn2, downsample.bn);
    }
}
