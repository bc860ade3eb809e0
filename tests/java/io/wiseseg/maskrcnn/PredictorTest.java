package io.wiseseg.maskrcnn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.wiseseg.data.ImagePrediction;
import io.wiseseg.data.Instance;
import io.wiseseg.data.Rle;
import io.wiseseg.data.RgbImage;
import io.wiseseg.kernels.Device;
import io.wiseseg.testing.MallocInUse;
import io.wiseseg.util.Tensors;
import io.wiseseg.util.TorchRuntime;
import java.util.Random;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The predictor: instances at the image's size with RLE-able masks, and flat native memory over many requests. */
class PredictorTest {
    private static Predictor predictor;
    private static RgbImage image;

    @BeforeAll
    static void model() {
        TorchRuntime.ensureLoaded();
        torch.set_num_threads(1);
        torch.manual_seed(4);
        MaskRcnn model = new MaskRcnn(MaskRcnnTrainingTest.tiny(), Device.cpu());
        // a strong foreground bias so that detections (and masks) come out of an untrained model
        model.roiHeads.boxPredictor.clsScore.bias.detach().copy_(Tensors.floats(new float[] {-5, 5, 5, 5, 5, 5, 5}, 7));
        predictor = new Predictor(model);
        byte[] rgb = new byte[3 * 96 * 80];
        new Random(1).nextBytes(rgb);
        image = new RgbImage(80, 96, rgb);
    }

    @Test
    void instancesHaveTheImagesSizeAndEncode() {
        ImagePrediction p = predictor.predict("img", image);
        assertEquals(96, p.height());
        assertEquals(80, p.width());
        assertTrue(!p.instances().isEmpty(), "no detections");
        assertTrue(p.instances().size() <= 100);
        float last = Float.MAX_VALUE;
        for (Instance in : p.instances()) {
            assertEquals(96, in.mask().height());
            assertEquals(80, in.mask().width());
            assertTrue(in.classId() >= 0 && in.classId() < 6);
            assertTrue(in.score() <= last, "scores must be descending");
            last = in.score();
            assertEquals(in.mask(), Rle.encode(in.mask()).decode());
        }
    }

    @Test
    void anImageWithoutDetectionsGivesNoInstances() {
        MaskRcnn model = new MaskRcnn(MaskRcnnTrainingTest.tiny(), Device.cpu());
        model.roiHeads.boxPredictor.clsScore.bias.detach().copy_(Tensors.floats(new float[] {50, -50, -50, -50, -50, -50, -50}, 7));
        ImagePrediction p = new Predictor(model).predict("empty", image);
        assertTrue(p.instances().isEmpty(), p.instances().size() + " instances");
    }

    /** torchvision fails on these (the short side floors to 0 pixels); we resize it to 1. */
    @Test
    void aVeryThinImageGivesMasksOfItsSize() {
        for (int[] size : new int[][] {{1, 300}, {300, 1}}) {
            ImagePrediction p = predictor.predict("thin", new RgbImage(size[0], size[1], new byte[3 * 300]));
            for (Instance in : p.instances()) {
                assertEquals(size[1], in.mask().height());
                assertEquals(size[0], in.mask().width());
            }
        }
    }

    /**
     * A leak grows with every request. Resident memory is the wrong gauge: it also counts the Java
     * heap, whose eden takes fresh pages for a request's ~2 MB of garbage until a collection (40
     * requests without one look like a 2 MB-a-request leak). So this counts what malloc holds
     * (LibTorch's tensors, JavaCPP's pointers) over two windows after a few warm-up requests.
     */
    @Test
    void nativeMemoryStaysFlatOverManyRequests() {
        assumeTrue(MallocInUse.available(), "this C library has no mallinfo2");
        for (int i = 0; i < 5; i++) {
            predictor.predict("warm", image);
        }
        long start = MallocInUse.bytes();
        for (int i = 0; i < 40; i++) {
            predictor.predict("settle", image);
        }
        long before = MallocInUse.bytes();
        for (int i = 0; i < 40; i++) {
            predictor.predict("loop", image);
        }
        long settled = before - start, grown = MallocInUse.bytes() - before;
        // Both windows: a tensor left to the garbage collector shows as growth in one of them and a
        // fall in the next. One request's masks alone take 100 x 96 x 80 bytes = 0.77 MB.
        assertTrue(Math.max(settled, grown) < 8L << 20, "native memory in use grew by " + (settled >> 10)
                + " KB over 40 requests, then by " + (grown >> 10) + " KB over the next 40");
    }
}
