package io.wiseseg.maskrcnn;

import io.wiseseg.kernels.Nms;
import io.wiseseg.util.Tensors;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * torchvision's RegionProposalNetwork: per level the top-n anchors by objectness, decoded,
 * clipped, small boxes removed, NMS per level, the best post-n kept; in training, the objectness
 * and box losses over 256 sampled anchors per image. Everything stays a tensor on the features'
 * device.
 */
final class Rpn extends Module {
    private static final float MIN_SIZE = 1e-3f;

    final RpnHead head;
    private final AnchorGenerator anchors = new AnchorGenerator();
    private final BoxCoder coder = new BoxCoder(1f, 1f, 1f, 1f);
    private final Matcher matcher;
    private final BalancedSampler sampler;
    private final MaskRcnnConfig config;
    private final Nms nms;

    Rpn(MaskRcnnConfig config, Nms nms) {
        this.config = config;
        this.nms = nms;
        head = register_module("head", new RpnHead(config.fpnChannels(), anchors.anchorsPerLocation()));
        matcher = new Matcher(config.rpnFgIou(), config.rpnBgIou(), true);
        sampler = new BalancedSampler(config.rpnBatch(), config.rpnPositiveFraction());
    }

    /**
     * Proposals per image (n × 4 float32), their objectness probabilities (n, same order), both
     * on the features' device, and, in training, the two losses.
     */
    record Output(List<Tensor> proposals, List<Tensor> scores, Tensor objectnessLoss, Tensor boxLoss) {}

    /** Every anchor's objectness logit (N × A), box deltas (N × A × 4), the anchors (A × 4), and A per level. */
    record Raw(Tensor objectness, Tensor deltas, Tensor anchors, long[] perLevel) {}

    /**
     * gtBoxes: per image G × 4 on the features' device; ignoreBoxes: per image K × 4, regions
     * whose anchors are never negatives (null: none). Both for training only.
     */
    Output forward(List<Tensor> features, List<int[]> imageSizes, long paddedH, long paddedW, List<Tensor> gtBoxes,
            List<Tensor> ignoreBoxes, boolean training, Random random) {
        Raw raw = raw(features, paddedH, paddedW);
        int preN = training ? config.rpnPreNmsTrain() : config.rpnPreNmsTest();
        int postN = training ? config.rpnPostNmsTrain() : config.rpnPostNmsTest();
        Tensor logits = raw.objectness().detach(), deltas = raw.deltas().detach();
        Tensor top = topPerLevel(logits, raw.perLevel(), preN);
        Tensor levels = levelsOf(top, raw.perLevel(), preN);
        List<Tensor> proposals = new ArrayList<>(), scores = new ArrayList<>();
        for (int i = 0; i < imageSizes.size(); i++) {
            Candidates c = candidates(logits.select(0, i), deltas.select(0, i), raw.anchors(), top.select(0, i), levels,
                    imageSizes.get(i));
            // sync (CUDA): which boxes survive is data, and NMS needs them packed
            Tensor valid = c.valid().nonzero().view(-1);
            Tensor boxes = c.boxes().index_select(0, valid), prob = c.scores().index_select(0, valid);
            Tensor keep = nms.batched(boxes, prob, c.levels().index_select(0, valid), config.rpnNms());
            keep = keep.narrow(0, 0, Math.min(keep.size(0), postN));
            proposals.add(boxes.index_select(0, keep));
            scores.add(prob.index_select(0, keep));
        }
        if (!training) {
            return new Output(proposals, scores, null, null);
        }
        Tensor[] l = losses(raw, gtBoxes, ignoreBoxes, random);
        return new Output(proposals, scores, l[0], l[1]);
    }

    /** The head's outputs flattened in torchvision's order (level, position, anchor) and the anchors. */
    Raw raw(List<Tensor> features, long paddedH, long paddedW) {
        List<Tensor[]> raw = head.forward(features);
        long n = features.get(0).size(0);
        TensorVector objParts = new TensorVector(), deltaParts = new TensorVector(), anchorParts = new TensorVector();
        long[] perLevel = new long[raw.size()];
        for (int l = 0; l < raw.size(); l++) {
            Tensor obj = raw.get(l)[0], box = raw.get(l)[1];
            long a = obj.size(1), h = obj.size(2), w = obj.size(3);
            objParts.push_back(obj.permute(0, 2, 3, 1).reshape(n, -1));
            deltaParts.push_back(box.view(n, a, 4, h, w).permute(0, 3, 4, 1, 2).reshape(n, -1, 4));
            anchorParts.push_back(anchors.level(l, (int) h, (int) w, (int) paddedH, (int) paddedW, obj));
            perLevel[l] = h * w * a;
        }
        return new Raw(torch.cat(objParts, 1), torch.cat(deltaParts, 1), torch.cat(anchorParts, 0), perLevel);
    }

