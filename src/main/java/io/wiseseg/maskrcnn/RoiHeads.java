package io.wiseseg.maskrcnn;

import io.wiseseg.kernels.Device;
import io.wiseseg.kernels.Nms;
import io.wiseseg.kernels.RoiAlign;
import io.wiseseg.util.Tensors;
import io.wiseseg.util.Trace.Span;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * torchvision's RoIHeads with a mask branch: box head and predictor on 7×7 pooled features, mask
 * head and predictor on 14×14 ones. Inference decodes per-class boxes, keeps scores above the
 * threshold, NMS per class and the best detections; training samples RoIs and computes the
 * classification, box and mask losses. Boxes, scores and labels stay tensors on the features'
 * device.
 */
final class RoiHeads extends Module {
    private static final int MASK_SIZE = 28;
    private static final float MIN_SIZE = 1e-2f;

    final TwoMlpHead boxHead;
    final FastRcnnPredictor boxPredictor;
    final MaskHead maskHead;
    final MaskPredictor maskPredictor;
    private final MultiScaleRoiAlign boxPool, maskPool;
    private final RoiAlign maskTargets;
    private final BoxCoder coder = new BoxCoder(10f, 10f, 5f, 5f);
    private final Matcher matcher;
    private final BalancedSampler sampler;
    private final MaskRcnnConfig config;
    private final Nms nms;

    RoiHeads(MaskRcnnConfig config, Device device, Nms nms) {
        this.config = config;
        this.nms = nms;
        int c = config.fpnChannels();
        boxHead = register_module("box_head", new TwoMlpHead(c * 7 * 7, config.representationSize()));
        boxPredictor = register_module("box_predictor", new FastRcnnPredictor(config.representationSize(), config.numClasses()));
        maskHead = register_module("mask_head", new MaskHead(c, config.maskChannels()));
        maskPredictor = register_module("mask_predictor", new MaskPredictor(config.maskChannels(), config.maskChannels(),
                config.numClasses()));
        boxPool = new MultiScaleRoiAlign(7, device);
        maskPool = new MultiScaleRoiAlign(14, device);
        maskTargets = new RoiAlign(device);
        matcher = new Matcher(config.boxFgIou(), config.boxBgIou(), false);
        sampler = new BalancedSampler(config.boxBatch(), config.boxPositiveFraction());
    }

    /**
     * One image's detections at the transformed size, best first, on the features' device: boxes
     * D × 4 float32, scores D float32, labels D int64, masks as 28×28 probabilities D × 1 × 28 × 28.
     */
    record Detected(Tensor boxes, Tensor scores, Tensor labels, Tensor masks) {}

