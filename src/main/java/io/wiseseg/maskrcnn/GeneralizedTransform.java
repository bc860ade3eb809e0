package io.wiseseg.maskrcnn;

import io.wiseseg.util.Tensors;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * torchvision's GeneralizedRCNNTransform: ImageNet normalisation, a bilinear resize so the short
 * side is minSize unless the long side would exceed maxSize, zero padding of the batch to a
 * multiple of 32; afterwards boxes are scaled back and masks pasted into the original image.
 */
final class GeneralizedTransform {
    static final float[] MEAN = {0.485f, 0.456f, 0.406f};
    static final float[] STD = {0.229f, 0.224f, 0.225f};

    private final int minSize, maxSize, divisible;

    GeneralizedTransform(int minSize, int maxSize, int divisible) {
        this.minSize = minSize;
        this.maxSize = maxSize;
        this.divisible = divisible;
    }

    /** This transform at {@code scale} × its sizes (at least 1 px), for multi-scale training. */
    GeneralizedTransform scaled(double scale) {
        return new GeneralizedTransform(Math.max(1, (int) Math.round(minSize * scale)),
                Math.max(1, (int) Math.round(maxSize * scale)), divisible);
    }

    /** The padded batch, each image's size after resizing and before, and the resized targets. */
    record Batch(Tensor images, List<int[]> sizes, List<int[]> originalSizes, List<Target> targets) {}

    /** images: 3 × H × W float in [0, 1]; targets may be null (inference). */
    Batch apply(List<Tensor> images, List<Target> targets) {
        List<Tensor> resized = new ArrayList<>();
        List<int[]> sizes = new ArrayList<>(), originals = new ArrayList<>();
        List<Target> outTargets = targets == null ? null : new ArrayList<>();
        if (images.isEmpty()) {
            throw new IllegalArgumentException("no images");
        }
        Tensor like = images.get(0);
        Tensor mean = Tensors.floatsOn(like, MEAN, 3, 1, 1), std = Tensors.floatsOn(like, STD, 3, 1, 1);
        int maxH = 0, maxW = 0;
        for (int i = 0; i < images.size(); i++) {
            Tensor image = images.get(i);
            if (image.dim() != 3 || image.size(0) != 3) {
                throw new IllegalArgumentException("image " + i + " must be 3 × H × W");
            }
            int h = (int) image.size(1), w = (int) image.size(2);
            int[] out = resizedSize(h, w);
            Tensor x = image.sub(mean).div(std);
            x = torch.upsample_bilinear2d(x.unsqueeze(0), new long[] {out[0], out[1]}, false).squeeze(0);
            resized.add(x);
            sizes.add(out);
            originals.add(new int[] {h, w});
            maxH = Math.max(maxH, out[0]);
            maxW = Math.max(maxW, out[1]);
            if (targets != null) {
                outTargets.add(resizeTarget(targets.get(i), h, w, out));
            }
        }
        long ph = ceilTo(maxH), pw = ceilTo(maxW);
        Tensor batch = Tensors.zerosOn(like, images.size(), 3, ph, pw);
        for (int i = 0; i < resized.size(); i++) {
            batch.select(0, i).narrow(1, 0, sizes.get(i)[0]).narrow(2, 0, sizes.get(i)[1]).copy_(resized.get(i));
        }
        return new Batch(batch, sizes, originals, outTargets);
    }

    /**
     * torchvision's output size: floor(side × scale), scale = min(min/short, max/long) in float32;
     * at least 1 pixel, where torchvision fails (a side shorter than long/maxSize, e.g. 1×300 at
     * maxSize 64, would floor to 0).
     */
    int[] resizedSize(int h, int w) {
        float scale = Math.min((float) minSize / (float) Math.min(h, w), (float) maxSize / (float) Math.max(h, w));
        return new int[] {Math.max(1, (int) Math.floor(h * (double) scale)),
                Math.max(1, (int) Math.floor(w * (double) scale))};
    }

    /** The size an image of {@code h × w} is zero-padded to when it runs alone: its resized size up to multiples of 32. */
    int[] paddedSize(int h, int w) {
        int[] r = resizedSize(h, w);
        return new int[] {ceilTo(r[0]), ceilTo(r[1])};
    }

    private int ceilTo(int side) {
        return (int) (Math.ceil((double) side / divisible) * divisible);
    }

    private static Target resizeTarget(Target t, int h, int w, int[] out) {
        float rh = (float) out[0] / (float) h, rw = (float) out[1] / (float) w;
        float[] boxes = scaled(t.boxes(), rw, rh), ignore = scaled(t.ignore(), rw, rh);
        Tensor masks = t.masks();
        if (masks.size(0) > 0) {
            masks = torch.upsample_nearest2d(masks.unsqueeze(1).to(torch.ScalarType.Float), new long[] {out[0], out[1]})
                    .squeeze(1).to(torch.ScalarType.Byte);
        } else {
            masks = torch.zeros(new long[] {0, out[0], out[1]}, Tensors.options(masks, torch.ScalarType.Byte));
        }
        return new Target(boxes, t.labels(), masks, ignore);
    }

    private static float[] scaled(float[] flat, float rw, float rh) {
        float[] out = flat.clone();
        for (int i = 0; i < out.length; i += 4) {
            out[i] *= rw;
            out[i + 1] *= rh;
            out[i + 2] *= rw;
            out[i + 3] *= rh;
        }
        return out;
    }

    /**
     * Boxes back to the original size (torchvision's resize_boxes) and masks pasted there: on the
     * host copy of the final detections, the masks on their device.
     */
    Detections postprocess(Detections d, int[] size, int[] original) {
        float rh = (float) original[0] / (float) size[0], rw = (float) original[1] / (float) size[1];
        float[] boxes = d.boxes().clone();
        for (int i = 0; i < boxes.length; i += 4) {
            boxes[i] *= rw;
            boxes[i + 1] *= rh;
            boxes[i + 2] *= rw;
            boxes[i + 3] *= rh;
        }
        return new Detections(boxes, d.scores(), d.labels(), MaskPaste.paste(d.masks(), boxes, original[0], original[1]));
    }
}
