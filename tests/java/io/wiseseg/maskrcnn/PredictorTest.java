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
import org.bytedeco.javacpp.Pointer;
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
     * (LibTorch's tensors, JavaCPP's pointers) after each of 120 requests, in three windows of 40.
     * Single readings are not compared: a buffer that comes and goes (12 MB on the capped ISA,
     * present in one reading and not the next; 20 MB over the first readings of some runs) would
     * look like growth. Nor is one step between windows: a buffer taken once and kept (10 MB
     * between the halves of one fresh-clone run on the capped ISA, 2 LibTorch threads) is not a
     * leak. A leak moves the windows' medians apart both times. A tensor left to the garbage
     * collector is counted apart, by JavaCPP.
     */
    @Test
    void nativeMemoryStaysFlatOverManyRequests() throws InterruptedException {
        assumeTrue(MallocInUse.available(), "this C library has no mallinfo2");
        for (int i = 0; i < 10; i++) {
            predictor.predict("warm", image);
        }
        // what earlier tests left to the garbage collector goes now, not during the readings
        System.gc();
        Thread.sleep(500);
        int window = 40, n = 3 * window;
        double[] bytes = new double[n];
        double[] newPointers = new double[n];
        for (int i = 0; i < n; i++) {
            long before = Pointer.totalCount();
            predictor.predict("loop", image);
            newPointers[i] = Pointer.totalCount() - before;
            bytes[i] = MallocInUse.bytes();
        }
        // a leak of 150 KB a request moves each window's median 6 MB above the one before; a buffer
        // held over a few readings moves none, one taken once and kept moves one
        double[] medians = new double[3];
        for (int w = 0; w < 3; w++) {
            medians[w] = median(java.util.Arrays.copyOfRange(bytes, w * window, (w + 1) * window));
        }
        double grew = Math.min(medians[1] - medians[0], medians[2] - medians[1]);
        assertTrue(grew < 6 << 20, "native memory in use grew by " + (long) (medians[1] - medians[0]) / 1024
                + " KB, then " + (long) (medians[2] - medians[1]) / 1024 + " KB, over windows of " + window
                + " requests (medians of their readings)");
        // A tensor left to the garbage collector piles up until a collection, and malloc's bytes
        // cannot tell it from HotSpot's own (a compiler thread's arenas: a 73 MB range over these
        // readings failed one CI run). JavaCPP counts the pointers it must still free: a request
        // that leaves one to the collector adds to the count, and a collection during a request
        // only takes from it, so the median request must add nothing.
        assertTrue(median(newPointers) <= 0, "a request leaves " + median(newPointers)
                + " pointers to the garbage collector (median over " + n + " requests)");
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        java.util.Arrays.sort(s);
        return (s[(s.length - 1) / 2] + s[s.length / 2]) / 2;
    }
}
