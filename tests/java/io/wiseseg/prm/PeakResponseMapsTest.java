package io.wiseseg.prm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.backbone.ResNet;
import io.wiseseg.kernels.Device;
import io.wiseseg.kernels.PeakFinder;
import io.wiseseg.testing.ArrayPrm;
import io.wiseseg.testing.FloatArrays;
import io.wiseseg.util.Tensors;
import io.wiseseg.util.TorchRuntime;
import java.util.List;
import java.util.Random;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The batched peak back-propagation equals the reference's one-backward-per-peak loop; the maps,
 * kept as tensors, equal the array computation they replaced; each call runs the network once.
 */
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
            assertEquals(want.size(), r.maps().size(0));
            // the maps are those of the same peaks computed one by one
            PeakResponseMaps.Result loop = everything.compute(image, want, PeakResponseMaps.Mode.LOOP);
            for (int k = 0; k < want.size(); k++) {
                assertTrue(FloatArrays.relativeError(r.map(k), loop.map(k)) < 1e-4);
            }
            assertEquals(want, strict.peaks(image, new int[] {0, 2}).peaks());
            assertEquals(java.util.List.of(), strict.peaks(image, new int[] {}).peaks());
        }
    }

    /**
     * The loop's maps, normalised as tensors, have the same bits as the old array computation on
     * the same per-peak gradients (autograd, then a Java loop dividing by a double sum): the
     * normalisation moved into tensors without changing a value. Random weights and image.
     */
    @org.junit.jupiter.api.Test
    void mapsEqualTheArrayReferenceBitForBit() {
        try (PointerScope scope = new PointerScope()) {
            torch.manual_seed(11);
            PrmNetwork net = new PrmNetwork(ResNet.Depth.RESNET18, 8, 3, 16);
            Tensor image = torch.randn(1, 3, 64, 96);
            net.calibrateBatchNorm(image);
            PeakResponseMaps prm = new PeakResponseMaps(net, new PeakStimulation(new PeakFinder(Device.cpu())),
                    Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY);
            PeakResponseMaps.Result loop = prm.compute(image, PeakResponseMaps.Mode.LOOP);
            int k = loop.peaks().size();
            assertTrue(k >= 3, "peaks: " + k);
            assertArrayEquals(new long[] {k, 64, 96}, Tensors.shape(loop.maps()));
            assertTrue(loop.maps().is_contiguous());
            List<float[]> want = ArrayPrm.maps(net, image, loop.peaks());
            int[] maxima = loop.responseMaxima();
            for (int i = 0; i < k; i++) {
                assertArrayEquals(want.get(i), loop.map(i), "peak " + i);
                assertEquals(ArrayPrm.argmax(want.get(i)), maxima[i], "peak " + i);
            }
        }
    }

    /** Ties (quantised values, an all-zero map) go to the first maximum, as the array loop's argmax. */
    @org.junit.jupiter.api.Test
    void responseMaximaAreTheFirstMaxima() {
        try (PointerScope scope = new PointerScope()) {
            Random random = new Random(5);
            int k = 6, h = 48, w = 80; // 3,840 values a map: LibTorch's vectorised argmax path
            float[] values = new float[k * h * w];
            for (int i = 0; i < values.length; i++) {
                values[i] = random.nextInt(4) / 3f;
            }
            java.util.Arrays.fill(values, 3 * h * w, 4 * h * w, 0f);
            values[5 * h * w + h * w - 1] = 2f; // a map whose only maximum is its last value
            List<Peak> peaks = java.util.Collections.nCopies(k, new Peak(0, 0, 0, 1f));
            PeakResponseMaps.Result r = new PeakResponseMaps.Result(h, w, h, w, new float[1], peaks, null,
                    Tensors.floats(values, k, h, w));
            int[] maxima = r.responseMaxima();
            for (int i = 0; i < k; i++) {
                float[] map = java.util.Arrays.copyOfRange(values, i * h * w, (i + 1) * h * w);
                assertEquals(ArrayPrm.argmax(map), maxima[i], "map " + i);
            }
            assertEquals(0, maxima[3]);
            assertEquals(h * w - 1, maxima[5]);
        }
    }

    /**
     * Every call runs the network once, and the class maps it returns are that pass's maps:
     * the same values as a separate forward pass. Peaks-only results carry no response maps.
     */
    @org.junit.jupiter.api.Test
    void eachCallRunsTheNetworkOnce() {
        try (PointerScope scope = new PointerScope()) {
            torch.manual_seed(4);
            PrmNetwork net = new PrmNetwork(ResNet.Depth.RESNET18, 8, 3, 16);
            Tensor image = torch.randn(1, 3, 64, 64);
            net.calibrateBatchNorm(image);
            PeakResponseMaps prm = new PeakResponseMaps(net, new PeakStimulation(new PeakFinder(Device.cpu())),
                    Float.NEGATIVE_INFINITY, 0f);
            int[] labels = {0, 2};
            List<java.util.function.Supplier<PeakResponseMaps.Result>> calls = List.of(
                    () -> prm.compute(image, labels), () -> prm.compute(image),
                    () -> prm.compute(image, PeakResponseMaps.Mode.LOOP), () -> prm.peaks(image),
                    () -> prm.peaks(image, labels),
                    () -> prm.compute(image, List.of(new Peak(1, 3, 4, 0f)), PeakResponseMaps.Mode.BATCHED));
            Tensor fresh;
            try (NoGradGuard g = new NoGradGuard()) {
                fresh = net.classResponseMaps(image);
            }
            for (int i = 0; i < calls.size(); i++) {
                long before = net.forwardPasses();
                PeakResponseMaps.Result r = calls.get(i).get();
                assertEquals(before + 1, net.forwardPasses(), "call " + i);
                assertArrayEquals(Tensors.toFloats(fresh), Tensors.toFloats(r.classMaps()), "call " + i);
            }
            PeakResponseMaps.Result peaksOnly = prm.peaks(image, labels);
            assertNull(peaksOnly.maps());
            assertThrows(IllegalStateException.class, () -> peaksOnly.map(0));
            assertThrows(IllegalStateException.class, peaksOnly::responseMaxima);
        }
    }

    private static void check(PeakResponseMaps.Result batched, PeakResponseMaps.Result loop, int size) {
        assertTrue(batched.peaks().size() >= 3, "peaks: " + batched.peaks().size());
        assertEquals(loop.peaks(), batched.peaks());
        assertEquals(size, batched.height());
        assertEquals(loop.peaks().size(), batched.maps().size(0));
        assertEquals(loop.peaks().size(), loop.maps().size(0));
        for (int k = 0; k < loop.peaks().size(); k++) {
            float[] a = batched.map(k), b = loop.map(k);
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
