package io.wiseseg.maskrcnn;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** Copies between Java arrays and CPU tensors through the tensor's memory. */
final class TensorData {
    private TensorData() {}

    static Tensor floats(float[] values, long... shape) {
        Tensor t = torch.empty(shape, new TensorOptions(ScalarType.Float), new MemoryFormatOptional());
        if (values.length != t.numel()) {
            throw new IllegalArgumentException(values.length + " values for a tensor of " + t.numel());
        }
        if (values.length > 0) {
            MemorySegment.copy(values, 0, segment(t), ValueLayout.JAVA_FLOAT, 0, values.length);
        }
        return t;
    }

    static Tensor longs(long[] values, long... shape) {
        Tensor t = torch.empty(shape, new TensorOptions(ScalarType.Long), new MemoryFormatOptional());
        if (values.length != t.numel()) {
            throw new IllegalArgumentException(values.length + " values for a tensor of " + t.numel());
        }
        if (values.length > 0) {
            MemorySegment.copy(values, 0, segment(t), ValueLayout.JAVA_LONG, 0, values.length);
        }
        return t;
    }

    static Tensor longs(int[] values) {
        long[] l = new long[values.length];
        for (int i = 0; i < l.length; i++) {
            l[i] = values[i];
        }
        return longs(l, l.length);
    }

    static Tensor zeros(long... shape) {
        return torch.zeros(shape, new TensorOptions(ScalarType.Float));
    }

    static Tensor scalar(double v) {
        return torch.full(new long[] {}, new Scalar(v), new TensorOptions(ScalarType.Float));
    }

    static float[] toFloats(Tensor t) {
        Tensor c = prepare(t, ScalarType.Float);
        float[] out = new float[Math.toIntExact(c.numel())];
        if (out.length > 0) {
            MemorySegment.copy(segment(c), ValueLayout.JAVA_FLOAT, 0, out, 0, out.length);
        }
        return out;
    }

    static long[] toLongs(Tensor t) {
        Tensor c = prepare(t, ScalarType.Long);
        long[] out = new long[Math.toIntExact(c.numel())];
        if (out.length > 0) {
            MemorySegment.copy(segment(c), ValueLayout.JAVA_LONG, 0, out, 0, out.length);
        }
        return out;
    }

    static int[] toInts(Tensor t) {
        long[] l = toLongs(t);
        int[] out = new int[l.length];
        for (int i = 0; i < l.length; i++) {
            out[i] = Math.toIntExact(l[i]);
        }
        return out;
    }

    private static Tensor prepare(Tensor t, ScalarType type) {
        Tensor c = t.detach();
        if (!c.is_cpu()) {
            c = c.cpu();
        }
        if (c.scalar_type().value != type.value) {
            c = c.to(type);
        }
        return c.contiguous();
    }

    private static MemorySegment segment(Tensor t) {
        return MemorySegment.ofAddress(t.data_ptr().address()).reinterpret(t.nbytes());
    }
}
