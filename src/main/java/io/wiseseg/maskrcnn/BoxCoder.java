package io.wiseseg.maskrcnn;

/**
 * torchvision's BoxCoder: box regression deltas (dx, dy, dw, dh) relative to reference boxes,
 * divided by per-coordinate weights. Float32 arithmetic in torchvision's order of operations, so
 * decoded boxes match its bit for bit up to the last bit of exp.
 */
final class BoxCoder {
    /** torchvision's bbox_xform_clip: log(1000 / 16), as a Python float rounded to float32 by clamp. */
    static final float CLIP = (float) Math.log(1000.0 / 16);

    private final float wx, wy, ww, wh;

    BoxCoder(float wx, float wy, float ww, float wh) {
        this.wx = wx;
        this.wy = wy;
        this.ww = ww;
        this.wh = wh;
    }

    /**
     * Decodes {@code codes} (R × K × 4 flat: K boxes per reference box) against {@code refs}
     * (R × 4 flat) → R × K × 4 boxes (x1, y1, x2, y2).
     */
    float[] decode(float[] codes, float[] refs) {
        int r = refs.length / 4;
        int k = r == 0 ? 0 : codes.length / (4 * r);
        float[] out = new float[codes.length];
        for (int i = 0; i < r; i++) {
            float width = refs[4 * i + 2] - refs[4 * i];
            float height = refs[4 * i + 3] - refs[4 * i + 1];
            float cx = refs[4 * i] + 0.5f * width;
            float cy = refs[4 * i + 1] + 0.5f * height;
            for (int j = 0; j < k; j++) {
                int o = 4 * (i * k + j);
                float dx = codes[o] / wx, dy = codes[o + 1] / wy;
                float dw = Math.min(codes[o + 2] / ww, CLIP), dh = Math.min(codes[o + 3] / wh, CLIP);
                float pcx = dx * width + cx;
                float pcy = dy * height + cy;
                float pw = (float) Math.exp(dw) * width;
                float ph = (float) Math.exp(dh) * height;
                float hw = 0.5f * pw, hh = 0.5f * ph;
                out[o] = pcx - hw;
                out[o + 1] = pcy - hh;
                out[o + 2] = pcx + hw;
                out[o + 3] = pcy + hh;
            }
        }
        return out;
    }

    /** The regression targets of {@code gt} boxes relative to {@code refs} (both n × 4 flat). */
    float[] encode(float[] gt, float[] refs) {
        float[] out = new float[refs.length];
        for (int i = 0; i < refs.length / 4; i++) {
            float ew = refs[4 * i + 2] - refs[4 * i], eh = refs[4 * i + 3] - refs[4 * i + 1];
            float ex = refs[4 * i] + 0.5f * ew, ey = refs[4 * i + 1] + 0.5f * eh;
            float gw = gt[4 * i + 2] - gt[4 * i], gh = gt[4 * i + 3] - gt[4 * i + 1];
            float gx = gt[4 * i] + 0.5f * gw, gy = gt[4 * i + 1] + 0.5f * gh;
            out[4 * i] = wx * (gx - ex) / ew;
            out[4 * i + 1] = wy * (gy - ey) / eh;
            out[4 * i + 2] = ww * (float) Math.log(gw / ew);
            out[4 * i + 3] = wh * (float) Math.log(gh / eh);
        }
        return out;
    }
}
