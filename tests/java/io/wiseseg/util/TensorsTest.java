package io.wiseseg.util;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Arrays in and out of tensors: values, shapes, dtype conversion, non-contiguous views. */
class TensorsTest {
    @BeforeAll
    static void load() {
        TorchRuntime.ensureLoaded();
    }

    @Test
    void floatsAndLongsRoundTripRowMajor() {
        Tensor f = Tensors.floats(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertArrayEquals(new long[] {2, 3}, Tensors.shape(f));
        assertEquals("[2, 3]", Tensors.shapeString(f));
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, Tensors.toFloats(f));
        Tensor l = Tensors.longs(new long[] {7, -8, 1L << 40}, 3);
        assertEquals(ScalarType.Long.value, l.scalar_type().value);
        assertArrayEquals(new long[] {7, -8, 1L << 40}, Tensors.toLongs(l));
        assertArrayEquals(new float[0], Tensors.toFloats(Tensors.floats(new float[0], 0, 4)));
        assertThrows(IllegalArgumentException.class, () -> Tensors.floats(new float[5], 2, 3));
    }

    @Test
    void readsNonContiguousViewsAndConvertsTheDtype() {
        Tensor t = Tensors.floats(new float[] {1, 2, 3, 4, 5, 6}, 2, 3).t(); // strides (1, 3)
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, Tensors.toFloats(t));
        assertArrayEquals(new long[] {1, 4, 2, 5, 3, 6}, Tensors.toLongs(t));
        assertArrayEquals(new int[] {1, 4, 2, 5, 3, 6}, Tensors.toInts(t));
        assertArrayEquals(new float[] {7, -8}, Tensors.toFloats(Tensors.longs(new long[] {7, -8}, 2)));
    }

    @Test
    void zerosAreFloat32AndIntsNarrowExactly() {
        Tensor z = Tensors.zeros(2, 0, 3);
        assertEquals(ScalarType.Float.value, z.scalar_type().value);
        assertArrayEquals(new long[] {2, 0, 3}, Tensors.shape(z));
        assertArrayEquals(new float[4], Tensors.toFloats(Tensors.zeros(4)));
        Tensor big = Tensors.longs(new long[] {1L << 40}, 1);
        assertThrows(ArithmeticException.class, () -> Tensors.toInts(big));
    }
}
