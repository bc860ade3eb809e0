package io.wiseseg.maskrcnn;

import io.wiseseg.testing.ArrayFixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.wiseseg.kernels.Device;
import io.wiseseg.util.Tensors;
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
    private static MaskRcnn.Trace headTrace;

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
        // the fixture's image: formula_noisy_image, whose generic scores leave few ties at the cuts
        Tensor image = FormulaWeights.noisyImage(size.get(0).asInt(), size.get(1).asInt());
        assertClose(fx.floats("image"), Tensors.toFloats(image), 1e-6, "input image");
        assertEquals("formula_noisy_image", fx.meta.get("image").asText(), "the fixture's input");
        List<MaskRcnn.Trace> traces = new ArrayList<>();
        model.detect(List.of(image), traces);
        trace = traces.get(0);
        // Stage by stage: the heads run on torchvision's proposals, so a proposal that is a tie at an
        // RPN cut (kept by one side only) cannot carry into the detections; the batch test below
        // checks the whole chain end to end.
        List<MaskRcnn.Trace> headTraces = new ArrayList<>();
        result = model.detect(List.of(image), List.of(fx.floats("proposals")), headTraces).get(0);
        headTrace = headTraces.get(0);
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
        float[] sums = Tensors.toFloats(trace.batch().images().sum(2, 3));
        // float32 sums of 35,840 values: rounding of the summation order only
        assertClose(fx.floats("batch_sum"), sums, 1e-3, "normalised batch channel sums");
    }

    @Test
    void featuresMatchToOneInTenThousand() throws Exception {
        String[] names = {"0", "1", "2", "3", "pool"};
        for (int l = 0; l < names.length; l++) {
            Tensor f = trace.features().get(l);
            System.out.println("parity: level " + names[l] + " slice max |difference| " + maxDifference(
                    fx.floats("level" + names[l] + "_slice"), Tensors.toFloats(f.select(0, 0).narrow(0, 0, 4))));
            assertClose(fx.floats("level" + names[l] + "_slice"), Tensors.toFloats(f.select(0, 0).narrow(0, 0, 4)),
                    FEATURE_TOL, "level " + names[l] + " slice");
            float[] sums = Tensors.toFloats(f.select(0, 0).sum(1, 2));
            assertClose(fx.floats("level" + names[l] + "_channel_sums"), sums, FEATURE_TOL * f.size(2) * f.size(3),
                    "level " + names[l] + " channel sums");
        }
    }

    @Test
    void proposalsMatch() throws Exception {
        CutAwareMatch.Result r = proposalCheck(fx, Tensors.toFloats(trace.proposals().get(0)),
                Tensors.toFloats(trace.proposalScores().get(0)));
        System.out.println("parity: proposals ours " + trace.proposals().get(0).size(0) + ", torchvision "
                + fx.floats("proposals").length / 4 + ": " + r.summary());
        r.ties().forEach(t -> System.out.println("parity:   tie: " + t));
        assertAgrees(r, "proposals", fx.floats("proposal_scores").length);
    }

    @Test
    void detectionsMatch() throws Exception {
        CutAwareMatch.Result r = detectionCheck(fx, "", result);
        System.out.println("parity: detections ours " + result.count() + ", torchvision " + fx.floats("scores").length
                + ": " + r.summary());
        r.ties().forEach(t -> System.out.println("parity:   tie: " + t));
        assertAgrees(r, "detections", fx.floats("scores").length);
        assertTrue(r.matched() > 10, "too few detections to compare: " + r.matched());
    }

    @Test
    void masksMatch() throws Exception {
        List<String> problems = maskProblems(fx, result, headTrace.beforePostprocess().get(0));
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @Test
    void aBatchOfTwoSizesMatchesPerImage() throws Exception {
        JsonNode size = fx.meta.get("image_size"), second = fx.meta.get("second_image_size");
        Tensor first = FormulaWeights.noisyImage(size.get(0).asInt(), size.get(1).asInt());
        Tensor other = FormulaWeights.noisyImage(second.get(0).asInt(), second.get(1).asInt()).flip(1).contiguous();
        List<Detections> pair = model.detect(List.of(first, other));
        for (int k = 0; k < 2; k++) {
            Detections ours = pair.get(k);
            CutAwareMatch.Result r = detectionCheck(fx, "pair" + k + "_", ours);
            System.out.println("parity: batch image " + k + ": " + r.summary());
            r.ties().forEach(t -> System.out.println("parity:   tie: " + t));
            // End to end, a proposal that is a tie at an RPN cut (kept by one side only) yields
            // detections of its own on that side, which no cut of the box head explains; the fixture
            // holds no proposals of this batch to tell, so a few are let through, counted and printed.
            r.unexplained().forEach(t -> System.out.println("parity:   from a proposal tie?: " + t));
            assertTrue(r.unexplained().size() <= PROPOSAL_TIE_DETECTIONS, "image " + k + ": " + r.summary());
            CutAwareMatch.Result rest = new CutAwareMatch.Result(r.pairs(), r.matched(), r.maxScoreDifference(),
                    r.ties(), List.of());
            assertAgrees(rest, "batch image " + k, fx.floats("pair" + k + "_scores").length);
            assertTrue(r.matched() > 5, "image " + k + ": too few detections to compare: " + r.matched());
            float[] sums = fx.floats("pair" + k + "_mask_sums");
            for (int i = 0; i < r.pairs().length; i++) {
                int j = r.pairs()[i];
                if (j >= 0) {
                    assertEquals(sums[i], ours.masks().select(0, j).sum().item_float(), MASK_TOL * Math.max(1, sums[i]),
                            "image " + k + ": mask sum " + i);
                }
            }
            assertEquals(k == 0 ? size.get(0).asInt() : second.get(0).asInt(), ours.masks().size(2),
                    "masks at the image's own height");
        }
    }

    // ---- the checks, shared with ParityTestsCatchErrorsTest -------------------------------------

    /*
     * Tolerances, from the float32 error of each computation. Summation order differs between
     * CPUs (oneDNN and ATen pick AVX-512, AVX2 or SSE kernels; thread counts split sums), so each
     * float32 sum of n products carries a relative error of order sqrt(n)·2^-24·Σ|terms|/|sum|.
     *  - FPN features: ResNet-50 + FPN, measured within 1.7e-5 of torchvision under AVX2 and
     *    SSE4.1 here (values up to ~4): FEATURE_TOL 1e-4.
     *  - Scores (softmax / sigmoid of heads on those features): within 1e-5 here; SCORE_TOL 5e-5.
     *  - Boxes: decoded from regression deltas, agree to ~1e-5 relative; matched within 1e-3 · |x|
     *    (a shifted box of one pixel fails: ParityTestsCatchErrorsTest).
     *  - The tie zone around a cut: SCORE_EPS = 1e-4 (twice SCORE_TOL) on scores, IOU_EPS = 5e-3 on IoU
     *    (coordinates within 1e-3 relative move an IoU by at most ~4e-3).
     *  - Mask probabilities: six more layers of 256-channel 3×3 convolutions (2,304 products per
     *    sum) over RoI features; seen 1.6e-5 here and 1.66e-4 on an Intel Xeon (AVX-512, issue #11):
     *    MASK_TOL 1e-3. One perturbed mask-head weight moves them by far more.
     */
    static final double FEATURE_TOL = 1e-4, SCORE_TOL = 5e-5, MASK_TOL = 1e-3;
    static final float BOX_TOL = 1e-3f, SCORE_EPS = 1e-4f, IOU_EPS = 5e-3f;
    /** At most this share of items may differ by a tie at a cut (never an unexplained one). */
    static final double MAX_TIE_SHARE = 0.05;
    /** End to end only: detections that may come from a proposal kept by one side (see the batch test). */
    static final int PROPOSAL_TIE_DETECTIONS = 2;

    static void assertAgrees(CutAwareMatch.Result r, String what, int count) {
        String problem = disagreement(r, what, count);
        assertTrue(problem == null, problem);
    }

    /** null when the match holds: nothing unexplained, few ties, matched scores within SCORE_TOL. */
    static String disagreement(CutAwareMatch.Result r, String what, int count) {
        if (!r.unexplained().isEmpty()) {
            return what + ": " + r.summary();
        }
        if (r.ties().size() > Math.max(2, MAX_TIE_SHARE * count)) {
            return what + ": too many ties: " + r.summary();
        }
        return r.maxScoreDifference() <= SCORE_TOL ? null : what + ": scores differ by " + r.maxScoreDifference();
    }

    /** Our proposals of the fixture's image against torchvision's: the RPN's cuts. */
    static CutAwareMatch.Result proposalCheck(ArrayFixture fx, float[] boxes, float[] scores) throws java.io.IOException {
        float[] cutLogits = fx.floats("proposal_level_cuts");
        float[] cuts = new float[cutLogits.length];
        for (int i = 0; i < cuts.length; i++) {
            cuts[i] = (float) (1 / (1 + Math.exp(-cutLogits[i]))); // each level's top-n cut, as a probability
        }
        // NMS runs per level and the fixture does not say a proposal's level: the check counts a
        // suppressor of any level, which can only excuse more, never flag a correct proposal.
        CutAwareMatch.Cuts rpn = new CutAwareMatch.Cuts(cuts, (float) fx.meta.get("rpn_nms_thresh").asDouble(), 1000,
                SCORE_EPS, IOU_EPS);
        return CutAwareMatch.compare(CutAwareMatch.Items.unlabelled(fx.floats("proposals"), fx.floats("proposal_scores")),
                CutAwareMatch.Items.unlabelled(boxes, scores), rpn, BOX_TOL);
    }

    /** Our detections against the fixture's ({@code prefix} "" or "pair0_", "pair1_"): the box head's cuts. */
    static CutAwareMatch.Result detectionCheck(ArrayFixture fx, String prefix, Detections ours) throws java.io.IOException {
        return detectionCheck(fx, prefix, new CutAwareMatch.Items(ours.boxes(), ours.scores(),
                Arrays.stream(ours.labels()).mapToInt(x -> (int) x).toArray()));
    }

    static CutAwareMatch.Result detectionCheck(ArrayFixture fx, String prefix, CutAwareMatch.Items ours)
            throws java.io.IOException {
        CutAwareMatch.Cuts box = new CutAwareMatch.Cuts(new float[] {(float) fx.meta.get("box_score_thresh").asDouble()},
                (float) fx.meta.get("box_nms_thresh").asDouble(), fx.meta.get("detections_per_img").asInt(), SCORE_EPS,
                IOU_EPS);
        return CutAwareMatch.compare(new CutAwareMatch.Items(fx.floats(prefix + "boxes"), fx.floats(prefix + "scores"),
                fx.ints(prefix + "labels")), ours, box, BOX_TOL);
    }

    /** The 28 × 28 mask probabilities and pasted masks of every matched detection. */
    static List<String> maskProblems(ArrayFixture fx, Detections ours, Detections oursBeforePaste) throws java.io.IOException {
        List<String> problems = new ArrayList<>();
        float[] sums = fx.floats("mask_sums"), raw = fx.floats("masks28"), first = fx.floats("first_masks");
        int[] pixels = fx.ints("mask_pixels");
        int[] pairs = detectionCheck(fx, "", ours).pairs();
        long hw = fx.shape("first_masks")[2] * fx.shape("first_masks")[3];
        int compared = 0;
        for (int i = 0; i < pairs.length; i++) {
            int j = pairs[i];
            if (j < 0) {
                continue;
            }
            compared++;
            String p = closeness(Arrays.copyOfRange(raw, i * 784, (i + 1) * 784),
                    Tensors.toFloats(oursBeforePaste.masks().select(0, j)), MASK_TOL, "28×28 mask " + i);
            if (p != null) {
                problems.add(p);
            }
            Tensor pasted = ours.masks().select(0, j);
            float sum = pasted.sum().item_float();
            if (!(Math.abs(sums[i] - sum) <= MASK_TOL * Math.max(1, sums[i]))) {
                problems.add("pasted mask sum " + i + ": " + sum + " vs " + sums[i]);
            }
            // pixels over 0.5: those within MASK_TOL of 0.5 may go either way; a few per mask
            long ourPixels = pasted.gt(new org.bytedeco.pytorch.Scalar(0.5)).sum().item_long();
            if (Math.abs(ourPixels - pixels[i]) > 2) {
                problems.add("mask " + i + ": " + ourPixels + " vs " + pixels[i] + " pixels over 0.5");
            }
            if (i < fx.shape("first_masks")[0]) {
                String q = closeness(Arrays.copyOfRange(first, (int) (i * hw), (int) ((i + 1) * hw)),
                        Tensors.toFloats(pasted), MASK_TOL, "pasted mask " + i);
                if (q != null) {
                    problems.add(q);
                }
            }
        }
        if (compared < 10) {
            problems.add("only " + compared + " masks compared");
        }
        return problems;
    }

    static double maxDifference(float[] expected, float[] actual) {
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        return worst;
    }

    static void assertClose(float[] expected, float[] actual, double tol, String what) {
        String problem = closeness(expected, actual, tol, what);
        assertTrue(problem == null, problem);
    }

    /** null when every |expected − actual| ≤ tol, else the worst difference. */
    static String closeness(float[] expected, float[] actual, double tol, String what) {
        if (expected.length != actual.length) {
            return what + ": sizes " + expected.length + " vs " + actual.length;
        }
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs(expected[i] - actual[i]);
            if (!(d <= worst)) {
                worst = d;
                at = i;
            }
        }
        return worst <= tol ? null : what + ": max |difference| " + worst + " at " + at + " (expected "
                + (at >= 0 ? expected[at] : 0) + ", got " + (at >= 0 ? actual[at] : 0) + "), tolerance " + tol;
    }
}
