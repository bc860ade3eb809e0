package io.wiseseg.pseudo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The maps' means and maxima, read from the tensors in place, equal a plain loop over their
 * values to the bit (the rules' thresholds are factor × these levels, so a last-bit change would
 * move a threshold's cut).
 */
class MapTensorsTest {
    static {
        io.wiseseg.util.TorchRuntime.ensureLoaded();
    }

    @Test
    void meansAndMaximaEqualALoop() {
        try (PointerScope scope = new PointerScope()) {
            Random random = new Random(9);
            int k = 5, h = 37, w = 53;
            float[] v = new float[k * h * w];
            for (int i = 0; i < v.length; i++) {
                // many magnitudes: a pairwise sum would round differently from the loop's
                v[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(7) - 3));
            }
            Tensor maps = Inputs.maps(v, k, h, w);
            double[] means = new double[k], maxima = new double[k];
            for (int i = 0; i < k; i++) {
                double s = 0;
                float m = Float.NEGATIVE_INFINITY;
                for (int j = i * h * w; j < (i + 1) * h * w; j++) {
                    s += v[j];
                    m = Math.max(m, v[j]);
                }
                means[i] = s / (h * w);
                maxima[i] = m;
            }
            assertArrayEquals(means, MapTensors.means(maps));
            assertArrayEquals(maxima, MapTensors.maxima(maps));
            // a strided view (every other map) reads the same values as its contiguous copy
            Tensor every2 = maps.slice(0, new org.bytedeco.pytorch.LongOptional(0), new org.bytedeco.pytorch.LongOptional(k), 2);
            assertArrayEquals(new double[] {means[0], means[2], means[4]}, MapTensors.means(every2));
            assertEquals(0, MapTensors.means(Inputs.maps(new float[0], 0, h, w)).length);
            assertEquals(0, MapTensors.maxima(Inputs.maps(new float[0], 0, h, w)).length);
        }
    }
}
