package io.wiseseg.kernels;

import io.wiseseg.util.TorchRuntime;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** Tensor helpers for the kernel tests, and the devices every kernel test runs on. */
final class TestTensors {
    static {
        TorchRuntime.ensureLoaded();
    }

    private TestTensors() {}

    /** The CPU, plus CUDA 0 when a GPU answers (the same tests then run on both). */
    static List<Device> devices() {
        List<Device> out = new ArrayList<>();
        out.add(Device.cpu());
        if (Device.cudaUnavailableReason() == null) {
            out.add(Device.cuda(0));
        }
        return out;
    }

    static Tensor floats(float[] values, long... shape) {
        Tensor t = torch.empty(shape, new TensorOptions(ScalarType.Float), new org.bytedeco.pytorch.MemoryFormatOptional());
        if (values.length != t.numel()) {
            throw new IllegalArgumentException(values.length + " values for shape of " + t.numel());
        }
        if (values.length > 0) {
            MemorySegment.copy(values, 0, MemorySegment.ofAddress(t.data_ptr().address()).reinterpret(t.nbytes()),
                    ValueLayout.JAVA_FLOAT, 0, values.length);
        }
        return t;
    }

    /** {@code t} on {@code device} (a copy on CUDA, the tensor itself on the CPU). */
    static Tensor on(Tensor t, Device device) {
        return device.kind() == Device.Kind.CPU ? t
                : t.to(new org.bytedeco.pytorch.Device("cuda:" + device.index()), t.scalar_type());
    }

    static float[] values(Tensor t) {
        return TensorAccess.toFloats(t);
    }

    static int[] ints(Tensor t) {
        return TensorAccess.toInts(t);
    }
}
