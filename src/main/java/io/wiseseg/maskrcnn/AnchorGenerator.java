package io.wiseseg.maskrcnn;

import io.wiseseg.util.Tensors;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * torchvision's AnchorGenerator for a five-level FPN: one size per level (32..512), aspect ratios
 * (h / w) 0.5, 1, 2. Cell anchors are computed in float32 and rounded half to even, as
 * {@code base_anchors.round()}; per level, anchors run over positions (row-major) then ratios,
 * built on the feature map's device.
 */
final class AnchorGenerator {
    static final int[] SIZES = {32, 64, 128, 256, 512};
    static final float[] RATIOS = {0.5f, 1f, 2f};

    private final float[][] cells = new float[SIZES.length][];

    AnchorGenerator() {
        for (int level = 0; level < SIZES.length; level++) {
            float[] cell = new float[RATIOS.length * 4];
            for (int r = 0; r < RATIOS.length; r++) {
                float h = (float) Math.sqrt(RATIOS[r]);
                float w = 1f / h;
                float ws = w * SIZES[level];
                float hs = h * SIZES[level];
                cell[4 * r] = (float) Math.rint(-ws / 2f);
                cell[4 * r + 1] = (float) Math.rint(-hs / 2f);
                cell[4 * r + 2] = (float) Math.rint(ws / 2f);
                cell[4 * r + 3] = (float) Math.rint(hs / 2f);
            }
            cells[level] = cell;
        }
    }

    int anchorsPerLocation() {
        return RATIOS.length;
    }

    /**
     * Anchors of one level, (H·W·A) × 4 float32 on {@code like}'s device, for a grid of
     * {@code gridH}×{@code gridW} over a padded batch of {@code imageH}×{@code imageW}
     * (stride = image size // grid size). Shifts are whole numbers, exact in float32, so the sums
     * equal torchvision's int32 shifts plus float32 cells.
     */
    Tensor level(int level, int gridH, int gridW, int imageH, int imageW, Tensor like) {
        int strideH = imageH / gridH, strideW = imageW / gridW;
        TensorOptions f = Tensors.options(like, ScalarType.Float);
        Tensor x = torch.arange(new Scalar(gridW), f).mul(new Scalar(strideW)).view(1, gridW).expand(gridH, gridW);
        Tensor y = torch.arange(new Scalar(gridH), f).mul(new Scalar(strideH)).view(gridH, 1).expand(gridH, gridW);
        Tensor shifts = torch.stack(new TensorVector(x, y, x, y), 2).view(-1, 1, 4);
        Tensor cell = Tensors.floatsOn(like, cells[level], RATIOS.length, 4).view(1, -1, 4);
        return shifts.add(cell).reshape(-1, 4);
    }
}
