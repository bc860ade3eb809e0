package io.wiseseg.maskrcnn;

import io.wiseseg.testing.ArrayFixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.wiseseg.kernels.Device;
import io.wiseseg.util.TorchRuntime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The central proof: torchvision 0.14's maskrcnn_resnet50_fpn and ours, on the same formula weights
 * and input (tests/fixtures/make_maskrcnn_fixture.py), agree stage by stage.
 */
class MaskRcnnParityTest {
    private static ArrayFixture fx;
    private static MaskRcnn model;
    private static MaskRcnn.Trace trace;
    private static Detections result;

    @BeforeAll
    static void run() throws Exception {
        TorchRuntime.ensureLoaded();
        org.bytedeco.pytorch.global.torch.set_num_threads(2); // full-size convolutions: both cores pay off
        fx = ArrayFixture.load("maskrcnn", "parity");
        int classes = fx.meta.get("num_classes").asInt();
        model = new MaskRcnn(MaskRcnnConfig.torchvision(classes).withSizes(fx.meta.get("min_size").asInt(),
                fx.meta.get("max_size").asInt()), Device.cpu());
        MaskRcnnWeights.load(model, FormulaWeights.stateDict(model), "formula weights");
        JsonNode size = fx.meta.get("image_size");
        Tensor image = FormulaWeights.image(size.get(0).asInt(), size.get(1).asInt());
        assertClose(fx.floats("image"), TensorData.toFloats(image), 1e-6, "input image");
        List<MaskRcnn.Trace> traces = new ArrayList<>();
        result = model.detect(List.of(image), traces).get(0);
        trace = traces.get(0);
    }

    @Test
    void parameterNamesAndShapesAreTorchvisions() {
        Map<String, String> theirs = new TreeMap<>();
        for (JsonNode e : fx.meta.get("state_dict")) {
            theirs.put(e.get(0).asText(), e.get(1).toString().replace(" ", ""));
        }
        Map<String, String> ours = new TreeMap<>();
        for (Map.Entry<String, Tensor> e : FormulaWeights.stateDict(model).entrySet()) {
            long[] s = new long[(int) e.getValue().dim()];
            for (int d = 0; d < s.length; d++) {
                s[d] = e.getValue().size(d);
            }
            ours.put(e.getKey(), Arrays.toString(s).replace(" ", ""));
        }
        assertEquals(theirs, ours);
    }

    @Test
    void transformResizesAndPadsAsTorchvision() throws Exception {
        int[] resized = trace.batch().sizes().get(0);
        assertEquals(fx.meta.get("resized").get(0).asInt(), resized[0]);
        assertEquals(fx.meta.get("resized").get(1).asInt(), resized[1]);
        assertEquals(fx.meta.get("padded").get(0).asLong(), trace.batch().images().size(2));
        assertEquals(fx.meta.get("padded").get(1).asLong(), trace.batch().images().size(3));
        float[] sums = TensorData.toFloats(trace.batch().images().sum(2, 3));
        // float32 sums of 35,840 values: rounding of the summation order only
        assertClose(fx.floats("batch_sum"), sums, 1e-3, "normalised batch channel sums");
    }

    @Test
    void featuresMatchToOneInTenThousand() throws Exception {
        String[] names = {"0", "1", "2", "3", "pool"};
        for (int l = 0; l < names.length; l++) {
            Tensor f = trace.features().get(l);
            System.out.println("parity: level " + names[l] + " slice max |difference| " + maxDifference(
                    fx.floats("level" + names[l] + "_slice"), TensorData.toFloats(f.select(0, 0).narrow(0, 0, 4))));
            assertClose(fx.floats("level" + names[l] + "_slice"), TensorData.toFloats(f.select(0, 0).narrow(0, 0, 4)),
                    1e-4, "level " + names[l] + " slice");
            float[] sums = TensorData.toFloats(f.select(0, 0).sum(1, 2));
            assertClose(fx.floats("level" + names[l] + "_channel_sums"), sums, 1e-4 * f.size(2) * f.size(3),
                    "level " + names[l] + " channel sums");
        }
    }

    @Test
    void proposalsMatch() throws Exception {
        float[] theirs = fx.floats("proposals");
        float[] ours = trace.proposals().get(0);
        int unmatched = unmatchedBoxes(theirs, ours, 1e-3f) + unmatchedBoxes(ours, theirs, 1e-3f);
        System.out.println("parity: proposals ours " + ours.length / 4 + ", torchvision " + theirs.length / 4
                + ", unmatched " + unmatched);
        // equal up to ties at the NMS / top-n cuts: allow a handful out of ~700
        assertTrue(unmatched <= 4, unmatched + " proposals differ (ours " + ours.length / 4 + ", torchvision "
                + theirs.length / 4 + ")");
        assertTrue(Math.abs(theirs.length - ours.length) <= 8, "proposal counts differ");
    }

