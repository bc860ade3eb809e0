package io.wiseseg.maskrcnn;

import io.wiseseg.kernels.Device;
import io.wiseseg.kernels.Nms;
import io.wiseseg.util.Tensors;
import io.wiseseg.util.Trace.Span;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * torchvision's Mask R-CNN (GeneralizedRCNN): transform, ResNet-FPN backbone, RPN, RoI heads,
 * postprocess. Module names equal torchvision's state-dict keys (backbone.body.*, backbone.fpn.*,
 * rpn.head.*, roi_heads.*), so its weights load by name ({@link MaskRcnnWeights}).
 */
public final class MaskRcnn extends Module {
    private final MaskRcnnConfig config;
    final ResNetFpn backbone;
    final Rpn rpn;
    final RoiHeads roiHeads;
    private final GeneralizedTransform transform;
    private final Device device;

    /**
     * A model whose kernels run on {@code device}; its weights are built on the CPU, and
     * {@code device.place(model)} puts them there (after loading any weights).
     */
    public MaskRcnn(MaskRcnnConfig config, Device device) {
        this.config = config;
        this.device = device;
        Nms nms = new Nms(device);
        backbone = register_module("backbone", new ResNetFpn(config.depth(), config.width(), config.fpnChannels()));
        backbone.setTrainableLayers(config.trainableBackboneLayers());
        rpn = register_module("rpn", new Rpn(config, nms));
        roiHeads = register_module("roi_heads", new RoiHeads(config, device, nms));
        transform = new GeneralizedTransform(config.minSize(), config.maxSize(), config.sizeDivisible());
    }

    /** Where the model's kernels run, and where {@code place} puts its weights. */
    public Device device() {
        return device;
    }

    /** Host-decoded images on the model's device: one upload each, before the transform. */
    private List<Tensor> placed(List<Tensor> images) {
        List<Tensor> out = new ArrayList<>(images.size());
        for (Tensor t : images) {
            out.add(device.place(t));
        }
        return out;
    }

    public MaskRcnnConfig config() {
        return config;
    }

    /** A span of the trace being recorded, if any (this class's own {@link Trace} record is something else). */
    static Span span(String name) {
        return io.wiseseg.util.Trace.span(name, "maskrcnn");
    }

    /**
     * Intermediate results of one inference, for tests that compare stages with torchvision:
     * proposals (n × 4) and their scores as the RPN passed them on, on the features' device
     * (proposalScores is null when the proposals were given), and the detections at the
     * transformed size.
     */
    record Trace(GeneralizedTransform.Batch batch, List<Tensor> features, List<Tensor> proposals,
            List<Tensor> proposalScores, List<Detections> beforePostprocess) {}

    /**
     * The size, {@code {H, W}}, that an image of {@code height × width} is resized to before it
     * is zero-padded and enters the network.
     */
    public int[] inputSize(int height, int width) {
        return transform.resizedSize(height, width);
    }

    /**
     * What decides whether images can share a batch without changing each one's result: the
     * padded size the network runs on, and the four RoI pooling scales, which follow the batch's
     * tallest image (torchvision's _infer_scale). Images with equal keys run in one batch exactly
     * as each runs alone (to float rounding): the same input tensor, anchors and pooling. A batch
     * of mixed keys changes results, as in torchvision: the smaller images are padded further
     * (past their own padding the features are not zero), and pooling follows the tallest.
     */
    public record BatchKey(int paddedHeight, int paddedWidth, List<Float> poolingScales) {
        /** The pixels the network runs on for each image of such a batch. */
        public long pixels() {
            return (long) paddedHeight * paddedWidth;
        }
    }

    /** The {@link BatchKey} of an image of {@code height × width}. */
    public BatchKey batchKey(int height, int width) {
        int[] padded = transform.paddedSize(height, width);
        int resizedHeight = transform.resizedSize(height, width)[0];
        List<Float> scales = new ArrayList<>();
        for (int stride = 4; stride <= 32; stride *= 2) { // the feature sizes of P2..P5: padded / stride, exactly
            scales.add(MultiScaleRoiAlign.inferScale(padded[0] / stride, resizedHeight));
        }
        return new BatchKey(padded[0], padded[1], List.copyOf(scales));
    }

    /** Inference on images (3 × H × W float in [0, 1]): detections at each image's own size. */
    public List<Detections> detect(List<Tensor> images) {
        return detect(images, null);
    }

    List<Detections> detect(List<Tensor> images, List<Trace> trace) {
        return detect(images, null, trace);
    }

    /**
     * Inference with the RPN's proposals replaced by {@code given} (per image, n × 4 flat, in the
     * resized image's coordinates) when not null: the box and mask heads checked on their own,
     * stage by stage against torchvision, without the RPN's ties at its cuts carried into them.
     */
    List<Detections> detect(List<Tensor> images, List<float[]> given, List<Trace> trace) {
        try (NoGradGuard g = new NoGradGuard()) {
            GeneralizedTransform.Batch batch;
            try (Span s = span("transform")) {
                batch = transform.apply(placed(images), null);
            }
            List<Tensor> features;
            try (Span s = span("backbone + fpn")) {
                features = backbone.forward(batch.images());
            }
            // with given proposals the RPN is not run at all: its output would be thrown away
            Rpn.Output proposals;
            try (Span s = span("rpn")) {
                proposals = given != null ? new Rpn.Output(uploaded(given, features.get(0)), null, null, null)
                        : rpn.forward(features, batch.sizes(), batch.images().size(2), batch.images().size(3), null, null, false,
                                null);
            }
            List<RoiHeads.Detected> detected;
            try (Span s = span("roi heads")) {
                detected = roiHeads.detect(features.subList(0, 4), proposals.proposals(), batch.sizes());
            }
            List<Detections> raw = new ArrayList<>();
            for (RoiHeads.Detected d : detected) {
                raw.add(toHost(d));
            }
            List<Detections> out = new ArrayList<>();
            for (int i = 0; i < raw.size(); i++) {
                try (Span s = span("mask paste").arg("detections", raw.get(i).count())) {
                    out.add(transform.postprocess(raw.get(i), batch.sizes().get(i), batch.originalSizes().get(i)));
                }
            }
            if (trace != null) {
                trace.add(new Trace(batch, features, proposals.proposals(), proposals.scores(), raw));
            }
            return out;
        }
    }

