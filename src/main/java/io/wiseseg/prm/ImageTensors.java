package io.wiseseg.prm;

import io.wiseseg.util.Tensors;
import io.wiseseg.data.RgbImage;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/** Images as the network takes them: 1×3×H×W, ImageNet-normalised, resized bilinearly. */
public final class ImageTensors {
    private ImageTensors() {}

    /** The image normalised, at its own size. */
    public static Tensor normalised(RgbImage image) {
        return Tensors.floats(image.toChwImageNet(), 1, 3, image.height(), image.width());
    }

    /** The image normalised and resized to height × width (bilinear, align_corners=False). */
    public static Tensor normalised(RgbImage image, int height, int width, boolean flip) {
        Tensor t = normalised(image);
        if (image.height() != height || image.width() != width) {
            t = torch.upsample_bilinear2d(t, new long[] {height, width}, false);
        }
        return flip ? t.flip(3) : t;
    }

    /** Rounds a size to the nearest multiple of the network's stride (32), at least 32. */
    public static int toStride(double size) {
        return Math.max(32, (int) Math.round(size / 32.0) * 32);
    }

    /**
     * The network input for an image at test time: scaled so its longer side is about
     * {@code side}, each side rounded to a multiple of 32; returns {height, width}.
     */
    public static int[] inputSize(int height, int width, int side) {
        double scale = (double) side / Math.max(height, width);
        return new int[] {toStride(height * scale), toStride(width * scale)};
    }

    static Tensor cat(java.util.List<Tensor> images) {
        TensorVector v = new TensorVector();
        images.forEach(v::push_back);
        return torch.cat(v, 0);
    }
}