    @Test
    void detectionsMatch() throws Exception {
        float[] boxes = fx.floats("boxes"), scores = fx.floats("scores");
        int[] labels = fx.ints("labels");
        float cut = scores.length == 100 ? scores[99] + 1e-4f : -1f; // above the 100-detection cap's tie zone
        int checked = 0;
        for (int i = 0; i < scores.length; i++) {
            if (scores[i] <= cut) {
                continue;
            }
            int j = find(result, Arrays.copyOfRange(boxes, 4 * i, 4 * i + 4), labels[i], 1e-3f);
            assertTrue(j >= 0, "torchvision detection " + i + " (score " + scores[i] + ") not found");
            assertEquals(scores[i], result.scores()[j], 1e-5, "score of detection " + i);
            checked++;
        }
        assertTrue(checked > 10, "too few detections to compare: " + checked);
        System.out.println("parity: detections ours " + result.count() + ", torchvision " + scores.length + ", "
                + checked + " above the cap's tie zone all matched");
        assertTrue(Math.abs(result.count() - scores.length) <= 2, "detection counts " + result.count() + " vs " + scores.length);
        // and in the same order where scores are not within rounding of each other
        for (int i = 0; i + 1 < Math.min(result.count(), scores.length); i++) {
            if (scores[i] - scores[i + 1] > 1e-5 && scores[i] > cut) {
                assertEquals(scores[i], result.scores()[i], 1e-5, "score at rank " + i);
            }
        }
    }

    @Test
    void masksMatch() throws Exception {
        float[] boxes = fx.floats("boxes"), scores = fx.floats("scores"), sums = fx.floats("mask_sums");
        float[] raw = fx.floats("masks28");
        int[] labels = fx.ints("labels"), pixels = fx.ints("mask_pixels");
        Detections before = trace.beforePostprocess().get(0);
        float cut = scores.length == 100 ? scores[99] + 1e-4f : -1f;
        for (int i = 0; i < scores.length; i++) {
            if (scores[i] <= cut) {
                continue;
            }
            int j = find(result, Arrays.copyOfRange(boxes, 4 * i, 4 * i + 4), labels[i], 1e-3f);
            float[] ours28 = TensorData.toFloats(before.masks().select(0, j));
            assertClose(Arrays.copyOfRange(raw, i * 784, (i + 1) * 784), ours28, 1e-4, "28×28 mask " + i);
            Tensor pasted = result.masks().select(0, j);
            assertEquals(sums[i], pasted.sum().item_float(), 1e-3 * Math.max(1, sums[i]), "pasted mask sum " + i);
            long ourPixels = pasted.gt(new org.bytedeco.pytorch.Scalar(0.5)).sum().item_long();
            assertTrue(Math.abs(ourPixels - pixels[i]) <= 2, "mask " + i + ": " + ourPixels + " vs " + pixels[i] + " pixels");
        }
        float[] first = fx.floats("first_masks");
        long hw = fx.shape("first_masks")[2] * fx.shape("first_masks")[3];
        for (int i = 0; i < fx.shape("first_masks")[0]; i++) {
            if (scores[i] <= cut) {
                continue;
            }
            int j = find(result, Arrays.copyOfRange(boxes, 4 * i, 4 * i + 4), labels[i], 1e-3f);
            assertClose(Arrays.copyOfRange(first, (int) (i * hw), (int) ((i + 1) * hw)),
                    TensorData.toFloats(result.masks().select(0, j)), 1e-4, "pasted mask " + i);
        }
    }

