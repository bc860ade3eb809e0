package io.wiseseg.pseudo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.backbone.ResNet;
import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.ProgressListener;
import io.wiseseg.data.RgbImage;
import io.wiseseg.data.SyntheticDataset;
import io.wiseseg.data.VocDataset;
import io.wiseseg.kernels.Device;
import io.wiseseg.kernels.PeakFinder;
import io.wiseseg.prm.ImageTensors;
import io.wiseseg.prm.Peak;
import io.wiseseg.prm.PeakResponseMaps;
import io.wiseseg.prm.PeakStimulation;
import io.wiseseg.prm.PrmNetwork;
import io.wiseseg.proposals.Proposal;
import io.wiseseg.proposals.ProposalSource;
import io.wiseseg.testing.ArrayPrm;
import io.wiseseg.testing.FloatArrays;
import io.wiseseg.util.Tensors;
import io.wiseseg.util.TorchRuntime;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PRM's evidence for the selection rules, computed on tensors from one forward pass per image,
 * against the array computation it replaced (kept here: a separate forward pass for the peaks,
 * one autograd backward per peak, maps as arrays, a Java argmax, a third pass for the class
 * maps). Random network, synthetic 80×72 images resized to a 96×96 input.
 */
class PrmEvidenceTest {
    static {
        TorchRuntime.ensureLoaded();
    }

    static final int IMAGE_SIZE = 96;
    static final List<String> CLASSES = List.of("disc", "square", "triangle");

    @TempDir
    static Path tmp;
    static VocDataset dataset;
    static PrmNetwork network;
    static PeakResponseMaps prm;

    @BeforeAll
    static void setUp() {
        dataset = SyntheticDataset.generate(tmp.resolve("synth"), new SyntheticDataset.Options(5, 80, 72, 5, 3,
                CLASSES, 0.03, 0.0, false), ProgressListener.NONE);
        torch.manual_seed(5);
        network = new PrmNetwork(ResNet.Depth.RESNET18, 8, CLASSES.size(), 16);
        try (PointerScope scope = new PointerScope()) {
            network.calibrateBatchNorm(input(dataset.labelled("train").get(0)));
        }
        // every peak of every class: many seeds per image, some with near-tied maxima
        prm = new PeakResponseMaps(network, new PeakStimulation(new PeakFinder(Device.cpu())),
                Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY);
    }

    @Test
    void evidenceEqualsTheArrayComputation() throws Exception {
        int seeds = 0;
        for (boolean labels : new boolean[] {true, false}) {
            PrmEvidence evidence = new PrmEvidence(dataset, network, prm, IMAGE_SIZE, proposals(),
                    SelectionRule.Evidence.CLASS_MAPS, PrmEvidence.Point.RESPONSE_MAX, labels);
            for (LabelledImage image : dataset.labelled("train")) {
                try (PointerScope scope = new PointerScope()) {
                    ImageEvidence got = evidence.evidence(image);
                    Reference want = reference(image, labels);
                    String where = image.id() + (labels ? " (labels)" : "");
                    compare(got, want, where);
                    seeds += got.seeds().size();
                }
            }
        }
        assertTrue(seeds >= 20, "seeds compared: " + seeds);
    }

    /** Seeds at the peaks need no maps, and get none; the peaks are the same as with maps. */
    @Test
    void seedsAtThePeaksNeedNoMaps() throws Exception {
        PrmEvidence peaksOnly = new PrmEvidence(dataset, network, prm, IMAGE_SIZE, proposals(),
                SelectionRule.Evidence.PEAKS, PrmEvidence.Point.PEAK, true);
        LabelledImage image = dataset.labelled("train").get(1);
        try (PointerScope scope = new PointerScope()) {
            ImageEvidence e = peaksOnly.evidence(image);
            assertNull(e.peakResponseMaps());
            assertNull(e.classMaps());
            PeakResponseMaps.Result r = prm.compute(input(image), image.labels());
            assertEquals(r.peaks().size(), e.seeds().size());
            for (int k = 0; k < r.peaks().size(); k++) {
                Peak p = r.peaks().get(k);
                Seed s = e.seeds().get(k);
                assertEquals(p.classId(), s.classId());
                assertEquals(p.value(), s.value());
                assertEquals(Math.min(image.height() - 1, (int) Math.floor((r.imageY(p) + 0.5) * image.height() / r.height())),
                        s.y());
                assertEquals(Math.min(image.width() - 1, (int) Math.floor((r.imageX(p) + 0.5) * image.width() / r.width())),
                        s.x());
            }
        }
    }

