package io.wiseseg.maskrcnn;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * torchvision's MaskRCNNHeads: four 3×3 conv + ReLU layers, named {@code 0.0} .. {@code 3.0} as in
 * torchvision ≥ 0.13 (older files name them mask_fcn1..4; {@link MaskRcnnWeights} renames those).
 */
final class MaskHead extends Module {
    private final List<Module> holders = new ArrayList<>();
    private final List<Conv2d> convs = new ArrayList<>();

    MaskHead(int in, int channels) {
        for (int i = 0; i < 4; i++) {
            Module block = register_module(Integer.toString(i), new Module());
            holders.add(block);
            convs.add(block.register_module("0", new Conv2d(i == 0 ? in : channels, channels, 3, 1, 1,
                    Conv2d.Init.KAIMING_NORMAL_FAN_OUT)));
        }
    }

    Tensor forward(Tensor x) {
        for (Conv2d c : convs) {
            x = torch.relu(c.forward(x));
        }
        return x;
    }
}
