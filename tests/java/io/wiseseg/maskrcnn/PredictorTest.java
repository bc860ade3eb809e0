package io.wiseseg.maskrcnn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.data.ImagePrediction;
import io.wiseseg.data.Instance;
import io.wiseseg.data.Rle;
import io.wiseseg.data.RgbImage;
import io.wiseseg.kernels.Device;
import io.wiseseg.util.Tensors;
import io.wiseseg.util.TorchRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
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
     * A leak grows with every request; an allocator (glibc's arenas, oneDNN's scratchpads, which
     * differ per CPU code path) settles after its first requests. So the growth is measured over a
     * second window of 40 requests after a first one: a leak of 1.6 MB a request shows in both.
     */
    @Test
    void nativeMemoryStaysFlatOverManyRequests() throws Exception {
        for (int i = 0; i < 5; i++) {
            predictor.predict("warm", image);
        }
        long start = rss();
        for (int i = 0; i < 40; i++) {
            predictor.predict("settle", image);
        }
        long before = rss();
        for (int i = 0; i < 40; i++) {
            predictor.predict("loop", image);
        }
        long grown = rss() - before;
        assertTrue(grown < 64L << 20, "resident memory grew by " + (grown >> 20) + " MB over 40 requests (by "
                + ((before - start) >> 20) + " MB over the 40 before them)");
    }

    private static long rss() throws Exception {
        String statm = Files.readString(Path.of("/proc/self/statm")).trim();
        return Long.parseLong(statm.split(" ")[1]) * 4096;
    }
}
