package io.wiseseg.maskrcnn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.kernels.Device;
import io.wiseseg.util.Tensors;
import io.wiseseg.util.TorchRuntime;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * MultiScaleRoIAlign on our kernels, forward and gradients through the two-graph bridge, against a
 * pure-LibTorch differentiable RoIAlign: bilinear sampling written as a matrix of sampling weights
 * (computed here from torchvision's definition) multiplied with the features, so autograd gives
 * the reference gradient.
 */
class MultiScaleRoiAlignTest {
    private static final int C = 3, OUT = 7, IMAGE = 128;
    private static final int[] SIDES = {32, 16, 8, 4};

    @BeforeAll
    static void load() {
        TorchRuntime.ensureLoaded();
    }

    @Test
    void forwardAndGradientsMatchDifferentiableReference() {
        Random r = new Random(11);
        int n = 2, rois = 24;
        float[] roi = new float[rois * 5];
        for (int i = 0; i < rois; i++) {
            float size = 4 + (float) Math.pow(2, r.nextDouble() * 9.5); // 5 .. 730 px: all four levels
            float x = r.nextFloat() * IMAGE - size / 2, y = r.nextFloat() * IMAGE - size / 2;
            roi[5 * i] = r.nextInt(n);
            roi[5 * i + 1] = x;
            roi[5 * i + 2] = y;
            roi[5 * i + 3] = x + size * (0.5f + r.nextFloat());
            roi[5 * i + 4] = y + size * (0.5f + r.nextFloat());
        }
        List<Tensor> params = new ArrayList<>(), refParams = new ArrayList<>(), features = new ArrayList<>();
        for (int side : SIDES) {
            Tensor p = torch.randn(n, C, side, side);
            params.add(p.clone().set_requires_grad(true));
            refParams.add(p.clone().set_requires_grad(true));
        }
        for (Tensor p : params) {
            features.add(p.mul(new Scalar(1.5))); // a graph between the parameters and the pooled levels
        }
        Tensor weights = torch.randn(rois, C, OUT, OUT);

        // ours: kernels on detached levels, loss on a leaf, bridge back into the levels' graph
        MultiScaleRoiAlign pooler = new MultiScaleRoiAlign(OUT, Device.cpu());
        List<int[]> sizes = List.of(new int[] {IMAGE, IMAGE}, new int[] {IMAGE, IMAGE});
        MultiScaleRoiAlign.Pooling pooling = pooler.pool(features, Tensors.floats(roi, rois, 5), sizes);
        Tensor leaf = pooling.output().set_requires_grad(true);
        leaf.mul(weights).sum().backward();
        MultiScaleRoiAlign.gradientSurrogate(features, pooler.backward(pooling, leaf.grad())).backward();

        // reference: pooled = M · F over all levels, differentiable by LibTorch
        Tensor reference = referencePool(refParams, roi, rois, n);
        reference.mul(weights).sum().backward();

        MaskRcnnParityTest.assertClose(Tensors.toFloats(reference), Tensors.toFloats(pooling.output()), 1e-5, "pooled features");
        for (int l = 0; l < SIDES.length; l++) {
            MaskRcnnParityTest.assertClose(Tensors.toFloats(refParams.get(l).grad()), Tensors.toFloats(params.get(l).grad()),
                    1e-4, "gradient of level " + l);
            assertTrue(params.get(l).grad().abs().sum().item_float() > 0, "level " + l + " received no RoI");
        }
    }

    private static Tensor referencePool(List<Tensor> params, float[] roi, int rois, int n) {
        List<Tensor> flat = new ArrayList<>();
        int[] offset = new int[SIDES.length + 1];
        for (int l = 0; l < SIDES.length; l++) {
            // the same graph as ours: levels = 1.5 × parameters; columns: (image, y, x) per level
            flat.add(params.get(l).mul(new Scalar(1.5)).permute(1, 0, 2, 3).reshape(C, -1));
            offset[l + 1] = offset[l] + n * SIDES[l] * SIDES[l];
        }
        org.bytedeco.pytorch.TensorVector parts = new org.bytedeco.pytorch.TensorVector();
        for (Tensor f : flat) {
            parts.push_back(f);
        }
        Tensor all = torch.cat(parts, 1); // C × columns
        float[] m = new float[rois * OUT * OUT * offset[SIDES.length]];
        int cols = offset[SIDES.length];
        for (int i = 0; i < rois; i++) {
            float x1 = roi[5 * i + 1], y1 = roi[5 * i + 2], x2 = roi[5 * i + 3], y2 = roi[5 * i + 4];
            double lv = Math.floor(4 + Math.log(Math.sqrt((x2 - x1) * (y2 - y1)) / 224.0) / Math.log(2) + 1e-6);
            int level = (int) Math.min(Math.max(lv, 2), 5) - 2;
            int side = SIDES[level];
            float scale = side / (float) IMAGE;
            int image = (int) roi[5 * i];
            float sx = x1 * scale, sy = y1 * scale;
            float rw = Math.max(x2 * scale - sx, 1f), rh = Math.max(y2 * scale - sy, 1f);
            float bw = rw / OUT, bh = rh / OUT;
            for (int ph = 0; ph < OUT; ph++) {
                for (int pw = 0; pw < OUT; pw++) {
                    int row = (i * OUT + ph) * OUT + pw;
                    for (int iy = 0; iy < 2; iy++) {
                        float y = sy + ph * bh + (iy + 0.5f) * bh / 2;
                        for (int ix = 0; ix < 2; ix++) {
                            float x = sx + pw * bw + (ix + 0.5f) * bw / 2;
                            addBilinear(m, row * cols + offset[level] + image * side * side, side, y, x, 0.25f);
                        }
                    }
                }
            }
        }
        Tensor matrix = Tensors.floats(m, (long) rois * OUT * OUT, cols);
        return matrix.matmul(all.t()).view(rois, OUT, OUT, C).permute(0, 3, 1, 2).contiguous();
    }

    /** torchvision's bilinear_interpolate, as weights added into one row of the sampling matrix. */
    private static void addBilinear(float[] m, int base, int side, float y, float x, float w) {
        if (y < -1f || y > side || x < -1f || x > side) {
            return;
        }
        y = Math.max(y, 0f);
        x = Math.max(x, 0f);
        int yl = (int) y, xl = (int) x, yh, xh;
        if (yl >= side - 1) {
            yh = yl = side - 1;
            y = yl;
        } else {
            yh = yl + 1;
        }
        if (xl >= side - 1) {
            xh = xl = side - 1;
            x = xl;
        } else {
            xh = xl + 1;
        }
        float ly = y - yl, lx = x - xl, hy = 1 - ly, hx = 1 - lx;
        m[base + yl * side + xl] += w * hy * hx;
        m[base + yl * side + xh] += w * hy * lx;
        m[base + yh * side + xl] += w * ly * hx;
        m[base + yh * side + xh] += w * ly * lx;
    }
}
