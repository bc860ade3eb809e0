package io.wiseseg.maskrcnn;

import io.wiseseg.kernels.Device;
import io.wiseseg.kernels.Nms;
import io.wiseseg.kernels.RoiAlign;
import io.wiseseg.util.Tensors;
import io.wiseseg.util.Trace.Span;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * torchvision's RoIHeads with a mask branch: box head and predictor on 7×7 pooled features, mask
 * head and predictor on 14×14 ones. Inference decodes per-class boxes, keeps scores above the
 * threshold, NMS per class and the best detections; training samples RoIs and computes the
 * classification, box and mask losses.
 */
final class RoiHeads extends Module {
    private static final int MASK_SIZE = 28;

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

    /** Detections per image at the transformed size, masks as 28×28 probabilities (D × 1 × 28 × 28). */
    List<Detections> detect(List<Tensor> features, List<float[]> proposals, List<int[]> sizes) {
        int classes = config.numClasses();
        Tensor rois = rois(proposals);
        float[] scores, decoded;
        try (Span s = MaskRcnn.span("box head").arg("rois", rois.size(0))) {
            Tensor[] predicted = boxPredictor.forward(boxHead.forward(boxPool.pool(features, rois, sizes).output()));
            scores = Tensors.toFloats(torch.softmax(predicted[0], -1));
            decoded = coder.decode(Tensors.toFloats(predicted[1]), concat(proposals));
        }
        Span selection = MaskRcnn.span("box selection"); // score threshold, NMS per class, best detections
        List<float[]> boxesPerImage = new ArrayList<>();
        List<float[]> scoresPerImage = new ArrayList<>();
        List<long[]> labelsPerImage = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < proposals.size(); i++) {
            int r = proposals.get(i).length / 4;
            float[] boxes = new float[r * (classes - 1) * 4];
            float[] sc = new float[r * (classes - 1)];
            long[] lab = new long[r * (classes - 1)];
            int k = 0;
            float[] one = new float[4];
            for (int p = start; p < start + r; p++) {
                for (int c = 1; c < classes; c++) {
                    System.arraycopy(decoded, 4 * (p * classes + c), one, 0, 4);
                    Boxes.clip(one, sizes.get(i)[0], sizes.get(i)[1]);
                    float s = scores[p * classes + c];
                    if (!(s > config.boxScoreThresh()) || !Boxes.largeEnough(one, 0, 1e-2f)) {
                        continue;
                    }
                    System.arraycopy(one, 0, boxes, 4 * k, 4);
                    sc[k] = s;
                    lab[k] = c;
                    k++;
                }
            }
            int[] keep = Tensors.toInts(nms.batched(Tensors.floats(Arrays.copyOf(boxes, 4 * k), k, 4),
                    Tensors.floats(Arrays.copyOf(sc, k), k), Tensors.longs(Arrays.copyOf(lab, k), k), config.boxNms()));
            keep = Arrays.copyOf(keep, Math.min(keep.length, config.detectionsPerImage()));
            float[] kb = Boxes.select(boxes, keep);
            float[] ks = new float[keep.length];
            long[] kl = new long[keep.length];
            for (int j = 0; j < keep.length; j++) {
                ks[j] = sc[keep[j]];
                kl[j] = lab[keep[j]];
            }
            boxesPerImage.add(kb);
            scoresPerImage.add(ks);
            labelsPerImage.add(kl);
            start += r;
        }
        selection.close();
        // Mask branch on the detected boxes of all images at once.
        Span masks = MaskRcnn.span("mask head");
        Tensor maskLogits = maskPredictor.forward(maskHead.forward(maskPool.pool(features, rois(boxesPerImage), sizes).output()));
        List<Detections> out = new ArrayList<>();
        int offset = 0;
        for (int i = 0; i < proposals.size(); i++) {
            long[] lab = labelsPerImage.get(i);
            long[] rows = new long[lab.length];
            for (int j = 0; j < lab.length; j++) {
                rows[j] = (long) (offset + j) * classes + lab[j];
            }
            Tensor probabilities = torch.sigmoid(maskLogits.reshape(-1, MASK_SIZE, MASK_SIZE)
                    .index_select(0, Tensors.longs(rows, rows.length))).unsqueeze(1);
            out.add(new Detections(boxesPerImage.get(i), scoresPerImage.get(i), lab, probabilities));
            offset += lab.length;
        }
        masks.arg("detections", offset).close();
        return out;
    }

    /** The head losses of one training step, and the pooled leaves whose gradients reach the backbone. */
    record Losses(Tensor classifier, Tensor box, Tensor mask, List<Leaf> leaves) {}

    /** A detached leaf of pooled features and the pooling that produced it. */
    record Leaf(MultiScaleRoiAlign pooler, MultiScaleRoiAlign.Pooling pooling, Tensor leaf) {}

    Losses losses(List<Tensor> features, List<float[]> proposals, List<int[]> sizes, List<Target> targets, Random random) {
        int classes = config.numClasses();
        List<float[]> sampledBoxes = new ArrayList<>();
        List<float[]> positiveBoxes = new ArrayList<>();
        List<Long> labels = new ArrayList<>();
        List<float[]> regression = new ArrayList<>();
        List<Long> positiveRows = new ArrayList<>(), positiveLabels = new ArrayList<>();
        List<float[]> maskRois = new ArrayList<>();
        int row = 0;
        for (int i = 0; i < proposals.size(); i++) {
            Target t = targets.get(i);
            float[] gt = t.boxes();
            float[] props = concat(List.of(proposals.get(i), gt));
            int p = props.length / 4, g = t.count();
            int[] lab = new int[p];
            int[] matched = new int[p];
            if (g > 0) {
                int[] m = matcher.match(Boxes.iou(gt, props), g, p);
                for (int j = 0; j < p; j++) {
                    matched[j] = Math.max(m[j], 0);
                    lab[j] = m[j] == Matcher.BELOW ? 0 : m[j] == Matcher.BETWEEN ? -1 : (int) t.labels()[matched[j]];
                }
            }
            BalancedSampler.Sample s = sampler.sample(lab, random);
            int[] chosen = java.util.stream.IntStream.concat(Arrays.stream(s.positives()), Arrays.stream(s.negatives()))
                    .sorted().toArray();
            float[] boxes = Boxes.select(props, chosen);
            sampledBoxes.add(boxes);
            List<float[]> posBoxes = new ArrayList<>();
            for (int j = 0; j < chosen.length; j++) {
                int c = chosen[j];
                labels.add((long) lab[c]);
                float[] box = Arrays.copyOfRange(props, 4 * c, 4 * c + 4);
                float[] ref = g > 0 ? Arrays.copyOfRange(gt, 4 * matched[c], 4 * matched[c] + 4) : new float[4];
                regression.add(coder.encode(ref, box));
                if (lab[c] > 0) {
                    positiveRows.add((long) row);
                    positiveLabels.add((long) lab[c]);
                    posBoxes.add(box);
                    maskRois.add(new float[] {matched[c], box[0], box[1], box[2], box[3]});
                }
                row++;
            }
            positiveBoxes.add(concat(posBoxes));
        }
        List<Leaf> leaves = new ArrayList<>();
        MultiScaleRoiAlign.Pooling boxPooling = boxPool.pool(features, rois(sampledBoxes), sizes);
        Tensor boxLeaf = boxPooling.output().set_requires_grad(true);
        leaves.add(new Leaf(boxPool, boxPooling, boxLeaf));
        Tensor[] predicted = boxPredictor.forward(boxHead.forward(boxLeaf));
        long n = labels.size();
        Tensor labelTensor = Tensors.longs(labels.stream().mapToLong(Long::longValue).toArray(), n);
        Tensor classifier = torch.cross_entropy_loss(predicted[0], labelTensor);
        float[] tgt = new float[(int) n * 4];
        for (int j = 0; j < n; j++) {
            System.arraycopy(regression.get(j), 0, tgt, 4 * j, 4);
        }
        long[] pr = positiveRows.stream().mapToLong(Long::longValue).toArray();
        long[] pl = positiveLabels.stream().mapToLong(Long::longValue).toArray();
        long[] flatRows = new long[pr.length];
        for (int j = 0; j < pr.length; j++) {
            flatRows[j] = pr[j] * classes + pl[j];
        }
        Tensor box = torch.smooth_l1_loss(
                predicted[1].reshape(-1, 4).index_select(0, Tensors.longs(flatRows, flatRows.length)),
                Tensors.floats(tgt, n, 4).index_select(0, Tensors.longs(pr, pr.length)), 2, 1.0 / 9)
                .div(new Scalar((double) Math.max(1, n)));
        Tensor mask;
        if (pr.length == 0) {
            mask = predicted[0].sum().mul(new Scalar(0.0));
        } else {
            MultiScaleRoiAlign.Pooling maskPooling = maskPool.pool(features, rois(positiveBoxes), sizes);
            Tensor maskLeaf = maskPooling.output().set_requires_grad(true);
            leaves.add(new Leaf(maskPool, maskPooling, maskLeaf));
            Tensor logits = maskPredictor.forward(maskHead.forward(maskLeaf));
            long[] maskRows = new long[pl.length];
            for (int j = 0; j < pl.length; j++) {
                maskRows[j] = j * (long) classes + pl[j];
            }
            Tensor selected = logits.reshape(-1, MASK_SIZE, MASK_SIZE).index_select(0, Tensors.longs(maskRows, maskRows.length));
            mask = torch.binary_cross_entropy_with_logits(selected, maskTargets(targets, positiveBoxes, maskRois));
        }
        return new Losses(classifier, box, mask, leaves);
    }

    /**
     * torchvision's project_masks_on_boxes: each positive RoI's matched ground-truth mask, RoIAligned
     * (scale 1, adaptive sampling, aligned=false) onto a 28×28 grid.
     */
    private Tensor maskTargets(List<Target> targets, List<float[]> positiveBoxes, List<float[]> maskRois) {
        TensorVector parts = new TensorVector();
        int k = 0;
        RoiAlign.Params params = new RoiAlign.Params(MASK_SIZE, MASK_SIZE, 1f, 0, false);
        for (int i = 0; i < targets.size(); i++) {
            int count = positiveBoxes.get(i).length / 4;
            if (count == 0) {
                continue;
            }
            float[] r = new float[count * 5];
            for (int j = 0; j < count; j++) {
                System.arraycopy(maskRois.get(k++), 0, r, 5 * j, 5);
            }
            Tensor gt = targets.get(i).masks().unsqueeze(1).to(torch.ScalarType.Float).contiguous();
            parts.push_back(maskTargets.forward(gt, Tensors.floats(r, count, 5), params).squeeze(1));
        }
        return torch.cat(parts, 0);
    }

    /** R × 5 RoIs (image index, x1, y1, x2, y2) of per-image box lists. */
    static Tensor rois(List<float[]> boxes) {
        int total = 0;
        for (float[] b : boxes) {
            total += b.length / 4;
        }
        float[] r = new float[total * 5];
        int k = 0;
        for (int i = 0; i < boxes.size(); i++) {
            float[] b = boxes.get(i);
            for (int j = 0; j < b.length / 4; j++) {
                r[5 * k] = i;
                System.arraycopy(b, 4 * j, r, 5 * k + 1, 4);
                k++;
            }
        }
        return Tensors.floats(r, total, 5);
    }

    static float[] concat(List<float[]> parts) {
        int n = 0;
        for (float[] p : parts) {
            n += p.length;
        }
        float[] out = new float[n];
        int o = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }
}