    /** Detections per image; proposals: per image n × 4 on the features' device. */
    List<Detected> detect(List<Tensor> features, List<Tensor> proposals, List<int[]> sizes) {
        int classes = config.numClasses();
        Tensor rois = rois(proposals);
        Tensor scores, regression;
        try (Span s = MaskRcnn.span("box head").arg("rois", rois.size(0))) {
            Tensor[] predicted = boxPredictor.forward(boxHead.forward(boxPool.pool(features, rois, sizes).output()));
            scores = torch.softmax(predicted[0], -1);
            regression = predicted[1].reshape(-1, 4); // row p · classes + c: proposal p's box for class c
        }
        Span selection = MaskRcnn.span("box selection"); // score threshold, NMS per class, best detections
        Tensor refs = rois.narrow(1, 1, 4);
        List<Tensor> boxesPerImage = new ArrayList<>(), scoresPerImage = new ArrayList<>(), labelsPerImage = new ArrayList<>();
        long start = 0;
        for (int i = 0; i < proposals.size(); i++) {
            long r = proposals.get(i).size(0);
            // candidates in torchvision's order (proposal, then class), background left out;
            // sync (CUDA): how many pass the threshold is data
            Tensor pass = scores.narrow(0, start, r).narrow(1, 1, classes - 1).gt(new Scalar(config.boxScoreThresh()))
                    .nonzero();
            Tensor rows = pass.select(1, 0).add(new Scalar(start));
            Tensor labels = pass.select(1, 1).add(new Scalar(1));
            Tensor flat = rows.mul(new Scalar(classes)).add(labels);
            Tensor boxes = Boxes.clip(coder.decode(regression.index_select(0, flat), refs.index_select(0, rows)),
                    sizes.get(i)[0], sizes.get(i)[1]);
            Tensor sc = scores.view(-1).index_select(0, flat);
            Tensor big = Boxes.largeEnough(boxes, MIN_SIZE).nonzero().view(-1); // sync (CUDA), as above
            boxes = boxes.index_select(0, big);
            sc = sc.index_select(0, big);
            labels = labels.index_select(0, big);
            Tensor keep = nms.batched(boxes, sc, labels, config.boxNms());
            keep = keep.narrow(0, 0, Math.min(keep.size(0), config.detectionsPerImage()));
            boxesPerImage.add(boxes.index_select(0, keep));
            scoresPerImage.add(sc.index_select(0, keep));
            labelsPerImage.add(labels.index_select(0, keep));
            start += r;
        }
        selection.close();
        // Mask branch on the detected boxes of all images at once; each detection's mask is its label's channel.
        Span masks = MaskRcnn.span("mask head");
        Tensor maskLogits = maskPredictor.forward(maskHead.forward(maskPool.pool(features, rois(boxesPerImage), sizes).output()));
        Tensor labels = torch.cat(new TensorVector(labelsPerImage.toArray(new Tensor[0])), 0);
        Tensor rows = torch.arange(new Scalar(labels.size(0)), Tensors.options(labels, ScalarType.Long))
                .mul(new Scalar(classes)).add(labels);
        Tensor probabilities = maskLogits.reshape(-1, MASK_SIZE, MASK_SIZE).index_select(0, rows).sigmoid().unsqueeze(1);
        List<Detected> out = new ArrayList<>();
        long offset = 0;
        for (int i = 0; i < proposals.size(); i++) {
            long d = labelsPerImage.get(i).size(0);
            out.add(new Detected(boxesPerImage.get(i), scoresPerImage.get(i), labelsPerImage.get(i),
                    probabilities.narrow(0, offset, d)));
            offset += d;
        }
        masks.arg("detections", offset).close();
        return out;
    }

    /** The head losses of one training step, and the pooled leaves whose gradients reach the backbone. */
    record Losses(Tensor classifier, Tensor box, Tensor mask, List<Leaf> leaves) {}

    /** A detached leaf of pooled features and the pooling that produced it. */
    record Leaf(MultiScaleRoiAlign pooler, MultiScaleRoiAlign.Pooling pooling, Tensor leaf) {}

    /** One image's sampled RoIs (torchvision's select_training_samples), and its positives among them. */
    private record Sampled(Tensor boxes, Tensor labels, Tensor regression, Tensor positive, Tensor positiveBoxes,
            Tensor positiveMatches) {}

    private Sampled sample(Tensor proposals, GroundTruth t, Random random) {
        Tensor props = torch.cat(new TensorVector(proposals, t.boxes()), 0);
        long p = props.size(0);
        Tensor labels, matched;
        if (t.count() > 0) {
            Tensor m = matcher.match(Boxes.iou(t.boxes(), props));
            matched = m.clamp_min(new Scalar(0));
            labels = t.labels().index_select(0, matched).masked_fill(m.eq(new Scalar(Matcher.BELOW)), new Scalar(0))
                    .masked_fill(m.eq(new Scalar(Matcher.BETWEEN)), new Scalar(-1));
        } else {
            matched = torch.zeros(new long[] {p}, Tensors.options(props, ScalarType.Long));
            labels = matched;
        }
        labels = IgnoredBackground.apply(labels, props, t.ignore(), config.boxBgIou());
        BalancedSampler.Sample s = sampler.sample(labels, random);
        // sync (CUDA): the box head's batch is the sampled count, which is data; ascending, as torch.where
        Tensor chosen = s.positive().bitwise_or(s.negative()).nonzero().view(-1);
        Tensor boxes = props.index_select(0, chosen), lab = labels.index_select(0, chosen);
        Tensor match = matched.index_select(0, chosen);
        Tensor reference = t.count() > 0 ? t.boxes().index_select(0, match) : Tensors.zerosOn(props, chosen.size(0), 4);
        Tensor positive = lab.gt(new Scalar(0)).nonzero().view(-1); // sync (CUDA): the mask head's batch
        return new Sampled(boxes, lab, coder.encode(reference, boxes), positive, boxes.index_select(0, positive),
                match.index_select(0, positive));
    }

