package io.wiseseg.maskrcnn;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * torchvision's BoxCoder: box regression deltas (dx, dy, dw, dh) relative to reference boxes,
 * divided by per-coordinate weights. Tensor ops in torchvision's float32 order of operations, so
 * decoded boxes match its own; results stay on the inputs' device.
 */
final class BoxCoder {
    /** torchvision's bbox_xform_clip: log(1000 / 16), as a Python float (clamp rounds it to float32). */
    static final double CLIP = Math.log(1000.0 / 16);

    // floats, not Scalars: a Scalar is native memory that the PointerScope of the first call would free
    private final float wx, wy, ww, wh;

    BoxCoder(float wx, float wy, float ww, float wh) {
        this.wx = wx;
        this.wy = wy;
        this.ww = ww;
        this.wh = wh;
    }

    /** Decodes {@code codes} (n × 4) against {@code refs} (n × 4, row i for code i) → n × 4 boxes. */
    Tensor decode(Tensor codes, Tensor refs) {
        Scalar half = new Scalar(0.5), clip = new Scalar(CLIP);
        Tensor widths = Boxes.width(refs), heights = Boxes.height(refs);
        Tensor ctrX = refs.select(1, 0).add(widths.mul(half));
        Tensor ctrY = refs.select(1, 1).add(heights.mul(half));
        Tensor dx = codes.select(1, 0).div(new Scalar(wx)), dy = codes.select(1, 1).div(new Scalar(wy));
        Tensor dw = codes.select(1, 2).div(new Scalar(ww)).clamp_max(clip);
        Tensor dh = codes.select(1, 3).div(new Scalar(wh)).clamp_max(clip);
        Tensor predX = dx.mul(widths).add(ctrX), predY = dy.mul(heights).add(ctrY);
        Tensor halfW = dw.exp().mul(widths).mul(half), halfH = dh.exp().mul(heights).mul(half);
        return torch.stack(new TensorVector(predX.sub(halfW), predY.sub(halfH), predX.add(halfW), predY.add(halfH)), 1);
    }

    /** The regression targets of {@code gt} boxes relative to {@code refs} (both n × 4, row for row). */
    Tensor encode(Tensor gt, Tensor refs) {
        Scalar half = new Scalar(0.5);
        Tensor ew = Boxes.width(refs), eh = Boxes.height(refs);
        Tensor ex = refs.select(1, 0).add(ew.mul(half)), ey = refs.select(1, 1).add(eh.mul(half));
        Tensor gw = Boxes.width(gt), gh = Boxes.height(gt);
        Tensor gx = gt.select(1, 0).add(gw.mul(half)), gy = gt.select(1, 1).add(gh.mul(half));
        return torch.stack(new TensorVector(gx.sub(ex).mul(new Scalar(wx)).div(ew), gy.sub(ey).mul(new Scalar(wy)).div(eh),
                gw.div(ew).log().mul(new Scalar(ww)), gh.div(eh).log().mul(new Scalar(wh))), 1);
    }
}
