package io.wiseseg.maskrcnn;

import io.wiseseg.data.Box;
import io.wiseseg.data.Instance;
import io.wiseseg.data.Mask;
import io.wiseseg.data.RgbImage;
import io.wiseseg.util.Tensors;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/** Conversions between the data package's images and instances and the detector's tensors. */
final class Samples {
    private Samples() {}

    /** 3 × H × W float in [0, 1] (the detector normalises itself). */
    static Tensor image(RgbImage image) {
        return Tensors.floats(image.toChw(), 3, image.height(), image.width());
    }

    /**
     * The training target of an image's instances: label = class id + 1 (0 is the background),
     * box = the mask's box, as torchvision's reference scripts derive it. Empty masks are skipped.
     */
    static Target target(List<Instance> instances, int height, int width) {
        return target(instances, List.of(), height, width);
    }

    /** {@link #target(List, int, int)} with ignored regions ({@link Target#ignore()}), as boxes. */
    static Target target(List<Instance> instances, List<Box> ignore, int height, int width) {
        List<Instance> kept = new ArrayList<>();
        for (Instance in : instances) {
            if (!in.mask().isEmpty()) {
                kept.add(in);
            }
        }
        float[] boxes = new float[kept.size() * 4];
        long[] labels = new long[kept.size()];
        TensorVector masks = new TensorVector();
        for (int i = 0; i < kept.size(); i++) {
            Instance in = kept.get(i);
            if (in.mask().height() != height || in.mask().width() != width) {
                throw new IllegalArgumentException("instance mask is " + in.mask().width() + "x" + in.mask().height()
                        + " but the image is " + width + "x" + height);
            }
            Box b = in.mask().bbox();
            boxes[4 * i] = b.x1();
            boxes[4 * i + 1] = b.y1();
            boxes[4 * i + 2] = b.x2();
            boxes[4 * i + 3] = b.y2();
            labels[i] = in.classId() + 1L;
            byte[] px = in.mask().toBytes();
            Tensor m = torch.empty(new long[] {height, width}, new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Byte),
                    new org.bytedeco.pytorch.MemoryFormatOptional());
            java.lang.foreign.MemorySegment.ofAddress(m.data_ptr().address()).reinterpret(px.length)
                    .copyFrom(java.lang.foreign.MemorySegment.ofArray(px));
            masks.push_back(m);
        }
        Tensor stacked = kept.isEmpty()
                ? torch.zeros(new long[] {0, height, width}, new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Byte))
                : torch.stack(masks, 0);
        float[] ignored = new float[ignore.size() * 4];
        for (int i = 0; i < ignore.size(); i++) {
            Box b = ignore.get(i);
            ignored[4 * i] = b.x1();
            ignored[4 * i + 1] = b.y1();
            ignored[4 * i + 2] = b.x2();
            ignored[4 * i + 3] = b.y2();
        }
        return new Target(boxes, labels, stacked, ignored);
    }

    /** The horizontal mirror of an image tensor and its target. */
    static Tensor flipImage(Tensor image) {
        return image.flip(2);
    }

    static Target flipTarget(Target t, int width) {
        return new Target(mirrored(t.boxes(), width), t.labels(), t.count() == 0 ? t.masks() : t.masks().flip(2),
                mirrored(t.ignore(), width));
    }

    private static float[] mirrored(float[] flat, int width) {
        float[] b = flat.clone();
        for (int i = 0; i < b.length; i += 4) {
            float x1 = b[i];
            b[i] = width - b[i + 2];
            b[i + 2] = width - x1;
        }
        return b;
    }

    /** Instances of the data package from detections at the image's size (masks thresholded). */
    static List<Instance> instances(Detections d, float maskThreshold) {
        List<Instance> out = new ArrayList<>();
        if (d.count() == 0) {
            return out;
        }
        Tensor binary = d.masks().gt(new org.bytedeco.pytorch.Scalar(maskThreshold));
        int h = (int) binary.size(2), w = (int) binary.size(3);
        byte[] all = Tensors.toBytes(binary); // the masks' one copy to the host, thresholded on their device
        for (int i = 0; i < d.count(); i++) {
            byte[] px = java.util.Arrays.copyOfRange(all, i * h * w, (i + 1) * h * w);
            float[] b = d.boxes();
            out.add(new Instance((int) d.labels()[i] - 1, Mask.fromBytes(h, w, px),
                    new Box(b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]), d.scores()[i]));
        }
        return out;
    }
}