    Losses losses(List<Tensor> features, List<Tensor> proposals, List<int[]> sizes, List<GroundTruth> targets,
            Random random) {
        int classes = config.numClasses();
        List<Sampled> sampled = new ArrayList<>();
        TensorVector labelParts = new TensorVector(), regressionParts = new TensorVector();
        TensorVector positiveRows = new TensorVector(), positiveLabels = new TensorVector();
        List<Tensor> sampledBoxes = new ArrayList<>(), positiveBoxes = new ArrayList<>();
        long row = 0, positives = 0;
        for (int i = 0; i < proposals.size(); i++) {
            Sampled s = sample(proposals.get(i), targets.get(i), random);
            sampled.add(s);
            sampledBoxes.add(s.boxes());
            positiveBoxes.add(s.positiveBoxes());
            labelParts.push_back(s.labels());
            regressionParts.push_back(s.regression());
            positiveRows.push_back(s.positive().add(new Scalar(row)));
            positiveLabels.push_back(s.labels().index_select(0, s.positive()));
            row += s.labels().size(0);
            positives += s.positive().size(0);
        }
        List<Leaf> leaves = new ArrayList<>();
        MultiScaleRoiAlign.Pooling boxPooling = boxPool.pool(features, rois(sampledBoxes), sizes);
        Tensor boxLeaf = boxPooling.output().set_requires_grad(true);
        leaves.add(new Leaf(boxPool, boxPooling, boxLeaf));
        Tensor[] predicted = boxPredictor.forward(boxHead.forward(boxLeaf));
        Tensor classifier = torch.cross_entropy_loss(predicted[0], torch.cat(labelParts, 0));
        Tensor posRows = torch.cat(positiveRows, 0), posLabels = torch.cat(positiveLabels, 0);
        Tensor box = torch.smooth_l1_loss(
                predicted[1].reshape(-1, 4).index_select(0, posRows.mul(new Scalar(classes)).add(posLabels)),
                torch.cat(regressionParts, 0).index_select(0, posRows), 2, 1.0 / 9)
                .div(new Scalar((double) Math.max(1, row)));
        Tensor mask;
        if (positives == 0) {
            mask = predicted[0].sum().mul(new Scalar(0.0));
        } else {
            MultiScaleRoiAlign.Pooling maskPooling = maskPool.pool(features, rois(positiveBoxes), sizes);
            Tensor maskLeaf = maskPooling.output().set_requires_grad(true);
            leaves.add(new Leaf(maskPool, maskPooling, maskLeaf));
            Tensor logits = maskPredictor.forward(maskHead.forward(maskLeaf));
            Tensor maskRows = torch.arange(new Scalar(positives), Tensors.options(posLabels, ScalarType.Long))
                    .mul(new Scalar(classes)).add(posLabels);
            Tensor selected = logits.reshape(-1, MASK_SIZE, MASK_SIZE).index_select(0, maskRows);
            mask = torch.binary_cross_entropy_with_logits(selected, maskTargets(targets, sampled));
        }
        return new Losses(classifier, box, mask, leaves);
    }

    /**
     * torchvision's project_masks_on_boxes: each positive RoI's matched ground-truth mask, RoIAligned
     * (scale 1, adaptive sampling, aligned=false) onto a 28×28 grid.
     */
    private Tensor maskTargets(List<GroundTruth> targets, List<Sampled> sampled) {
        TensorVector parts = new TensorVector();
        RoiAlign.Params params = new RoiAlign.Params(MASK_SIZE, MASK_SIZE, 1f, 0, false);
        for (int i = 0; i < targets.size(); i++) {
            Sampled s = sampled.get(i);
            if (s.positive().size(0) == 0) {
                continue;
            }
            Tensor r = torch.cat(new TensorVector(s.positiveMatches().to(ScalarType.Float).unsqueeze(1), s.positiveBoxes()), 1);
            Tensor gt = targets.get(i).masks().unsqueeze(1).to(ScalarType.Float).contiguous();
            parts.push_back(maskTargets.forward(gt, r, params).squeeze(1));
        }
        return torch.cat(parts, 0);
    }

    /** R × 5 RoIs (image index, x1, y1, x2, y2) of per-image n × 4 boxes, on their device. */
    static Tensor rois(List<Tensor> boxes) {
        TensorVector parts = new TensorVector();
        for (int i = 0; i < boxes.size(); i++) {
            Tensor b = boxes.get(i);
            Tensor index = torch.full(new long[] {b.size(0), 1}, new Scalar(i), Tensors.options(b, ScalarType.Float));
            parts.push_back(torch.cat(new TensorVector(index, b), 1));
        }
        return torch.cat(parts, 0).contiguous();
    }
}
