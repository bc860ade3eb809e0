package io.wiseseg.maskrcnn;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.kernels.Device;
import io.wiseseg.testing.ArrayFixture;
import io.wiseseg.util.Tensors;
import io.wiseseg.util.TorchRuntime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The parity checks still catch real errors after they learnt to forgive ties at cuts: each check
 * of MaskRcnnParityTest and MaskRcnnTrainingParityTest accepts torchvision's own output and fails on
 * a deliberately wrong one (a box shifted by one pixel, a score moved, one perturbed weight, a
 * gradient 10% off).
 */
class ParityTestsCatchErrorsTest {
    private static ArrayFixture fx;

    @BeforeAll
    static void load() throws Exception {
        TorchRuntime.ensureLoaded();
        fx = ArrayFixture.load("maskrcnn", "parity");
    }

    @Test
    void proposalCheckCatchesAShiftedBox() throws Exception {
        float[] boxes = fx.floats("proposals"), scores = fx.floats("proposal_scores");
        assertNull(MaskRcnnParityTest.disagreement(MaskRcnnParityTest.proposalCheck(fx, boxes, scores), "itself",
                scores.length), "torchvision's proposals against themselves");
        for (int i : new int[] {largest(boxes), 0}) {
            float[] shifted = boxes.clone();
            shifted[4 * i + 1] += 1; // one pixel down
            shifted[4 * i + 3] += 1;
            assertNotNull(MaskRcnnParityTest.disagreement(MaskRcnnParityTest.proposalCheck(fx, shifted, scores),
                    "shifted", scores.length), "proposal " + i + " shifted by one pixel went unnoticed");
        }
    }

    @Test
    void detectionCheckCatchesAShiftedBoxAndAMovedScore() throws Exception {
        float[] boxes = fx.floats("boxes"), scores = fx.floats("scores");
        int[] labels = fx.ints("labels");
        CutAwareMatch.Items same = new CutAwareMatch.Items(boxes, scores, labels);
        assertNull(MaskRcnnParityTest.disagreement(MaskRcnnParityTest.detectionCheck(fx, "", same), "itself",
                scores.length));
        float[] shifted = boxes.clone();
        int big = largest(boxes);
        shifted[4 * big] += 1; // one pixel right
        shifted[4 * big + 2] += 1;
        assertNotNull(MaskRcnnParityTest.disagreement(MaskRcnnParityTest.detectionCheck(fx, "",
                new CutAwareMatch.Items(shifted, scores, labels)), "shifted", scores.length));
        float[] moved = scores.clone();
        moved[0] += 1e-3f;
        assertNotNull(MaskRcnnParityTest.disagreement(MaskRcnnParityTest.detectionCheck(fx, "",
                new CutAwareMatch.Items(boxes, moved, labels)), "moved", scores.length));
        int[] relabelled = labels.clone();
        relabelled[0] = relabelled[0] == 1 ? 2 : 1;
        assertNotNull(MaskRcnnParityTest.disagreement(MaskRcnnParityTest.detectionCheck(fx, "",
                new CutAwareMatch.Items(boxes, scores, relabelled)), "relabelled", scores.length));
    }

    /** The box of largest area: a one-pixel shift keeps it a copy of itself (IoU &gt; 0.95), not an NMS twin. */
    private static int largest(float[] boxes) {
        int best = 0;
        for (int i = 1; i < boxes.length / 4; i++) {
            if (area(boxes, i) > area(boxes, best)) {
                best = i;
            }
        }
        return best;
    }

    private static float area(float[] b, int i) {
        return (b[4 * i + 2] - b[4 * i]) * (b[4 * i + 3] - b[4 * i + 1]);
    }

    /** One filter of one weight tensor changed by 0.1: the detections, proposals or masks must show it. */
    @Test
    void onePerturbedWeightIsCaught() throws Exception {
        torch.set_num_threads(2);
        for (String key : List.of("backbone.body.layer3.0.conv2.weight", "roi_heads.mask_predictor.mask_fcn_logits.weight")) {
            MaskRcnn model = new MaskRcnn(MaskRcnnConfig.torchvision(fx.meta.get("num_classes").asInt())
                    .withSizes(fx.meta.get("min_size").asInt(), fx.meta.get("max_size").asInt()), Device.cpu());
            Map<String, Tensor> weights = FormulaWeights.stateDict(model);
            Tensor original = weights.get(key);
            float[] v = Tensors.toFloats(original);
            long[] shape = new long[(int) original.dim()];
            for (int d = 0; d < shape.length; d++) {
                shape[d] = original.size(d);
            }
            int channel = key.contains("mask_predictor") ? 1 : 0; // class 1: most detections' label
            int per = (int) (v.length / shape[0]);
            for (int k = channel * per; k < (channel + 1) * per; k++) {
                v[k] += 0.1f; // one output channel's filter
            }
            weights.put(key, Tensors.floats(v, shape));
            MaskRcnnWeights.load(model, weights, "formula weights, one perturbed");
            int h = fx.meta.get("image_size").get(0).asInt(), w = fx.meta.get("image_size").get(1).asInt();
            List<MaskRcnn.Trace> traces = new ArrayList<>();
            Detections d = model.detect(List.of(FormulaWeights.noisyImage(h, w)), traces).get(0);
            List<String> problems = new ArrayList<>();
            String p = MaskRcnnParityTest.disagreement(MaskRcnnParityTest.proposalCheck(fx,
                    Tensors.toFloats(traces.get(0).proposals().get(0)), Tensors.toFloats(traces.get(0).proposalScores().get(0))),
                    "proposals", 1000);
            if (p != null) {
                problems.add(p);
            }
            String q = MaskRcnnParityTest.disagreement(MaskRcnnParityTest.detectionCheck(fx, "", d), "detections", 100);
            if (q != null) {
                problems.add(q);
            }
            problems.addAll(MaskRcnnParityTest.maskProblems(fx, d, traces.get(0).beforePostprocess().get(0)));
            System.out.println("mutation: " + key + "[channel] + 0.1 caught by " + problems.size() + " check(s), first: "
                    + (problems.isEmpty() ? "none" : problems.get(0)));
            assertTrue(!problems.isEmpty(), key + "[channel] + 0.1 passed every parity check");
        }
    }

    @Test
    void gradientCheckCatchesAGradientAQuarterOff() throws Exception {
        int keys = fx.meta.get("grad_keys").size();
        for (int i = 0; i < keys; i++) {
            float[] ref = fx.floats("grad" + i + "_r1");
            assertNull(MaskRcnnTrainingParityTest.gradientProblem(fx, i, ref, 1), "the reference run itself");
            float[] wrong = ref.clone();
            for (int k = 0; k < wrong.length; k++) {
                wrong[k] *= 1.25f; // e.g. a RoIAlign backward that lost a 1/count at some sampling ratio
            }
            assertNotNull(MaskRcnnTrainingParityTest.gradientProblem(fx, i, wrong, 1),
                    fx.meta.get("grad_keys").get(i).asText() + ": a gradient 25% off went unnoticed");
        }
    }
}
