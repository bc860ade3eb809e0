package io.wiseseg.prm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.kernels.Device;
import io.wiseseg.kernels.PeakFinder;
import io.wiseseg.util.TorchRuntime;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The batched peak back-propagation equals the reference's one-backward-per-peak loop. */
class PeakResponseMapsTest {
    static {
        TorchRuntime.ensureLoaded();
    }

    @ParameterizedTest
    @CsvSource({"resnet18, 16, 64", "resnet50, 8, 96"})
    void batchedEqualsLoop(String arch, int width, int size) {
        try (PointerScope scope = new PointerScope()) {
            torch.manual_seed(7);
            PrmNetwork net = new PrmNetwork(ResNet.Depth.parse(arch), width, 3);
            Tensor image = torch.randn(1, 3, size, size);
            net.calibrateBatchNorm(image);
            PeakResponseMaps prm = new PeakResponseMaps(net, new PeakStimulation(new PeakFinder(Device.cpu())),
                    Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY);
            PeakResponseMaps.Result loop = prm.compute(image, PeakResponseMaps.Mode.LOOP);
            PeakResponseMaps.Result batched = prm.compute(image, PeakResponseMaps.Mode.BATCHED);
            check(batched, loop, size);
            prm.setChunkBytes(1); // one peak per chunk: the trace is replayed once per peak
            check(prm.compute(image, PeakResponseMaps.Mode.BATCHED), loop, size);
        }
    }

    private static void check(PeakResponseMaps.Result batched, PeakResponseMaps.Result loop, int size) {
        assertTrue(batched.peaks().size() >= 3, "peaks: " + batched.peaks().size());
        assertEquals(loop.peaks(), batched.peaks());
        assertEquals(size, batched.height());
        assertEquals(loop.maps().size(), batched.maps().size());
        for (int k = 0; k < loop.maps().size(); k++) {
            float[] a = batched.maps().get(k), b = loop.maps().get(k);
            assertEquals(size * size, a.length);
            double err = PrmFixtures.relativeError(a, b);
            assertTrue(err < 1e-4, "peak " + k + " relative error " + err);
            double sum = 0;
            for (float v : a) {
                assertTrue(v >= 0);
                sum += v;
            }
            assertEquals(1.0, sum, 1e-4);
        }
    }
}