    @Test
    void aBatchOfTwoSizesMatchesPerImage() throws Exception {
        JsonNode size = fx.meta.get("image_size"), second = fx.meta.get("second_image_size");
        Tensor first = FormulaWeights.image(size.get(0).asInt(), size.get(1).asInt());
        Tensor other = FormulaWeights.image(second.get(0).asInt(), second.get(1).asInt()).flip(1).contiguous();
        List<Detections> pair = model.detect(List.of(first, other));
        for (int k = 0; k < 2; k++) {
            float[] boxes = fx.floats("pair" + k + "_boxes"), scores = fx.floats("pair" + k + "_scores");
            float[] sums = fx.floats("pair" + k + "_mask_sums");
            int[] labels = fx.ints("pair" + k + "_labels");
            Detections ours = pair.get(k);
            float cut = scores.length == 100 ? scores[99] + 1e-4f : -1f;
            int checked = 0, ties = 0;
            for (int i = 0; i < scores.length; i++) {
                if (scores[i] <= cut) {
                    continue;
                }
                float[] box = Arrays.copyOfRange(boxes, 4 * i, 4 * i + 4);
                int j = find(ours, box, labels[i], 1e-3f);
                if (j < 0) {
                    // an NMS tie: two overlapping boxes whose scores agree to float rounding, kept the
                    // other way round; ours must then hold the twin
                    assertTrue(nmsTwin(ours, box, scores[i], labels[i]), "image " + k + ": torchvision detection " + i
                            + " not found: " + Arrays.toString(box) + " score " + scores[i] + "; nearest of ours: "
                            + nearest(ours, box));
                    ties++;
                    continue;
                }
                assertEquals(scores[i], ours.scores()[j], 1e-5, "image " + k + ": score " + i);
                assertEquals(sums[i], ours.masks().select(0, j).sum().item_float(), 1e-3 * Math.max(1, sums[i]),
                        "image " + k + ": mask sum " + i);
                checked++;
            }
            assertTrue(checked > 5, "image " + k + ": too few detections to compare: " + checked);
            assertTrue(ties <= 2, "image " + k + ": " + ties + " NMS ties");
            System.out.println("parity: batch image " + k + ": " + checked + " detections matched, " + ties + " NMS tie(s)");
            assertEquals(k == 0 ? size.get(0).asInt() : second.get(0).asInt(),
                    ours.masks().size(2), "masks at the image's own height");
        }
    }

    /** Whether {@code d} has a same-label detection of equal score (to 1e-5) overlapping {@code box} above NMS's 0.5. */
    private static boolean nmsTwin(Detections d, float[] box, float score, int label) {
        for (int j = 0; j < d.count(); j++) {
            float[] b = Arrays.copyOfRange(d.boxes(), 4 * j, 4 * j + 4);
            if (d.labels()[j] == label && Math.abs(d.scores()[j] - score) < 1e-5 && Boxes.iou(b, box)[0] > 0.5f) {
                return true;
            }
        }
        return false;
    }

    private static String nearest(Detections d, float[] box) {
        int best = -1;
        double bestD = Double.MAX_VALUE;
        for (int j = 0; j < d.count(); j++) {
            double dist = 0;
            for (int k = 0; k < 4; k++) {
                dist += Math.abs(d.boxes()[4 * j + k] - box[k]);
            }
            if (dist < bestD) {
                bestD = dist;
                best = j;
            }
        }
        return best < 0 ? "none" : Arrays.toString(Arrays.copyOfRange(d.boxes(), 4 * best, 4 * best + 4)) + " score "
                + d.scores()[best] + " label " + d.labels()[best] + " rank " + best;
    }

    private static int find(Detections d, float[] box, int label, float tol) {
        for (int j = 0; j < d.count(); j++) {
            if (d.labels()[j] != label) {
                continue;
            }
            boolean same = true;
            for (int k = 0; k < 4; k++) {
                same &= Math.abs(d.boxes()[4 * j + k] - box[k]) <= tol * Math.max(1, Math.abs(box[k]));
            }
            if (same) {
                return j;
            }
        }
        return -1;
    }

    private static int unmatchedBoxes(float[] a, float[] b, float tol) {
        int missing = 0;
        outer:
        for (int i = 0; i < a.length / 4; i++) {
            for (int j = 0; j < b.length / 4; j++) {
                boolean same = true;
                for (int k = 0; k < 4 && same; k++) {
                    same = Math.abs(a[4 * i + k] - b[4 * j + k]) <= tol * Math.max(1, Math.abs(a[4 * i + k]));
                }
                if (same) {
                    continue outer;
                }
            }
            missing++;
        }
        return missing;
    }

    static double maxDifference(float[] expected, float[] actual) {
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        return worst;
    }

    static void assertClose(float[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + ": sizes");
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs(expected[i] - actual[i]);
            if (!(d <= worst)) {
                worst = d;
                at = i;
            }
        }
        assertTrue(worst <= tol, what + ": max |difference| " + worst + " at " + at + " (expected "
                + (at >= 0 ? expected[at] : 0) + ", got " + (at >= 0 ? actual[at] : 0) + "), tolerance " + tol);
    }
}
