package io.wiseseg.maskrcnn;

import io.wiseseg.backbone.ResNet;
import java.util.List;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.Tensor;

/**
 * torchvision's BackboneWithFPN: a ResNet body ({@code body.*}, frozen BatchNorm) and a feature
 * pyramid ({@code fpn.*}) over layer1..layer4, five levels of strides 4..64.
 */
final class ResNetFpn extends Module {
    /** torchvision's trainable_backbone_layers order: the first k of these train. */
    static final List<String> LAYERS = List.of("layer4", "layer3", "layer2", "layer1", "conv1");

    final ResNet body;
    final FeaturePyramidNetwork fpn;
    final int outChannels;

    ResNetFpn(ResNet.Depth depth, int width, int outChannels) {
        this.outChannels = outChannels;
        body = register_module("body", new ResNet(depth, width));
        int[] in = new int[4];
        for (int i = 0; i < 4; i++) {
            in[i] = body.stageChannels(i);
        }
        fpn = register_module("fpn", new FeaturePyramidNetwork(in, outChannels));
    }

    /**
     * torchvision's trainable_backbone_layers (0..5): the convolutions of the last k of conv1,
     * layer1..layer4 train, the others are frozen. BatchNorm stays frozen whatever k is.
     */
    void setTrainableLayers(int k) {
        if (k < 0 || k > LAYERS.size()) {
            throw new IllegalArgumentException("trainable backbone layers must be in 0..5, got " + k);
        }
        List<String> trainable = LAYERS.subList(0, k);
        StringTensorDict params = body.named_parameters(true);
        for (long i = 0; i < params.size(); i++) {
            String name = params.get(i).key().getString();
            boolean batchNorm = name.contains("bn") || name.contains("downsample.1.");
            params.get(i).value().set_requires_grad(!batchNorm && trainable.stream().anyMatch(name::startsWith));
        }
    }

    /** Normalised, padded N×3×H×W batch → levels "0", "1", "2", "3", "pool". */
    List<Tensor> forward(Tensor images) {
        return fpn.forward(body.stageOutputs(images));
    }
}
