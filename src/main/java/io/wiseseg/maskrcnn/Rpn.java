package io.wiseseg.maskrcnn;

import io.wiseseg.kernels.Nms;
import io.wiseseg.util.Tensors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * torchvision's RegionProposalNetwork: per level the top-n anchors by objectness, decoded,
 * clipped, small boxes removed, NMS per level, the best post-n kept; in training, the objectness
 * and box losses over 256 sampled anchors per image.
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
     * Proposals per image (n × 4 flat), their objectness probabilities (n, same order) and, in
     * training, the two losses.
     */
    record Output(List<float[]> proposals, List<float[]> scores, Tensor objectnessLoss, Tensor boxLoss) {}

    Output forward(List<Tensor> features, List<int[]> imageSizes, long paddedH, long paddedW,
            List<float[]> gtBoxes, boolean training, Random random) {
        List<Tensor[]> raw = head.forward(features);
        int n = imageSizes.size();
        TensorVector objParts = new TensorVector(), deltaParts = new TensorVector();
        List<float[]> levelAnchors = new ArrayList<>();
        int[] perLevel = new int[raw.size()];
        for (int l = 0; l < raw.size(); l++) {
            Tensor obj = raw.get(l)[0], box = raw.get(l)[1];
            long a = obj.size(1), h = obj.size(2), w = obj.size(3);
            objParts.push_back(obj.permute(0, 2, 3, 1).reshape(n, -1));
            deltaParts.push_back(box.view(n, a, 4, h, w).permute(0, 3, 4, 1, 2).reshape(n, -1, 4));
            levelAnchors.add(anchors.level(l, (int) h, (int) w, (int) paddedH, (int) paddedW));
            perLevel[l] = (int) (h * w * a);
        }
        Tensor objectness = torch.cat(objParts, 1);
        Tensor deltas = torch.cat(deltaParts, 1);
        int total = Arrays.stream(perLevel).sum();
        float[] allAnchors = new float[total * 4];
        int off = 0;
        for (float[] la : levelAnchors) {
            System.arraycopy(la, 0, allAnchors, off, la.length);
            off += la.length;
        }
        Tensor logits = objectness.detach();
        float[] prob = Tensors.toFloats(torch.sigmoid(logits));
        float[] del = Tensors.toFloats(deltas);
        int preN = training ? config.rpnPreNmsTrain() : config.rpnPreNmsTest();
        int postN = training ? config.rpnPostNmsTrain() : config.rpnPostNmsTest();
        List<float[]> proposals = new ArrayList<>(), proposalScores = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] decoded = coder.decode(Arrays.copyOfRange(del, i * total * 4, (i + 1) * total * 4), allAnchors);
            float[][] kept = filter(decoded, logits.select(0, i), prob, i * total, perLevel, preN, postN, imageSizes.get(i));
            proposals.add(kept[0]);
            proposalScores.add(kept[1]);
        }
        if (!training) {
            return new Output(proposals, proposalScores, null, null);
        }
        return losses(objectness, deltas, allAnchors, gtBoxes, proposals, proposalScores, random);
    }

    /**
     * One image's proposals and their scores: per level the top-n anchors by logit, then clip,
     * size filter, NMS per level, best post-n.
     */
    private float[][] filter(float[] decoded, Tensor logits, float[] prob, int base, int[] perLevel, int preN,
            int postN, int[] size) {
        List<Integer> chosen = new ArrayList<>();
        List<Integer> chosenLevel = new ArrayList<>();
        int start = 0;
        for (int l = 0; l < perLevel.length; l++) {
            // torch's topk, as torchvision's _get_top_n_idx (same order among equal logits)
            int k = Math.min(preN, perLevel[l]);
            Tensor top = logits.narrow(0, start, perLevel[l]).topk(k, 0, true, true).get1();
            for (long idx : Tensors.toLongs(top)) {
                chosen.add(start + (int) idx);
                chosenLevel.add(l);
            }
            start += perLevel[l];
        }
        int m = chosen.size();
        float[] boxes = new float[m * 4];
        float[] scores = new float[m];
        long[] groups = new long[m];
        int kept = 0;
        float[] one = new float[4];
        for (int k = 0; k < m; k++) {
            int a = chosen.get(k);
            System.arraycopy(decoded, 4 * a, one, 0, 4);
            Boxes.clip(one, size[0], size[1]);
            if (!Boxes.largeEnough(one, 0, MIN_SIZE) || !(prob[base + a] >= config.rpnScoreThresh())) {
                continue;
            }
            System.arraycopy(one, 0, boxes, 4 * kept, 4);
            scores[kept] = prob[base + a];
            groups[kept] = chosenLevel.get(k);
            kept++;
        }
        int[] keep = Tensors.toInts(nms.batched(Tensors.floats(Arrays.copyOf(boxes, kept * 4), kept, 4),
                Tensors.floats(Arrays.copyOf(scores, kept), kept), Tensors.longs(Arrays.copyOf(groups, kept), kept),
                config.rpnNms()));
        int[] top = Arrays.copyOf(keep, Math.min(keep.length, postN));
        float[] topScores = new float[top.length];
        for (int k = 0; k < top.length; k++) {
            topScores[k] = scores[top[k]];
        }
        return new float[][] {Boxes.select(boxes, top), topScores};
    }

    private Output losses(Tensor objectness, Tensor deltas, float[] anchorsFlat, List<float[]> gtBoxes,
            List<float[]> proposals, List<float[]> proposalScores, Random random) {
        int n = gtBoxes.size();
        int total = anchorsFlat.length / 4;
        List<Long> sampledPos = new ArrayList<>(), sampledAll = new ArrayList<>();
        List<Float> labelsAll = new ArrayList<>();
        List<float[]> targets = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] gt = gtBoxes.get(i);
            int g = gt.length / 4;
            int[] labels = new int[total];
            int[] matches = null;
            if (g > 0) {
                matches = matcher.match(Boxes.iou(gt, anchorsFlat), g, total);
                for (int j = 0; j < total; j++) {
                    labels[j] = matches[j] >= 0 ? 1 : matches[j] == Matcher.BELOW ? 0 : -1;
                }
            }
            BalancedSampler.Sample s = sampler.sample(labels, random);
            for (int j : s.positives()) {
                sampledPos.add((long) i * total + j);
                targets.add(coder.encode(Arrays.copyOfRange(gt, 4 * matches[j], 4 * matches[j] + 4),
                        Arrays.copyOfRange(anchorsFlat, 4 * j, 4 * j + 4)));
            }
            for (int j : s.positives()) {
                sampledAll.add((long) i * total + j);
                labelsAll.add(1f);
            }
            for (int j : s.negatives()) {
                sampledAll.add((long) i * total + j);
                labelsAll.add(0f);
            }
        }
        Tensor flatObj = objectness.reshape(-1);
        Tensor flatDeltas = deltas.reshape(-1, 4);
        Tensor all = Tensors.longs(sampledAll.stream().mapToLong(Long::longValue).toArray(), sampledAll.size());
        float[] lab = new float[labelsAll.size()];
        for (int i = 0; i < lab.length; i++) {
            lab[i] = labelsAll.get(i);
        }
        Tensor objLoss = torch.binary_cross_entropy_with_logits(flatObj.index_select(0, all),
                Tensors.floats(lab, lab.length));
        float[] tgt = new float[targets.size() * 4];
        for (int i = 0; i < targets.size(); i++) {
            System.arraycopy(targets.get(i), 0, tgt, 4 * i, 4);
        }
        Tensor pos = Tensors.longs(sampledPos.stream().mapToLong(Long::longValue).toArray(), sampledPos.size());
        Tensor boxLoss = torch.smooth_l1_loss(flatDeltas.index_select(0, pos), Tensors.floats(tgt, targets.size(), 4),
                2, 1.0 / 9).div(new org.bytedeco.pytorch.Scalar((double) Math.max(1, sampledAll.size())));
        return new Output(proposals, proposalScores, objLoss, boxLoss);
    }
}