    /**
     * Indices (N × K) of each image's top-{@code preN} anchors by logit per level, as torchvision's
     * _get_top_n_idx (torch's topk: the same order among equal logits).
     */
    static Tensor topPerLevel(Tensor logits, long[] perLevel, int preN) {
        TensorVector parts = new TensorVector();
        long start = 0;
        for (long count : perLevel) {
            long k = Math.min(preN, count);
            parts.push_back(Tensors.owned(logits.narrow(1, start, count).topk(k, 1, true, true))[1].add(new Scalar(start)));
            start += count;
        }
        return torch.cat(parts, 1);
    }

    /** The level of each of {@link #topPerLevel}'s columns (K int64). */
    static Tensor levelsOf(Tensor top, long[] perLevel, int preN) {
        TensorVector parts = new TensorVector();
        for (int l = 0; l < perLevel.length; l++) {
            parts.push_back(torch.full(new long[] {Math.min(preN, perLevel[l])}, new Scalar(l),
                    Tensors.options(top, ScalarType.Long)));
        }
        return torch.cat(parts, 0);
    }

    /** One image's top anchors decoded and clipped, their probabilities and levels, and which pass the filters. */
    record Candidates(Tensor boxes, Tensor scores, Tensor levels, Tensor valid) {}

    Candidates candidates(Tensor logits, Tensor deltas, Tensor anchorBoxes, Tensor top, Tensor levels, int[] size) {
        Tensor prob = logits.index_select(0, top).sigmoid();
        Tensor boxes = Boxes.clip(coder.decode(deltas.index_select(0, top), anchorBoxes.index_select(0, top)), size[0],
                size[1]);
        Tensor valid = Boxes.largeEnough(boxes, MIN_SIZE).bitwise_and(prob.ge(new Scalar(config.rpnScoreThresh())));
        return new Candidates(boxes, prob, levels, valid);
    }

    /**
     * The objectness and box losses over the sampled anchors of each image (torchvision's
     * compute_loss), as masked sums over all anchors: fixed shapes, so no sync. A negative anchor
     * (below the background IoU with every ground-truth box) that reaches that IoU with an ignored
     * box is not sampled: it may cover an object nobody labelled.
     */
    Tensor[] losses(Raw raw, List<Tensor> gtBoxes, List<Tensor> ignoreBoxes, Random random) {
        Tensor objSum = null, boxSum = null, count = null;
        for (int i = 0; i < gtBoxes.size(); i++) {
            Tensor gt = gtBoxes.get(i), logits = raw.objectness().select(0, i);
            Tensor labels, matches = null;
            if (gt.size(0) > 0) {
                matches = matcher.match(Boxes.iou(gt, raw.anchors()));
                labels = matches.ge(new Scalar(0)).to(ScalarType.Float)
                        .masked_fill(matches.eq(new Scalar(Matcher.BETWEEN)), new Scalar(-1));
            } else {
                labels = torch.zeros(new long[] {logits.size(0)}, Tensors.options(logits, ScalarType.Float));
            }
            labels = IgnoredBackground.apply(labels, raw.anchors(), ignoreBoxes == null ? null : ignoreBoxes.get(i),
                    config.rpnBgIou());
            BalancedSampler.Sample s = sampler.sample(labels, random);
            Tensor sampled = s.positive().bitwise_or(s.negative());
            Tensor bce = torch.binary_cross_entropy_with_logits(logits, s.positive().to(ScalarType.Float),
                    new TensorOptional(), new TensorOptional(), 0);
            objSum = plus(objSum, bce.where(sampled, new Scalar(0.0)).sum());
            count = plus(count, sampled.sum());
            if (matches != null) {
                Tensor targets = coder.encode(gt.index_select(0, matches.clamp_min(new Scalar(0))), raw.anchors());
                Tensor l1 = torch.smooth_l1_loss(raw.deltas().select(0, i), targets, 0, 1.0 / 9).sum(1);
                // where, not a product: a non-positive anchor's target may be infinite (a zero-width box)
                boxSum = plus(boxSum, l1.where(s.positive(), new Scalar(0.0)).sum());
            }
        }
        if (boxSum == null) {
            boxSum = Tensors.zerosOn(raw.deltas()); // no ground truth in the batch: no positives
        }
        return new Tensor[] {objSum.div(count), boxSum.div(count)};
    }

    private static Tensor plus(Tensor sum, Tensor term) {
        return sum == null ? term : sum.add(term);
    }
}