    /** Whatever the rule needs and wherever the seeds sit, the network runs once per image. */
    @Test
    void theNetworkRunsOncePerImage() throws Exception {
        LabelledImage image = dataset.labelled("train").get(2);
        for (SelectionRule.Evidence needs : SelectionRule.Evidence.values()) {
            for (PrmEvidence.Point point : PrmEvidence.Point.values()) {
                for (boolean labels : new boolean[] {true, false}) {
                    if (needs == SelectionRule.Evidence.PEAKS && point == PrmEvidence.Point.RESPONSE_MAX) {
                        continue; // needsOf never asks for this
                    }
                    PrmEvidence evidence = new PrmEvidence(dataset, network, prm, IMAGE_SIZE, proposals(), needs, point,
                            labels);
                    try (PointerScope scope = new PointerScope()) {
                        long before = network.forwardPasses();
                        evidence.evidence(image);
                        assertEquals(before + 1, network.forwardPasses(), needs + " " + point + " labels=" + labels);
                    }
                }
            }
        }
    }

    /** Labelling a split leaves no native object behind per image (each image's scope frees its tensors). */
    @Test
    void labellingLeavesNoNativeObjectsBehind() throws Exception {
        SelectionRule rule = BestIou.smoothed(0.02, 0.5, 20);
        PrmEvidence evidence = new PrmEvidence(dataset, network, prm, IMAGE_SIZE, proposals(),
                PrmEvidence.needsOf(rule, PrmEvidence.Point.RESPONSE_MAX), PrmEvidence.Point.RESPONSE_MAX, true);
        PseudoLabeller labeller = new PseudoLabeller(rule, null, Inputs.scorer());
        List<LabelledImage> images = dataset.labelled("train");
        List<Integer> categories = List.of(1, 2, 3);
        labeller.labelSplit(images.subList(0, 1), evidence, categories, tmp.resolve("warm.json"), ProgressListener.NONE);
        long before = Pointer.totalCount();
        for (int round = 0; round < 3; round++) {
            labeller.labelSplit(images, evidence, categories, tmp.resolve("round" + round + ".json"),
                    ProgressListener.NONE);
        }
        long after = Pointer.totalCount();
        assertTrue(after <= before, "live JavaCPP pointers " + before + " -> " + after + " over " + 3 * images.size()
                + " images");
    }

    @Test
    void anotherNetworkIsRefused() {
        PrmNetwork other = new PrmNetwork(ResNet.Depth.RESNET18, 8, CLASSES.size(), 16);
        assertThrows(IllegalArgumentException.class, () -> new PrmEvidence(dataset, other, prm, IMAGE_SIZE, proposals(),
                SelectionRule.Evidence.CLASS_MAPS, PrmEvidence.Point.RESPONSE_MAX, true));
    }

    /** The old evidence: seeds, the K×H×W response maps and the C×H×W class maps. */
    record Reference(List<Seed> seeds, List<float[]> inputMaps, int inputHeight, int inputWidth, Tensor responseMaps,
            Tensor classMaps) {}

    static Reference reference(LabelledImage image, boolean labels) {
        RgbImage rgb = dataset.readImage(image);
        int h = rgb.height(), w = rgb.width();
        Tensor x = input(image);
        PeakResponseMaps.Result peaks = labels ? prm.peaks(x, image.labels()) : prm.peaks(x);
        int ih = (int) x.size(2), iw = (int) x.size(3);
        List<float[]> maps = ArrayPrm.maps(network, x, peaks.peaks());
        List<Seed> seeds = new ArrayList<>();
        for (int k = 0; k < maps.size(); k++) {
            Peak p = peaks.peaks().get(k);
            int best = ArrayPrm.argmax(maps.get(k));
            int y = (int) Math.min(h - 1, Math.floor((best / iw + 0.5) * h / ih));
            int xx = (int) Math.min(w - 1, Math.floor((best % iw + 0.5) * w / iw));
            seeds.add(new Seed(p.classId(), y, xx, p.value()));
        }
        Tensor resized;
        if (maps.isEmpty()) {
            resized = torch.zeros(new long[] {0, h, w}, new TensorOptions(torch.ScalarType.Float));
        } else {
            float[] flat = new float[maps.size() * ih * iw];
            for (int i = 0; i < maps.size(); i++) {
                System.arraycopy(maps.get(i), 0, flat, i * ih * iw, ih * iw);
            }
            resized = torch.upsample_bilinear2d(Tensors.floats(flat, 1, maps.size(), ih, iw), new long[] {h, w}, false)
                    .select(0, 0).contiguous();
        }
        Tensor c = network.classResponseMaps(x).detach();
        Tensor classMaps = torch.upsample_bicubic2d(c, new long[] {h, w}, false).select(0, 0).contiguous();
        return new Reference(seeds, maps, ih, iw, resized, classMaps);
    }

