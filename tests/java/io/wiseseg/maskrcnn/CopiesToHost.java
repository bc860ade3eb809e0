package io.wiseseg.maskrcnn;

import io.wiseseg.util.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * Test-only and used by nothing: each method does one thing that MaskRcnnStaysOnDeviceTest's rule
 * forbids in the per-step classes (a host copy, a tensor made on the CPU by default).
 * {@code MaskRcnnStaysOnDeviceTest} checks that the rule reports every one of them.
 */
final class CopiesToHost {
    private CopiesToHost() {}

    static float[] toArray(Tensor t) {
        return Tensors.toFloats(t);
    }

    static float item(Tensor t) {
        return t.sum().item_float();
    }

    static Tensor onTheCpu(Tensor t) {
        return t.cpu();
    }

    static Tensor cpuZeros() {
        return torch.zeros(3, 4);
    }

    static Tensor cpuArray() {
        return Tensors.floats(new float[] {1, 2}, 2);
    }

    static Tensor cpuOptions() {
        return torch.ones(new long[] {2}, new TensorOptions(torch.ScalarType.Float));
    }
}
