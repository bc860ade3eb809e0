package io.wiseseg.maskrcnn;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * torchvision's FeaturePyramidNetwork with LastLevelMaxPool: 1×1 lateral convolutions
 * ({@code inner_blocks.i.0}), nearest-neighbour top-down upsampling, 3×3 output convolutions
 * ({@code layer_blocks.i.0}), and a stride-2 subsampling of the coarsest output as level "pool".
 */
final class FeaturePyramidNetwork extends Module {
    private final List<Conv2d> inner = new ArrayList<>();
    private final List<Conv2d> layer = new ArrayList<>();
    private final List<Module> holders = new ArrayList<>(); // keep the Java peers alive

    FeaturePyramidNetwork(int[] inChannels, int outChannels) {
        Module innerBlocks = register_module("inner_blocks", new Module());
        Module layerBlocks = register_module("layer_blocks", new Module());
        holders.add(innerBlocks);
        holders.add(layerBlocks);
        for (int i = 0; i < inChannels.length; i++) {
            // torchvision ≥ 0.13 wraps each conv in a Conv2dNormActivation: hence the ".0"
            Module in = innerBlocks.register_module(Integer.toString(i), new Module());
            Module out = layerBlocks.register_module(Integer.toString(i), new Module());
            holders.add(in);
            holders.add(out);
            inner.add(in.register_module("0", new Conv2d(inChannels[i], outChannels, 1, 1, 0, Conv2d.Init.KAIMING_UNIFORM_A1)));
            layer.add(out.register_module("0", new Conv2d(outChannels, outChannels, 3, 1, 1, Conv2d.Init.KAIMING_UNIFORM_A1)));
        }
    }

    /** Body stages (finest first) → pyramid levels "0".."3" and "pool" (finest first). */
    List<Tensor> forward(List<Tensor> x) {
        int n = x.size();
        Tensor last = inner.get(n - 1).forward(x.get(n - 1));
        Tensor[] results = new Tensor[n];
        results[n - 1] = layer.get(n - 1).forward(last);
        for (int i = n - 2; i >= 0; i--) {
            Tensor lateral = inner.get(i).forward(x.get(i));
            Tensor topDown = torch.upsample_nearest2d(last, new long[] {lateral.size(2), lateral.size(3)});
            last = lateral.add(topDown);
            results[i] = layer.get(i).forward(last);
        }
        List<Tensor> out = new ArrayList<>(List.of(results));
        out.add(torch.max_pool2d(results[n - 1], new long[] {1, 1}, new long[] {2, 2}, new long[] {0, 0},
                new long[] {1, 1}, false));
        return out;
    }
}