    /**
     * Seeds: equal, or the new seed's pixel holds a near-maximum of the reference map (the batched
     * and per-peak backward passes sum in other orders, so their maps differ by float rounding and
     * a near-tie may break the other way). Response maps: equal within 1e-4 of their scale, as in
     * PeakResponseMapsTest. Class maps: equal (the same forward computation).
     */
    static void compare(ImageEvidence got, Reference want, String where) {
        assertEquals(want.seeds().size(), got.seeds().size(), where);
        int h = got.height(), w = got.width();
        for (int k = 0; k < want.seeds().size(); k++) {
            Seed a = got.seeds().get(k), b = want.seeds().get(k);
            assertEquals(b.classId(), a.classId(), where);
            assertEquals(b.value(), a.value(), where);
            if (a.y() != b.y() || a.x() != b.x()) {
                float[] map = want.inputMaps().get(k);
                float max = map[ArrayPrm.argmax(map)], at = Float.NEGATIVE_INFINITY;
                int ih = want.inputHeight(), iw = want.inputWidth();
                for (int iy = 0; iy < ih; iy++) { // the input pixels that land on the new seed's image pixel
                    for (int ix = 0; ix < iw; ix++) {
                        if (Math.min(h - 1, (int) Math.floor((iy + 0.5) * h / ih)) == a.y()
                                && Math.min(w - 1, (int) Math.floor((ix + 0.5) * w / iw)) == a.x()) {
                            at = Math.max(at, map[iy * iw + ix]);
                        }
                    }
                }
                assertTrue(at >= max - 1e-4 * max, where + " seed " + k + " at " + a + ", reference " + b);
            }
        }
        float[] maps = Tensors.toFloats(got.peakResponseMaps()), refMaps = Tensors.toFloats(want.responseMaps());
        assertArrayEquals(Tensors.shape(want.responseMaps()), Tensors.shape(got.peakResponseMaps()), where);
        for (int k = 0; k < want.seeds().size(); k++) {
            float[] a = java.util.Arrays.copyOfRange(maps, k * h * w, (k + 1) * h * w);
            float[] b = java.util.Arrays.copyOfRange(refMaps, k * h * w, (k + 1) * h * w);
            double err = FloatArrays.relativeError(a, b);
            assertTrue(err < 1e-4, where + " map " + k + " relative error " + err);
        }
        assertArrayEquals(Tensors.toFloats(want.classMaps()), Tensors.toFloats(got.classMaps()), where);
    }

    static Tensor input(LabelledImage image) {
        int[] in = ImageTensors.inputSize(image.height(), image.width(), IMAGE_SIZE);
        return ImageTensors.normalised(dataset.readImage(image), in[0], in[1], false);
    }

    /** 30 random rectangles per image, the same for an image every time. */
    static ProposalSource proposals() {
        return new ProposalSource() {
            @Override
            public List<Proposal> proposals(LabelledImage image, Supplier<RgbImage> pixels) {
                Random random = new Random(image.id().hashCode());
                List<Proposal> out = new ArrayList<>();
                for (int i = 0; i < 30; i++) {
                    int y0 = random.nextInt(image.height() - 8), x0 = random.nextInt(image.width() - 8);
                    int y1 = y0 + 4 + random.nextInt(image.height() - y0 - 4);
                    int x1 = x0 + 4 + random.nextInt(image.width() - x0 - 4);
                    out.add(new Proposal(Inputs.rect(image.height(), image.width(), y0, x0, y1, x1), 1f - i / 30f));
                }
                return out;
            }

            @Override
            public String description() {
                return "random rectangles";
            }
        };
    }
}
