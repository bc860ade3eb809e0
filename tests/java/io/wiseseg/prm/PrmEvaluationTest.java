package io.wiseseg.prm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.wiseseg.backbone.ResNet;
import io.wiseseg.kernels.Device;
import io.wiseseg.util.Tensors;
import io.wiseseg.util.TorchRuntime;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/** The max-pooled scorer that judges a {@code --pretraining} classifier as it was trained. */
class PrmEvaluationTest {
    static {
        TorchRuntime.ensureLoaded();
    }

    /** Each class's score is the largest value of its response map, found here by a plain loop. */
    @Test
    void mapMaximumIsEachClassMapsLargestValue() {
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            torch.manual_seed(11);
            PrmNetwork net = new PrmNetwork(ResNet.Depth.RESNET18, 8, 4, 16);
            for (int[] size : new int[][] {{64, 64}, {48, 80}}) {
                Tensor image = torch.randn(1, 3, size[0], size[1]);
                net.calibrateBatchNorm(image);
                Tensor maps = net.classResponseMaps(image);
                int h = (int) maps.size(2), w = (int) maps.size(3);
                float[] values = Tensors.toFloats(maps);
                float[] scores = PrmEvaluation.mapMaximum(net, Device.cpu()).apply(image);
                assertEquals(4, scores.length);
                for (int c = 0; c < 4; c++) {
                    float max = Float.NEGATIVE_INFINITY;
                    for (int i = c * h * w; i < (c + 1) * h * w; i++) {
                        max = Math.max(max, values[i]);
                    }
                    assertEquals(max, scores[c], 0f, "class " + c + " at " + size[0] + "x" + size[1]);
                }
            }
        }
    }
}
