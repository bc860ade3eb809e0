package io.wiseseg.maskrcnn;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Box operations on n × 4 float32 tensors (x1, y1, x2, y2), as torchvision.ops.boxes, in its
 * float32 order of operations; every result stays on the boxes' device.
 */
final class Boxes {
    private Boxes() {}

    /** x clamped to [0, width] and y to [0, height] (clip_boxes_to_image). */
    static Tensor clip(Tensor boxes, int height, int width) {
        TensorVector sides = new TensorVector(
                clamp(boxes.select(1, 0), width), clamp(boxes.select(1, 1), height),
                clamp(boxes.select(1, 2), width), clamp(boxes.select(1, 3), height));
        return torch.stack(sides, 1);
    }

    private static Tensor clamp(Tensor v, int max) {
        return v.clamp(new ScalarOptional(new Scalar(0)), new ScalarOptional(new Scalar(max)));
    }

    /** Whether both sides of each box are at least {@code minSize} (remove_small_boxes' test), n bool. */
    static Tensor largeEnough(Tensor boxes, float minSize) {
        Scalar min = new Scalar(minSize);
        return width(boxes).ge(min).bitwise_and(height(boxes).ge(min));
    }

    /** IoU matrix a.size(0) × b.size(0) (box_iou). */
    static Tensor iou(Tensor a, Tensor b) {
        Tensor areaA = width(a).mul(height(a)), areaB = width(b).mul(height(b));
        Tensor lt = torch.max(a.narrow(1, 0, 2).unsqueeze(1), b.narrow(1, 0, 2));
        Tensor rb = torch.min(a.narrow(1, 2, 2).unsqueeze(1), b.narrow(1, 2, 2));
        Tensor wh = rb.sub(lt).clamp_min(new Scalar(0));
        Tensor inter = wh.select(2, 0).mul(wh.select(2, 1));
        return inter.div(areaA.unsqueeze(1).add(areaB).sub(inter));
    }

    static Tensor width(Tensor boxes) {
        return boxes.select(1, 2).sub(boxes.select(1, 0));
    }

    static Tensor height(Tensor boxes) {
        return boxes.select(1, 3).sub(boxes.select(1, 1));
    }
}
