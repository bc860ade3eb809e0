package io.wiseseg.prm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.backbone.ResNet;
import io.wiseseg.kernels.Device;
import io.wiseseg.kernels.PeakFinder;
import io.wiseseg.testing.FloatArrays;
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
    @CsvSource({"resnet18, 16, 64, 32", "resnet50, 8, 96, 32", "resnet18, 16, 64, 16", "resnet18, 8, 64, 8"})
    void batchedEqualsLoop(String arch, int width, int size, int outputStride) {
        try (PointerScope scope = new PointerScope()) {
            torch.manual_seed(7);
            PrmNetwork net = new PrmNetwork(ResNet.Depth.parse(arch), width, 3, outputStride);
            Tensor image = torch.randn(1, 3, size, size);
            net.calibrateBatchNorm(image);
            PeakResponseMaps prm = new PeakResponseMaps(net, new PeakStimulation(new PeakFinder(Device.cpu())),
                    Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY);
            PeakResponseMaps.Result loop = prm.compute(image, PeakResponseMaps.Mode.LOOP);
            PeakResponseMaps.Result batched = prm.compute(image, PeakResponseMaps.Mode.BATCHED);
            check(batched, loop, size);
            assertEquals(size / outputStride * PrmNetwork.SUB_PIXEL_FACTOR, batched.mapHeight());
            prm.setChunkBytes(1); // one peak per chunk: the trace is replayed once per peak
            check(prm.compute(image, PeakResponseMaps.Mode.BATCHED), loop, size);
        }
    }

    /**
     * With image labels: the peaks of the labelled classes only, whatever their class scores; a
     * labelled class without a peak over the threshold keeps its strongest peak.
     */
    @org.junit.jupiter.api.Test
    void imageLabelsKeepTheLabelledClassesPeaks() {
        try (PointerScope scope = new PointerScope()) {
            torch.manual_seed(3);
            PrmNetwork net = new PrmNetwork(ResNet.Depth.RESNET18, 8, 3, 16);
            Tensor image = torch.randn(1, 3, 64, 64);
            net.calibrateBatchNorm(image);
            PeakStimulation stimulation = new PeakStimulation(new PeakFinder(Device.cpu()));
            PeakResponseMaps everything = new PeakResponseMaps(net, stimulation, Float.NEGATIVE_INFINITY,
                    Float.NEGATIVE_INFINITY);
            java.util.List<Peak> all = everything.peaks(image).peaks();
            // a threshold between class 2's strongest peak and the others' makes class 2 peakless
            float strongest2 = (float) all.stream().filter(p -> p.classId() == 2).mapToDouble(Peak::value).max().orElseThrow();
            float threshold = strongest2 + 1e-3f;
            PeakResponseMaps strict = new PeakResponseMaps(net, stimulation, Float.POSITIVE_INFINITY, threshold);
            PeakResponseMaps.Result r = strict.compute(image, new int[] {0, 2});
            java.util.List<Peak> want = new java.util.ArrayList<>();
            all.stream().filter(p -> p.classId() == 0 && p.value() > threshold).forEach(want::add);
            if (want.isEmpty()) {
                all.stream().filter(p -> p.classId() == 0).max(java.util.Comparator.comparingDouble(Peak::value))
                        .ifPresent(want::add);
            }
            all.stream().filter(p -> p.classId() == 2).max(java.util.Comparator.comparingDouble(Peak::value))
                    .ifPresent(want::add);
            assertEquals(want, r.peaks());
            assertEquals(want.size(), r.maps().size());
            // the maps are those of the same peaks computed one by one
            PeakResponseMaps.Result loop = everything.compute(image, want, PeakResponseMaps.Mode.LOOP);
            for (int k = 0; k < want.size(); k++) {
                assertTrue(FloatArrays.relativeError(r.maps().get(k), loop.maps().get(k)) < 1e-4);
            }
            assertEquals(want, strict.peaks(image, new int[] {0, 2}).peaks());
            assertEquals(java.util.List.of(), strict.peaks(image, new int[] {}).peaks());
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
            double err = FloatArrays.relativeError(a, b);
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
