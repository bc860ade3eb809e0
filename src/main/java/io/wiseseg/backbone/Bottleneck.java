package io.wiseseg.backbone;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

/** torchvision's ResNet-50 block (v1.5: the stride sits on the 3×3 convolution). */
final class Bottleneck extends Module implements Block {
    static final int EXPANSION = 4;

    final Conv conv1, conv2, conv3;
    final BatchNorm bn1, bn2, bn3;
    final Downsample downsample;

    Bottleneck(int in, int planes, int stride) {
        int out = planes * EXPANSION;
        conv1 = register_module("conv1", new Conv(in, planes, 1, 1, 0, false));
        bn1 = register_module("bn1", new BatchNorm(planes));
        conv2 = register_module("conv2", new Conv(planes, planes, 3, stride, 1, false));
        bn2 = register_module("bn2", new BatchNorm(planes));
        conv3 = register_module("conv3", new Conv(planes, out, 1, 1, 0, false));
        bn3 = register_module("bn3", new BatchNorm(out));
        downsample = stride != 1 || in != out ? register_module("downsample", new Downsample(in, out, stride)) : null;
    }

    @Override
    public Tensor forward(Tensor x, BackwardTrace trace) {
        Tensor out = Relu.forward(bn1.forward(conv1.forward(x, trace)), trace);
        out = Relu.forward(bn2.forward(conv2.forward(out, trace)), trace);
        out = bn3.forward(conv3.forward(out, trace));
        Tensor identity = downsample == null ? x : downsample.forward(x, trace);
        return Relu.forward(out.add(identity), trace);
    }

    @Override
    public Tensor inputGrad(Tensor g, BackwardTrace trace) {
        g = Relu.inputGrad(g, trace);
        Tensor identity = downsample == null ? g : downsample.inputGrad(g, trace);
        Tensor branch = conv3.inputGrad(bn3.inputGrad(g), trace);
        branch = Relu.inputGrad(branch, trace);
        branch = conv2.inputGrad(bn2.inputGrad(branch), trace);
        branch = Relu.inputGrad(branch, trace);
        branch = conv1.inputGrad(bn1.inputGrad(branch), trace);
        return branch.add(identity);
    }

    @Override
    public java.util.List<BatchNorm> norms() {
        return downsample == null ? java.util.List.of(bn1, bn2, bn3) : java.util.List.of(bn1, bn2, bn3, downsample.bn);
    }
}
