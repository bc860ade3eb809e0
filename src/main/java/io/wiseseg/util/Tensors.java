package io.wiseseg.util;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** Copies between Java arrays and CPU tensors (through the tensor's memory, no per-element calls). */
public final class Tensors {
    static {
        // may be a program's first LibTorch use: load it safely before this class's methods touch it
        TorchRuntime.ensureLoaded();
    }

    private Tensors() {}

    /** A new float32 CPU tensor of {@code shape} holding {@code values} (row-major). */
    public static Tensor floats(float[] values, long... shape) {
        Tensor t = torch.empty(shape, new TensorOptions(ScalarType.Float), new MemoryFormatOptional());
        if (values.length != t.numel()) {
            throw new IllegalArgumentException(values.length + " values for a tensor of " + t.numel());
        }
        if (values.length > 0) {
            MemorySegment.copy(values, 0, segment(t), ValueLayout.JAVA_FLOAT, 0, values.length);
        }
        return t;
    }

    /** A new int64 CPU tensor of {@code shape} holding {@code values}. */
    public static Tensor longs(long[] values, long... shape) {
        Tensor t = torch.empty(shape, new TensorOptions(ScalarType.Long), new MemoryFormatOptional());
        if (values.length != t.numel()) {
            throw new IllegalArgumentException(values.length + " values for a tensor of " + t.numel());
        }
        if (values.length > 0) {
            MemorySegment.copy(values, 0, segment(t), ValueLayout.JAVA_LONG, 0, values.length);
        }
        return t;
    }

    /** A new float64 CPU tensor of {@code shape} holding {@code values} (row-major). */
    /**
     * {@code t} on the device of {@code like}: itself when both are on the CPU, else a copy. For
     * host-built tensors (masks, labels, counts) that meet tensors of a network on any device.
     */
    public static Tensor toDeviceOf(Tensor t, Tensor like) {
        if (like.is_cpu() && t.is_cpu()) {
            return t;
        }
        return t.to(like.device(), t.scalar_type());
    }

    public static Tensor doubles(double[] values, long... shape) {
        Tensor t = torch.empty(shape, new TensorOptions(ScalarType.Double), new MemoryFormatOptional());
        if (values.length != t.numel()) {
            throw new IllegalArgumentException(values.length + " values for a tensor of " + t.numel());
        }
        if (values.length > 0) {
            MemorySegment.copy(values, 0, segment(t), ValueLayout.JAVA_DOUBLE, 0, values.length);
        }
        return t;
    }

    /**
     * The sum of each of {@code rows} equal consecutive slices of a float tensor's values
     * (row-major), added one by one in order in double precision, read in place on a contiguous
     * CPU float tensor. The order is the point: it gives the same bits as a Java loop over the
     * values, where LibTorch's own sum adds pairwise and can differ in the last bits.
     */
    public static double[] sequentialSums(Tensor t, int rows) {
        Tensor c = cpuContiguous(t, ScalarType.Float);
        long n = c.numel();
        if (rows < 0 || (rows == 0 ? n != 0 : n % rows != 0)) {
            throw new IllegalArgumentException(n + " values do not split into " + rows + " equal rows");
        }
        double[] out = new double[rows];
        if (n == 0) {
            return out;
        }
        MemorySegment seg = segment(c);
        long per = n / rows;
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (long i = r * per, end = i + per; i < end; i++) {
                s += seg.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            }
            out[r] = s;
        }
        return out;
    }

    /** A new float32 CPU tensor of {@code shape} filled with zeros. */
    public static Tensor zeros(long... shape) {
        return torch.zeros(shape, new TensorOptions(ScalarType.Float));
    }

    /** The values of a float tensor (any device, any layout), row-major. */
    public static float[] toFloats(Tensor t) {
        Tensor c = cpuContiguous(t, ScalarType.Float);
        float[] out = new float[Math.toIntExact(c.numel())];
        if (out.length > 0) {
            MemorySegment.copy(segment(c), ValueLayout.JAVA_FLOAT, 0, out, 0, out.length);
        }
        return out;
    }

    /** The values of a tensor as int64 (any device, any layout, converted if need be), row-major. */
    public static long[] toLongs(Tensor t) {
        Tensor c = cpuContiguous(t, ScalarType.Long);
        long[] out = new long[Math.toIntExact(c.numel())];
        if (out.length > 0) {
            MemorySegment.copy(segment(c), ValueLayout.JAVA_LONG, 0, out, 0, out.length);
        }
        return out;
    }

    /** As {@link #toLongs}, narrowed to int; a value outside the int range is an ArithmeticException. */
    public static int[] toInts(Tensor t) {
        long[] l = toLongs(t);
        int[] out = new int[l.length];
        for (int i = 0; i < l.length; i++) {
            out[i] = Math.toIntExact(l[i]);
        }
        return out;
    }

    public static long[] shape(Tensor t) {
        long[] s = new long[(int) t.dim()];
        for (int i = 0; i < s.length; i++) {
            s[i] = t.size(i);
        }
        return s;
    }

    public static String shapeString(Tensor t) {
        return java.util.Arrays.toString(shape(t));
    }

    private static Tensor cpuContiguous(Tensor t, ScalarType type) {
        Tensor c = t.detach();
        if (!c.device().is_cpu()) {
            c = c.to(new org.bytedeco.pytorch.Device("cpu"), type);
        }
        if (c.scalar_type().value != type.value) {
            c = c.to(c.device(), type);
        }
        return c.contiguous();
    }

    private static MemorySegment segment(Tensor t) {
        return MemorySegment.ofAddress(t.data_ptr().address()).reinterpret(t.nbytes());
    }
}