    /** Given proposals (host arrays, from a fixture) on the features' device. */
    private static List<Tensor> uploaded(List<float[]> boxes, Tensor like) {
        List<Tensor> out = new ArrayList<>();
        for (float[] b : boxes) {
            out.add(Tensors.floatsOn(like, b, b.length / 4, 4));
        }
        return out;
    }

    /**
     * The one host copy of an image's detections, at the end: boxes, scores and labels in one
     * transfer (labels are class ids, exact in float32); the masks stay on their device until
     * they are thresholded.
     */
    private static Detections toHost(RoiHeads.Detected d) {
        int n = (int) d.scores().size(0);
        float[] packed = Tensors.toFloats(torch.cat(new TensorVector(d.boxes(), d.scores().unsqueeze(1),
                d.labels().to(torch.ScalarType.Float).unsqueeze(1)), 1));
        float[] boxes = new float[4 * n], scores = new float[n];
        long[] labels = new long[n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(packed, 6 * i, boxes, 4 * i, 4);
            scores[i] = packed[6 * i + 4];
            labels[i] = (long) packed[6 * i + 5];
        }
        return new Detections(boxes, scores, labels, d.masks());
    }

    /**
     * The five training losses of one batch. {@link #backward()} fills the parameters' gradients:
     * the heads run on detached leaves of the pooled features (our RoIAlign is outside LibTorch's
     * graph), so backward runs the head losses first, maps the leaves' gradients onto the pyramid
     * levels with the RoIAlign backward kernel, then back-propagates those with the RPN losses
     * through the backbone in one pass.
     */
    public final class Losses {
        public final Tensor objectness, rpnBox, classifier, box, mask;
        private final List<Tensor> features;
        private final List<RoiHeads.Leaf> leaves;

        private Losses(Rpn.Output r, RoiHeads.Losses h, List<Tensor> features) {
            objectness = r.objectnessLoss();
            rpnBox = r.boxLoss();
            classifier = h.classifier();
            box = h.box();
            mask = h.mask();
            this.features = features;
            this.leaves = h.leaves();
        }

        public Tensor total() {
            return objectness.add(rpnBox).add(classifier).add(box).add(mask);
        }

        /** The total as a number: a host copy (a sync on a GPU) per step, which the trainer needs to catch divergence. */
        public double totalValue() {
            return total().item_float();
        }

        /** Each term as a number, named: what a divergence message shows. */
        public String terms() {
            return String.format(java.util.Locale.ROOT, "RPN objectness %s, RPN box %s, classifier %s, box %s, mask %s",
                    objectness.item_float(), rpnBox.item_float(), classifier.item_float(), box.item_float(),
                    mask.item_float());
        }

        public void backward() {
            Tensor heads = classifier.add(box).add(mask);
            heads.backward();
            Tensor surrogate = objectness.add(rpnBox);
            List<Tensor> grads = new ArrayList<>();
            for (int l = 0; l < 4; l++) {
                grads.add(null);
            }
            for (RoiHeads.Leaf leaf : leaves) {
                Tensor g = leaf.leaf().grad();
                if (g == null || g.isNull() || !g.defined()) {
                    continue;
                }
                List<Tensor> levelGrads = leaf.pooler().backward(leaf.pooling(), g);
                for (int l = 0; l < 4; l++) {
                    grads.set(l, grads.get(l) == null ? levelGrads.get(l) : grads.get(l).add(levelGrads.get(l)));
                }
            }
            Tensor bridge = MultiScaleRoiAlign.gradientSurrogate(features, grads);
            if (bridge != null) {
                surrogate = surrogate.add(bridge);
            }
            surrogate.backward();
        }
    }

    /** The training losses for images (3 × H × W in [0, 1]) and their targets (at the images' sizes). */
    public Losses losses(List<Tensor> images, List<Target> targets, Random random) {
        return losses(images, targets, 1, random);
    }

    /**
     * {@link #losses(List, List, Random)} with the images resized to {@code scale} × the model's
     * sizes (multi-scale training; 1: the sizes themselves).
     */
    public Losses losses(List<Tensor> images, List<Target> targets, double scale, Random random) {
        GeneralizedTransform sized = scale == 1 ? transform : transform.scaled(scale);
        GeneralizedTransform.Batch batch = sized.apply(placed(images), targets);
        List<Tensor> features = backbone.forward(batch.images());
        List<GroundTruth> gt = new ArrayList<>();
        List<Tensor> gtBoxes = new ArrayList<>(), ignoreBoxes = new ArrayList<>();
        for (Target t : batch.targets()) {
            gt.add(GroundTruth.of(t, features.get(0)));
            gtBoxes.add(gt.getLast().boxes());
            ignoreBoxes.add(gt.getLast().ignore());
        }
        Rpn.Output r = rpn.forward(features, batch.sizes(), batch.images().size(2), batch.images().size(3), gtBoxes,
                ignoreBoxes, true, random);
        RoiHeads.Losses h = roiHeads.losses(features.subList(0, 4), r.proposals(), batch.sizes(), gt, random);
        return new Losses(r, h, features);
    }
}
