package io.wiseseg.maskrcnn;

import io.wiseseg.kernels.Device;
import io.wiseseg.kernels.FpnLevels;
import io.wiseseg.kernels.RoiAlign;
import io.wiseseg.util.Tensors;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * torchvision's MultiScaleRoIAlign over FPN levels "0".."3" on our RoIAlign kernels: each RoI is
 * pooled from the level its size selects (LevelMapper), with sampling ratio 2 and aligned=false.
 *
 * <p>Outputs and gradients are created on the features' device. Autograd: the kernels sit outside
 * LibTorch's graph, so {@link #pool} returns a {@link Pooling} that remembers where each RoI came
 * from, and {@link #backward} turns the gradient of the pooled features into gradients of the
 * level features (the "two-graph" recipe: the heads run on a detached leaf, the level gradients
 * are then pushed into the backbone's graph).
 */
final class MultiScaleRoiAlign {
    static final int SAMPLING_RATIO = 2;

    private final int outputSize;
    private final RoiAlign roiAlign;
    private final FpnLevels levels;

    MultiScaleRoiAlign(int outputSize, Device device) {
        this.outputSize = outputSize;
        this.roiAlign = new RoiAlign(device);
        this.levels = new FpnLevels(device);
    }

    /** What a backward pass needs: the RoIs and parameters of each level that pooled some. */
    record Pooling(Tensor output, List<long[]> levelShapes, List<Tensor> levelIndex, List<Tensor> levelRois,
            List<RoiAlign.Params> params) {}

    /**
     * features: the four finest levels (N×C×Hl×Wl); rois: R×5 float32 (batch index, x1, y1, x2, y2);
     * imageSizes: the (height, width) of each image before padding, which set the level scales.
     */
    Pooling pool(List<Tensor> features, Tensor rois, List<int[]> imageSizes) {
        int maxH = 0, maxW = 0;
        for (int[] s : imageSizes) {
            maxH = Math.max(maxH, s[0]);
            maxW = Math.max(maxW, s[1]);
        }
        float[] scales = new float[features.size()];
        for (int l = 0; l < scales.length; l++) {
            scales[l] = inferScale(features.get(l).size(2), maxH);
        }
        int kMin = (int) -Math.round(Math.log(scales[0]) / Math.log(2));
        int kMax = (int) -Math.round(Math.log(scales[scales.length - 1]) / Math.log(2));
        Tensor first = features.get(0);
        long r = rois.size(0);
        Tensor output = Tensors.zerosOn(first, r, first.size(1), outputSize, outputSize);
        List<long[]> shapes = new ArrayList<>();
        List<Tensor> indices = new ArrayList<>();
        List<Tensor> levelRois = new ArrayList<>();
        List<RoiAlign.Params> params = new ArrayList<>();
        Tensor levelOf = r == 0 ? null : levels.assign(rois, kMin, kMax).to(org.bytedeco.pytorch.global.torch.ScalarType.Long);
        for (int l = 0; l < features.size(); l++) {
            Tensor f = features.get(l);
            shapes.add(new long[] {f.size(0), f.size(1), f.size(2), f.size(3)});
            RoiAlign.Params p = new RoiAlign.Params(outputSize, outputSize, scales[l], SAMPLING_RATIO, false);
            params.add(p);
            if (levelOf == null) {
                indices.add(null);
                levelRois.add(null);
                continue;
            }
            // sync (CUDA): the RoIAlign kernel takes each level's RoIs packed, and their count is data
            Tensor idx = torch.nonzero(levelOf.eq(new org.bytedeco.pytorch.Scalar((long) l))).view(-1);
            if (idx.size(0) == 0) {
                indices.add(null);
                levelRois.add(null);
                continue;
            }
            Tensor sub = rois.index_select(0, idx).contiguous();
            output.index_copy_(0, idx, roiAlign.forward(f.detach().contiguous(), sub, p));
            indices.add(idx);
            levelRois.add(sub);
        }
        return new Pooling(output, shapes, indices, levelRois, params);
    }

    /** The gradient of each level's features given the gradient of {@link Pooling#output()}. */
    List<Tensor> backward(Pooling pooling, Tensor gradOutput) {
        List<Tensor> grads = new ArrayList<>();
        Tensor g = gradOutput.contiguous();
        for (int l = 0; l < pooling.levelShapes().size(); l++) {
            long[] shape = pooling.levelShapes().get(l);
            Tensor idx = pooling.levelIndex().get(l);
            if (idx == null) {
                grads.add(Tensors.zerosOn(g, shape));
            } else {
                grads.add(roiAlign.backward(g.index_select(0, idx).contiguous(), pooling.levelRois().get(l), shape,
                        pooling.params().get(l)));
            }
        }
        return grads;
    }

    /**
     * A scalar whose gradient with respect to each level's features is {@code grads} (Σ F·G): adding
     * it to a loss and calling backward pushes pooled-feature gradients into the backbone's graph.
     * Null entries (levels no RoI used) are skipped.
     */
    static Tensor gradientSurrogate(List<Tensor> features, List<Tensor> grads) {
        Tensor s = null;
        for (int l = 0; l < grads.size(); l++) {
            if (grads.get(l) != null) {
                Tensor term = features.get(l).mul(grads.get(l)).sum();
                s = s == null ? term : s.add(term);
            }
        }
        return s;
    }

    /** torchvision's _infer_scale: 2^round(log2(feature size / image size)), in float32 as torch. */
    static float inferScale(long featureSize, int imageSize) {
        float approx = (float) ((double) featureSize / imageSize);
        double lg = Math.rint((float) (Math.log(approx) / Math.log(2)));
        return (float) Math.pow(2, lg);
    }
}
