package io.wiseseg.prm;

import io.wiseseg.util.Tensors;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.wiseseg.kernels.Device;
import io.wiseseg.kernels.PeakFinder;
import io.wiseseg.util.TorchRuntime;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/** Aggregation = mean of the peak values; its gradient = upstream × peak mask / peak count. */
class PeakStimulationTest {
    static {
        TorchRuntime.ensureLoaded();
    }

    @Test
    void aggregationAndGradient() {
        try (PointerScope scope = new PointerScope()) {
            torch.manual_seed(3);
            Tensor maps = torch.randn(2, 3, 9, 11).set_requires_grad(true);
            PeakStimulation.Result r = new PeakStimulation(new PeakFinder(Device.cpu())).apply(maps);
            float[] agg = Tensors.toFloats(r.aggregation());
            float[] values = Tensors.toFloats(maps);
            double[] sums = new double[6];
            for (int i = 0; i < r.peaks().size(); i++) {
                int m = r.peaks().batch()[i] * 3 + r.peaks().classes()[i];
                sums[m] += values[(m * 9 + r.peaks().ys()[i]) * 11 + r.peaks().xs()[i]];
            }
            float[] upstream = {1, 2, 3, 4, 5, 6};
            r.aggregation().mul(Tensors.floats(upstream, 2, 3)).sum().backward();
            float[] grad = Tensors.toFloats(maps.grad());
            float[] expected = new float[grad.length];
            for (int i = 0; i < r.peaks().size(); i++) {
                int m = r.peaks().batch()[i] * 3 + r.peaks().classes()[i];
                expected[(m * 9 + r.peaks().ys()[i]) * 11 + r.peaks().xs()[i]] = upstream[m] / r.peaks().counts()[m];
            }
            for (int m = 0; m < 6; m++) {
                assertEquals(sums[m] / r.peaks().counts()[m], agg[m], 1e-5);
                assertEquals(r.peaks().aggregation()[m], agg[m], 1e-5);
            }
            for (int i = 0; i < grad.length; i++) {
                assertEquals(expected[i], grad[i], 1e-6);
            }
        }
    }
}
