package io.wiseseg.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Zero-copy views of LibTorch tensors as native addresses, with the checks that keep a bad call
 * from reaching native code: every failure is an IllegalArgumentException naming the argument.
 * The caller keeps the tensor reachable for the whole native call.
 */
final class TensorAccess {
    private TensorAccess() {}

    /** The data address of {@code t}, after checking dtype, rank, contiguity and device. */
    static MemorySegment address(Tensor t, String name, ScalarType dtype, int rank, Device device) {
        requireTensor(t, name, dtype, rank, device);
        long bytes = t.nbytes();
        if (bytes == 0) {
            return MemorySegment.NULL; // LibTorch gives empty tensors no data pointer
        }
        long address = t.data_ptr().address();
        if (device.kind() == Device.Kind.CPU) {
            return MemorySegment.ofAddress(address).reinterpret(bytes);
        }
        return MemorySegment.ofAddress(address); // device memory: never dereferenced in Java
    }

    static void requireTensor(Tensor t, String name, ScalarType dtype, int rank, Device device) {
        if (t == null || t.isNull()) {
            throw new IllegalArgumentException(name + " is null");
        }
        if (t.dim() != rank) {
            throw new IllegalArgumentException(name + " must have " + rank + " dimensions, got "
                    + t.dim() + " " + shape(t));
        }
        if (t.scalar_type().value != dtype.value) {
            throw new IllegalArgumentException(name + " must be " + dtype + ", got " + t.scalar_type().intern());
        }
        if (!t.is_contiguous()) {
            throw new IllegalArgumentException(name + " must be contiguous (call .contiguous())");
        }
        boolean cuda = device.kind() == Device.Kind.CUDA;
        if (cuda ? !t.is_cuda() : !t.is_cpu()) {
            throw new IllegalArgumentException(name + " is on " + (t.is_cuda() ? "CUDA" : "CPU")
                    + " but the kernels run on " + device.description());
        }
        if (cuda && t.device().index() != device.index()) {
            throw new IllegalArgumentException(name + " is on CUDA " + t.device().index()
                    + " but the kernels run on " + device.description());
        }
    }

    static String shape(Tensor t) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < t.dim(); i++) {
            sb.append(i == 0 ? "" : ", ").append(t.size(i));
        }
        return sb.append(']').toString();
    }

    static void requireNoNan(Tensor t, String name) {
        if (t.numel() == 0) {
            return;
        }
        boolean nan;
        if (t.is_cpu() && t.is_contiguous() && t.scalar_type().value == ScalarType.Float.value) {
            // scanned here rather than with a LibTorch op: its OpenMP workers would keep spinning
            // after the op and slow the kernel threads that run next
            MemorySegment s = MemorySegment.ofAddress(t.data_ptr().address()).reinterpret(t.nbytes());
            nan = false;
            for (long i = 0, n = t.numel(); i < n && !nan; i++) {
                float v = s.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                nan = v != v;
            }
        } else {
            nan = torch.isnan(t).any().item_bool();
        }
        if (nan) {
            throw new IllegalArgumentException(name + " contains NaN");
        }
    }

    /** A new tensor of {@code dtype} on the same device as {@code like}. */
    static Tensor empty(Tensor like, ScalarType dtype, long... sizes) {
        TensorOptions o = new TensorOptions(dtype).device(new org.bytedeco.pytorch.DeviceOptional(like.device()));
        return torch.empty(sizes, o, new org.bytedeco.pytorch.MemoryFormatOptional());
    }

    static Tensor zeros(Tensor like, ScalarType dtype, long... sizes) {
        TensorOptions o = new TensorOptions(dtype).device(new org.bytedeco.pytorch.DeviceOptional(like.device()));
        return torch.zeros(sizes, o);
    }

    /** A host copy of a tensor's elements, read through a native view. */
    static float[] toFloats(Tensor t) {
        Tensor c = t.cpu().contiguous();
        float[] out = new float[(int) c.numel()];
        if (out.length > 0) {
            MemorySegment.copy(MemorySegment.ofAddress(c.data_ptr().address()).reinterpret(c.nbytes()),
                    ValueLayout.JAVA_FLOAT, 0, out, 0, out.length);
        }
        return out;
    }

    static int[] toInts(Tensor t) {
        Tensor c = t.cpu().contiguous();
        int[] out = new int[(int) c.numel()];
        if (out.length > 0) {
            MemorySegment.copy(MemorySegment.ofAddress(c.data_ptr().address()).reinterpret(c.nbytes()),
                    ValueLayout.JAVA_INT, 0, out, 0, out.length);
        }
        return out;
    }

    static long[] toLongs(Tensor t) {
        Tensor c = t.cpu().contiguous();
        long[] out = new long[(int) c.numel()];
        if (out.length > 0) {
            MemorySegment.copy(MemorySegment.ofAddress(c.data_ptr().address()).reinterpret(c.nbytes()),
                    ValueLayout.JAVA_LONG, 0, out, 0, out.length);
        }
        return out;
    }

    static byte[] toBytes(Tensor t) {
        Tensor c = t.cpu().contiguous();
        byte[] out = new byte[(int) c.numel()];
        if (out.length > 0) {
            MemorySegment.copy(MemorySegment.ofAddress(c.data_ptr().address()).reinterpret(c.nbytes()),
                    ValueLayout.JAVA_BYTE, 0, out, 0, out.length);
        }
        return out;
    }

    /** A host float array as a tensor on {@code like}'s device. */
    static Tensor fromFloats(float[] values, Tensor like) {
        Tensor host = torch.empty(new long[] {values.length}, new TensorOptions(ScalarType.Float), new org.bytedeco.pytorch.MemoryFormatOptional());
        if (values.length > 0) {
            MemorySegment.copy(values, 0, MemorySegment.ofAddress(host.data_ptr().address())
                    .reinterpret(host.nbytes()), ValueLayout.JAVA_FLOAT, 0, values.length);
        }
        return like.is_cpu() ? host : host.to(like.device(), ScalarType.Float);
    }

    static Tensor fromInts(int[] values, Tensor like) {
        Tensor host = torch.empty(new long[] {values.length}, new TensorOptions(ScalarType.Int), new org.bytedeco.pytorch.MemoryFormatOptional());
        if (values.length > 0) {
            MemorySegment.copy(values, 0, MemorySegment.ofAddress(host.data_ptr().address())
                    .reinterpret(host.nbytes()), ValueLayout.JAVA_INT, 0, values.length);
        }
        return like.is_cpu() ? host : host.to(like.device(), ScalarType.Int);
    }

    /** The address to pass for an optional output tensor (NULL when absent). */
    static MemorySegment addressOrNull(Tensor t) {
        return t == null || t.numel() == 0 ? MemorySegment.NULL : MemorySegment.ofAddress(t.data_ptr().address());
    }
}
