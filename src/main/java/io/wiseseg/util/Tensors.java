package io.wiseseg.util;

import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.lang.foreign.ValueLayout;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.DimnameListOptional;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Copies between Java arrays and tensors (through the tensor's memory, no per-element calls), and
 * new tensors on another tensor's device (the "on" helpers), so that code written once runs where
 * its inputs are.
 */
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

    /** Options for a new tensor of {@code type} on {@code like}'s device. */
    public static TensorOptions options(Tensor like, ScalarType type) {
        return new TensorOptions(type).device(new DeviceOptional(like.device()));
    }

    /** A new float32 tensor of {@code shape} filled with zeros, on {@code like}'s device. */
    public static Tensor zerosOn(Tensor like, long... shape) {
        return torch.zeros(shape, options(like, ScalarType.Float));
    }

    /** {@link #floats}, on {@code like}'s device: a host-to-device upload when that is not the CPU. */
    public static Tensor floatsOn(Tensor like, float[] values, long... shape) {
        return toDeviceOf(floats(values, shape), like);
    }

    /** {@link #longs}, on {@code like}'s device: a host-to-device upload when that is not the CPU. */
    public static Tensor longsOn(Tensor like, long[] values, long... shape) {
        return toDeviceOf(longs(values, shape), like);
    }

    /**
     * {@code t} on {@code like}'s device: {@code t} itself when it is there already, else a
     * non-blocking copy (from pageable host memory the copy is staged at once and the host does
     * not wait for the device's queue).
     */
    public static Tensor toDeviceOf(Tensor t, Tensor like) {
        return t.to(like.device(), t.scalar_type(), true, false, new MemoryFormatOptional());
    }

    /**
     * {@code n} float64 values uniform in [0, 1) from a CPU generator seeded with {@code seed},
     * on {@code like}'s device: the same values for a seed on every device (a device's own
     * generator would draw others).
     */
    public static Tensor uniformOn(Tensor like, long n, long seed) {
        Tensor host = torch.rand(new long[] {n}, new GeneratorOptional(torch.make_generator_cpu(seed)),
                new DimnameListOptional(), new TensorOptions(ScalarType.Double));
        return toDeviceOf(host, like);
    }

    /**
     * The two tensors of a pair result (max, topk, sort: values, indices) as tensors of their own.
     * The pair's get0/get1 point into the pair, which the GC may free as soon as it is unreachable
     * (outside a PointerScope); these copies share the data and keep it alive.
     */
    public static Tensor[] owned(T_TensorTensor_T pair) {
        try {
            return new Tensor[] {new Tensor(pair.get0()), new Tensor(pair.get1())};
        } finally {
            Reference.reachabilityFence(pair);
        }
    }

    /** The values of a tensor as bytes (any device, any layout, converted if need be), row-major. */
    public static byte[] toBytes(Tensor t) {
        Tensor c = cpuContiguous(t, ScalarType.Byte);
        byte[] out = new byte[Math.toIntExact(c.numel())];
        if (out.length > 0) {
            MemorySegment.copy(segment(c), ValueLayout.JAVA_BYTE, 0, out, 0, out.length);
        }
        return out;
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
