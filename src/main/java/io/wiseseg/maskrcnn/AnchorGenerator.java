package io.wiseseg.maskrcnn;

/**
 * torchvision's AnchorGenerator for a five-level FPN: one size per level (32..512), aspect ratios
 * (h / w) 0.5, 1, 2. Cell anchors are computed in float32 and rounded half to even, as
 * {@code base_anchors.round()}; per level, anchors run over positions (row-major) then ratios.
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
     * Anchors of one level as a flat (H·W·A)×4 array, for a grid of {@code gridH}×{@code gridW}
     * over a padded batch of {@code imageH}×{@code imageW} (stride = image size // grid size).
     */
    float[] level(int level, int gridH, int gridW, int imageH, int imageW) {
        int strideH = imageH / gridH, strideW = imageW / gridW;
        float[] cell = cells[level];
        int a = RATIOS.length;
        float[] out = new float[gridH * gridW * a * 4];
        int k = 0;
        for (int y = 0; y < gridH; y++) {
            for (int x = 0; x < gridW; x++) {
                float sx = x * strideW, sy = y * strideH;
                for (int r = 0; r < a; r++) {
                    out[k++] = sx + cell[4 * r];
                    out[k++] = sy + cell[4 * r + 1];
                    out[k++] = sx + cell[4 * r + 2];
                    out[k++] = sy + cell[4 * r + 3];
                }
            }
        }
        return out;
    }
}
