package io.wiseseg.backbone;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.wiseseg.util.Tensors;
import io.wiseseg.util.TorchRuntime;
import java.util.Random;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link BatchNorm}'s training mode (LibTorch's fused kernel) against the formulas written out in
 * doubles: the output, the running averages (momentum 0.1, unbiased variance), the batch count,
 * and the gradients w.r.t. input, weight and bias; random inputs, and a channel that is constant
 * over the batch (variance 0: only eps keeps it finite).
 */
class BatchNormTest {
    private static final double EPS = 1e-5, MOMENTUM = 0.1;

    @BeforeAll
    static void load() {
        TorchRuntime.ensureLoaded();
    }

    @Test
    void trainingModeMatchesTheFormulaOnRandomBatches() {
        Random random = new Random(11);
        for (int trial = 0; trial < 4; trial++) {
            int n = 1 + random.nextInt(4), c = 1 + random.nextInt(5), h = 1 + random.nextInt(6), w = 2 + random.nextInt(6);
            check(n, c, h, w, random, false);
        }
    }

    @Test
    void aConstantChannelNormalisesToItsBias() {
        check(3, 2, 4, 5, new Random(5), true);
    }

    private static void check(int n, int c, int h, int w, Random random, boolean constantFirstChannel) {
        try (PointerScope scope = new PointerScope()) {
            int hw = h * w, size = n * c * hw;
            float[] x = new float[size], g = new float[size];
            for (int i = 0; i < size; i++) {
                x[i] = (float) (3 * random.nextGaussian() + 1.5);
                g[i] = (float) random.nextGaussian();
            }
            if (constantFirstChannel) {
                for (int b = 0; b < n; b++) {
                    java.util.Arrays.fill(x, b * c * hw, b * c * hw + hw, 2.25f);
                }
            }
            float[] gamma = new float[c], beta = new float[c], rm0 = new float[c], rv0 = new float[c];
            for (int k = 0; k < c; k++) {
                gamma[k] = (float) (0.5 + random.nextDouble());
                beta[k] = (float) random.nextGaussian();
                rm0[k] = (float) random.nextGaussian();
                rv0[k] = (float) (0.5 + random.nextDouble());
            }
            BatchNorm bn = new BatchNorm(c);
            bn.weight.copy_(Tensors.floats(gamma, c));
            bn.bias.copy_(Tensors.floats(beta, c));
            bn.runningMean.copy_(Tensors.floats(rm0, c));
            bn.runningVar.copy_(Tensors.floats(rv0, c));
            bn.trainStatistics(true);
            Tensor input = Tensors.floats(x, n, c, h, w).set_requires_grad(true);
            Tensor y = bn.forward(input);
            y.mul(Tensors.floats(g, n, c, h, w)).sum().backward();

            float[] yOut = Tensors.toFloats(y), dx = Tensors.toFloats(input.grad());
            float[] dGamma = Tensors.toFloats(bn.weight.grad()), dBeta = Tensors.toFloats(bn.bias.grad());
            float[] rm = Tensors.toFloats(bn.runningMean), rv = Tensors.toFloats(bn.runningVar);
            assertArrayEquals(new long[] {1}, Tensors.toLongs(bn.batches));

            int m = n * hw;
            for (int k = 0; k < c; k++) {
                double mean = 0, var = 0;
                for (int b = 0; b < n; b++) {
                    for (int i = 0; i < hw; i++) {
                        mean += x[(b * c + k) * hw + i];
                    }
                }
                mean /= m;
                for (int b = 0; b < n; b++) {
                    for (int i = 0; i < hw; i++) {
                        double d = x[(b * c + k) * hw + i] - mean;
                        var += d * d;
                    }
                }
                var /= m; // biased, as normalisation uses
                double inv = 1 / Math.sqrt(var + EPS);
                double sumG = 0, sumGXhat = 0;
                for (int b = 0; b < n; b++) {
                    for (int i = 0; i < hw; i++) {
                        int j = (b * c + k) * hw + i;
                        double xhat = (x[j] - mean) * inv;
                        assertEquals(xhat * gamma[k] + beta[k], yOut[j], 1e-4 * (1 + Math.abs(yOut[j])), "output");
                        sumG += g[j];
                        sumGXhat += g[j] * xhat;
                    }
                }
                assertEquals(sumG, dBeta[k], 1e-4 * (1 + Math.abs(sumG)), "bias gradient");
                assertEquals(sumGXhat, dGamma[k], 1e-4 * (1 + Math.abs(sumGXhat)), "weight gradient");
                for (int b = 0; b < n; b++) {
                    for (int i = 0; i < hw; i++) {
                        int j = (b * c + k) * hw + i;
                        double xhat = (x[j] - mean) * inv;
                        double expected = gamma[k] * inv * (g[j] - sumG / m - xhat * sumGXhat / m);
                        assertEquals(expected, dx[j], 2e-4 * (1 + Math.abs(expected)), "input gradient");
                    }
                }
                double unbiased = m > 1 ? var * m / (m - 1) : var;
                assertEquals((1 - MOMENTUM) * rm0[k] + MOMENTUM * mean, rm[k], 1e-5 * (1 + Math.abs(mean)), "running mean");
                assertEquals((1 - MOMENTUM) * rv0[k] + MOMENTUM * unbiased, rv[k], 1e-5 * (1 + unbiased), "running var");
            }
        }
    }
}
