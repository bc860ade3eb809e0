package io.wiseseg.maskrcnn;

import io.wiseseg.util.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * torchvision's paste_masks_in_image: each M×M mask is padded by one pixel, its box enlarged by
 * (M+2)/M about the centre and truncated to integers, the padded mask resized bilinearly to the
 * box's (w+1)×(h+1) pixels and written into a zero image (clipped at the borders). The boxes are
 * the host copy of the final detections (each paste's size is a host number); the masks stay on
 * their device.
 */
final class MaskPaste {
    private MaskPaste() {}

    /** masks D × 1 × M × M, boxes D × 4 flat in image pixels → D × 1 × height × width. */
    static Tensor paste(Tensor masks, float[] boxes, int height, int width) {
        int d = (int) masks.size(0);
        if (d == 0) {
            return Tensors.zerosOn(masks, 0, 1, height, width);
        }
        long m = masks.size(-1);
        float scale = (float) ((m + 2.0) / m);
        Tensor padded = torch.constant_pad_nd(masks, 1, 1, 1, 1);
        TensorVector out = new TensorVector();
        for (int i = 0; i < d; i++) {
            float x1 = boxes[4 * i], y1 = boxes[4 * i + 1], x2 = boxes[4 * i + 2], y2 = boxes[4 * i + 3];
            float wHalf = (x2 - x1) * 0.5f * scale, hHalf = (y2 - y1) * 0.5f * scale;
            float xc = (x2 + x1) * 0.5f, yc = (y2 + y1) * 0.5f;
            long bx1 = (long) (xc - wHalf), by1 = (long) (yc - hHalf), bx2 = (long) (xc + wHalf), by2 = (long) (yc + hHalf);
            out.push_back(pasteOne(padded.select(0, i), bx1, by1, bx2, by2, height, width));
        }
        return torch.stack(out, 0);
    }

    private static Tensor pasteOne(Tensor mask, long x1, long y1, long x2, long y2, int height, int width) {
        long w = Math.max(x2 - x1 + 1, 1), h = Math.max(y2 - y1 + 1, 1);
        Tensor resized = torch.upsample_bilinear2d(mask.unsqueeze(0), new long[] {h, w}, false).select(0, 0).select(0, 0);
        Tensor image = Tensors.zerosOn(mask, 1, height, width);
        long ix0 = Math.max(x1, 0), ix1 = Math.min(x2 + 1, width);
        long iy0 = Math.max(y1, 0), iy1 = Math.min(y2 + 1, height);
        if (ix1 > ix0 && iy1 > iy0) {
            image.select(0, 0).narrow(0, iy0, iy1 - iy0).narrow(1, ix0, ix1 - ix0)
                    .copy_(resized.narrow(0, iy0 - y1, iy1 - iy0).narrow(1, ix0 - x1, ix1 - ix0));
        }
        return image;
    }
}
