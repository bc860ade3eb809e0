package io.wiseseg.prm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.wiseseg.kernels.Device;
import io.wiseseg.kernels.PeakFinder;
import io.wiseseg.util.Tensors;
import io.wiseseg.util.TorchRuntime;
import java.util.Random;
import org.bytedeco.pytorch.Optimizer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.junit.jupiter.api.Test;

/**
 * The pieces of a {@link TrainingRecipe} against slow, obvious formulas in doubles: max pooling,
 * the softmax loss and its gradient, one Adam step, and the command-line names.
 */
class TrainingRecipeTest {
    static {
        TorchRuntime.ensureLoaded();
    }

    private static float[] random(Random r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextGaussian() * scale);
        }
        return a;
    }

    @Test
    void maxPoolingIsEachMapsLargestValue() {
        Random r = new Random(7);
        PeakStimulation unused = new PeakStimulation(new PeakFinder(Device.cpu()));
        for (int trial = 0; trial < 5; trial++) {
            int n = 1 + r.nextInt(3), c = 1 + r.nextInt(4), h = 1 + r.nextInt(9), w = 1 + r.nextInt(9);
            float[] maps = random(r, n * c * h * w, 3);
            float[] got = Tensors.toFloats(TrainingRecipe.PRETRAINING.scores(Tensors.floats(maps, n, c, h, w), unused));
            assertEquals(n * c, got.length);
            for (int m = 0; m < n * c; m++) {
                float max = Float.NEGATIVE_INFINITY;
                for (int p = 0; p < h * w; p++) {
                    max = Math.max(max, maps[m * h * w + p]);
                }
                assertEquals(max, got[m], "map " + m);
            }
        }
    }

    @Test
    void peakPoolingIsPeakStimulationsAggregation() {
        Random r = new Random(8);
        PeakStimulation stimulation = new PeakStimulation(new PeakFinder(Device.cpu()));
        Tensor maps = Tensors.floats(random(r, 2 * 3 * 12 * 10, 1), 2, 3, 12, 10);
        float[] want = Tensors.toFloats(stimulation.apply(maps).aggregation());
        float[] got = Tensors.toFloats(TrainingRecipe.PRM.scores(maps, stimulation));
        assertEquals(java.util.Arrays.toString(want), java.util.Arrays.toString(got));
    }

    @Test
    void softmaxLossAndGradientMatchTheFormulaOnEvenlySpreadLabels() {
        Random r = new Random(9);
        for (int trial = 0; trial < 6; trial++) {
            int n = 1 + r.nextInt(5), c = 2 + r.nextInt(6);
            float[] s = random(r, n * c, trial == 5 ? 40 : 2); // the last trial: logits far apart (stability)
            float[] y = new float[n * c];
            for (int i = 0; i < n; i++) {
                y[i * c + r.nextInt(c)] = 1;
                if (r.nextBoolean()) {
                    y[i * c + r.nextInt(c)] = 1; // a second label (or the same one again)
                }
            }
            Tensor scores = Tensors.floats(s, n, c);
            scores.set_requires_grad(true);
            Tensor loss = TrainingRecipe.PRETRAINING.loss(scores, Tensors.floats(y, n, c));
            loss.backward();
            float[] grad = Tensors.toFloats(scores.grad());

            double want = 0;
            double[] wantGrad = new double[n * c];
            for (int i = 0; i < n; i++) {
                double max = Double.NEGATIVE_INFINITY, labels = 0, z = 0;
                for (int k = 0; k < c; k++) {
                    max = Math.max(max, s[i * c + k]);
                    labels += y[i * c + k];
                }
                for (int k = 0; k < c; k++) {
                    z += Math.exp(s[i * c + k] - max);
                }
                for (int k = 0; k < c; k++) {
                    double logP = s[i * c + k] - max - Math.log(z), target = y[i * c + k] / labels;
                    want -= target * logP / n;
                    wantGrad[i * c + k] = (Math.exp(logP) - target) / n; // d/ds of the mean cross-entropy
                }
            }
            assertEquals(want, loss.item_float(), 1e-5 * Math.max(1, want), "trial " + trial);
            for (int k = 0; k < n * c; k++) {
                assertEquals(wantGrad[k], grad[k], 1e-6, "trial " + trial + ", gradient " + k);
            }
        }
    }

    @Test
    void adamsFirstStepMovesEachWeightByTheRateAgainstItsGradient() {
        // Adam's first step: m̂ = g, v̂ = g², so w -= lr · g / (|g| + ε), with g = ∇ + wd · w
        Random r = new Random(10);
        float[] w0 = random(r, 12, 1), target = random(r, 12, 1);
        Tensor w = Tensors.floats(w0.clone(), 12);
        w.set_requires_grad(true);
        TensorVector params = new TensorVector();
        params.push_back(w);
        double lr = 0.003, wd = 0.01;
        Optimizer adam = TrainingRecipe.PRETRAINING.newOptimizer(params, lr, 0.9, wd);
        Tensor loss = w.sub(Tensors.floats(target, 12)).pow(new org.bytedeco.pytorch.Scalar(2.0)).sum();
        adam.zero_grad();
        loss.backward();
        adam.step();
        float[] got = Tensors.toFloats(w.detach());
        for (int i = 0; i < 12; i++) {
            double g = 2.0 * (w0[i] - target[i]) + wd * w0[i];
            assertEquals(w0[i] - lr * g / (Math.abs(g) + 1e-8), got[i], 1e-6, "weight " + i);
        }
    }

    @Test
    void commandLineNamesParseAndABadOneListsTheChoices() {
        assertEquals(TrainingRecipe.Loss.SOFT_MARGIN, TrainingRecipe.parse(TrainingRecipe.Loss.class, "soft-margin", "--loss"));
        assertEquals(TrainingRecipe.Pooling.MAX, TrainingRecipe.parse(TrainingRecipe.Pooling.class, "max", "--pooling"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainingRecipe.parse(TrainingRecipe.OptimizerKind.class, "rmsprop", "--optimizer"));
        assertEquals("--optimizer: unknown value 'rmsprop' (one of sgd, adam)", e.getMessage());
        assertEquals("max pooling, softmax loss, adam", TrainingRecipe.PRETRAINING.toString());
    }
}
