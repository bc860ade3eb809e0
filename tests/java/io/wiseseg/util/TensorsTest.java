package io.wiseseg.util;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Arrays in and out of tensors: values, shapes, dtype conversion, non-contiguous views; tensors
 * made on another tensor's device (LibTorch's "meta" device stands in for a GPU), seeded keys, a
 * pair result's tensors kept alive.
 */
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

    private static Tensor onMeta() {
        return torch.empty(new long[] {1}, new TensorOptions(ScalarType.Float)
                .device(new DeviceOptional(new org.bytedeco.pytorch.Device("meta"))), new MemoryFormatOptional());
    }

    @Test
    void theOnHelpersMakeTensorsOnTheOthersDevice() {
        Tensor cpu = Tensors.zeros(1), meta = onMeta();
        assertArrayEquals(new float[] {1, 2, 3, 4}, Tensors.toFloats(Tensors.floatsOn(cpu, new float[] {1, 2, 3, 4}, 2, 2)));
        assertArrayEquals(new long[] {5, 6}, Tensors.toLongs(Tensors.longsOn(cpu, new long[] {5, 6}, 2)));
        assertArrayEquals(new float[6], Tensors.toFloats(Tensors.zerosOn(cpu, 2, 3)));
        for (Tensor t : new Tensor[] {Tensors.floatsOn(meta, new float[] {1, 2}, 2), Tensors.longsOn(meta, new long[] {1}, 1),
                Tensors.zerosOn(meta, 2, 3), Tensors.uniformOn(meta, 5, 1), Tensors.toDeviceOf(Tensors.zeros(2), meta),
                torch.ones(new long[] {2}, Tensors.options(meta, ScalarType.Long))}) {
            assertTrue(t.is_meta(), "made on " + t.device().str().getString());
        }
        assertEquals(ScalarType.Long.value, Tensors.longsOn(meta, new long[] {1}, 1).scalar_type().value);
        Tensor z = Tensors.zeros(3);
        assertEquals(z.data_ptr().address(), Tensors.toDeviceOf(z, cpu).data_ptr().address(), "no copy on its own device");
    }

    @Test
    void uniformKeysFollowTheirSeed() {
        Tensor a = Tensors.uniformOn(Tensors.zeros(1), 1000, 42), b = Tensors.uniformOn(Tensors.zeros(1), 1000, 42);
        assertEquals(ScalarType.Double.value, a.scalar_type().value);
        assertTrue(a.equal(b), "one seed, one sequence");
        assertFalse(a.equal(Tensors.uniformOn(Tensors.zeros(1), 1000, 43)), "another seed, another sequence");
        assertTrue(a.min().item_double() >= 0 && a.max().item_double() < 1, "in [0, 1)");
    }

    @Test
    void bytesOfAMask() {
        Tensor mask = Tensors.floats(new float[] {0.2f, 0.7f, 0.5f, 0.9f}, 2, 2).gt(new Scalar(0.5));
        assertArrayEquals(new byte[] {0, 1, 0, 1}, Tensors.toBytes(mask));
    }

    /** The pair's own storage is freed here on purpose: the owned tensors must not live in it. */
    @Test
    void ownedTensorsOutliveTheirPair() {
        Tensor v = Tensors.floats(new float[] {3, 9, 1, 7}, 4);
        T_TensorTensor_T pair = v.topk(2, 0, true, true);
        Tensor[] owned = Tensors.owned(pair);
        pair.deallocate();
        assertArrayEquals(new float[] {9, 7}, Tensors.toFloats(owned[0]));
        assertArrayEquals(new long[] {1, 3}, Tensors.toLongs(owned[1]));
    }
}
