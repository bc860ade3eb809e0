package io.wiseseg.maskrcnn;

import io.wiseseg.prm.ResNet;
import java.util.List;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.Tensor;

/**
 * torchvision's BackboneWithFPN: a ResNet body ({@code body.*}, frozen BatchNorm) and a feature
 * pyramid ({@code fpn.*}) over layer1..layer4, five levels of strides 4..64.
 */
final class ResNetFpn extends Module {
    /** torchvision's default trainable_backbone_layers: layer2..layer4 train, conv1 and layer1 do not. */
    static final List<String> TRAINABLE = List.of("layer4", "layer3", "layer2");

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
        StringTensorDict params = body.named_parameters(true);
        for (long i = 0; i < params.size(); i++) {
            String name = params.get(i).key().getString();
            if (TRAINABLE.stream().noneMatch(name::startsWith)) {
                params.get(i).value().set_requires_grad(false);
            }
        }
    }

    /** Normalised, padded N×3×H×W batch → levels "0", "1", "2", "3", "pool". */
    List<Tensor> forward(Tensor images) {
        return fpn.forward(body.stageOutputs(images));
    }
}
