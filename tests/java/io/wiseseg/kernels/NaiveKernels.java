package io.wiseseg.kernels;

import java.util.Arrays;

/**
 * Slow, obvious reference implementations of the kernels, written from the definitions
 * (torchvision's RoIAlign rules, PRM's peak rule, the scoring sums) in float64.
 */
final class NaiveKernels {
    private NaiveKernels() {}

    // ---- RoIAlign ------------------------------------------------------------------------------

    /** Bilinear sample of map (h×w at offset) with torchvision's boundary rules. */
    static double bilinear(float[] map, int offset, int h, int w, double y, double x) {
        if (y < -1.0 || y > h || x < -1.0 || x > w) {
            return 0;
        }
        double[] wts = new double[4];
        int[] idx = new int[4];
        bilinearWeights(h, w, y, x, wts, idx);
        double v = 0;
        for (int i = 0; i < 4; i++) {
            v += wts[i] * map[offset + idx[i]];
        }
        return v;
    }

    /** The four (index, weight) pairs of one in-range sample. */
    static void bilinearWeights(int h, int w, double y, double x, double[] wts, int[] idx) {
        if (y <= 0) {
            y = 0;
        }
        if (x <= 0) {
            x = 0;
        }
        int yl = (int) y, xl = (int) x, yh, xh;
        if (yl >= h - 1) {
            yh = yl = h - 1;
            y = yl;
        } else {
            yh = yl + 1;
        }
        if (xl >= w - 1) {
            xh = xl = w - 1;
            x = xl;
        } else {
            xh = xl + 1;
        }
        double ly = y - yl, lx = x - xl, hy = 1 - ly, hx = 1 - lx;
        idx[0] = yl * w + xl;
        idx[1] = yl * w + xh;
        idx[2] = yh * w + xl;
        idx[3] = yh * w + xh;
        wts[0] = hy * hx;
        wts[1] = hy * lx;
        wts[2] = ly * hx;
        wts[3] = ly * lx;
    }

    /** Visits every sample of every bin: (roi, ph, pw, y, x, 1/count). */
    interface SampleVisitor {
        void visit(int roi, int batch, int ph, int pw, double y, double x, double invCount);
    }

    static void forEachSample(float[] rois, int r, int pooledH, int pooledW, double scale, int sampling,
            boolean aligned, SampleVisitor v) {
        for (int i = 0; i < r; i++) {
            int b = (int) rois[5 * i];
            double off = aligned ? 0.5 : 0.0;
            double sw = rois[5 * i + 1] * scale - off, sh = rois[5 * i + 2] * scale - off;
            double ew = rois[5 * i + 3] * scale - off, eh = rois[5 * i + 4] * scale - off;
            double rw = ew - sw, rh = eh - sh;
            if (!aligned) {
                rw = Math.max(rw, 1.0);
                rh = Math.max(rh, 1.0);
            }
            double bh = rh / pooledH, bw = rw / pooledW;
            int gh = sampling > 0 ? sampling : (int) Math.ceil(rh / pooledH);
            int gw = sampling > 0 ? sampling : (int) Math.ceil(rw / pooledW);
            double inv = 1.0 / Math.max(gh * gw, 1);
            for (int ph = 0; ph < pooledH; ph++) {
                for (int pw = 0; pw < pooledW; pw++) {
                    for (int iy = 0; iy < gh; iy++) {
                        double y = sh + ph * bh + (iy + 0.5) * bh / gh;
                        for (int ix = 0; ix < gw; ix++) {
                            double x = sw + pw * bw + (ix + 0.5) * bw / gw;
                            v.visit(i, b, ph, pw, y, x, inv);
                        }
                    }
                }
            }
        }
    }

    static double[] roiAlignForward(float[] input, int n, int c, int h, int w, float[] rois, int r,
            int pooledH, int pooledW, double scale, int sampling, boolean aligned) {
        double[] out = new double[r * c * pooledH * pooledW];
        forEachSample(rois, r, pooledH, pooledW, scale, sampling, aligned, (roi, b, ph, pw, y, x, inv) -> {
            for (int ch = 0; ch < c; ch++) {
                out[((roi * c + ch) * pooledH + ph) * pooledW + pw] +=
                        bilinear(input, (b * c + ch) * h * w, h, w, y, x) * inv;
            }
        });
        return out;
    }

    static double[] roiAlignBackward(float[] gradOut, int n, int c, int h, int w, float[] rois, int r,
            int pooledH, int pooledW, double scale, int sampling, boolean aligned) {
        double[] grad = new double[n * c * h * w];
        double[] wts = new double[4];
        int[] idx = new int[4];
        forEachSample(rois, r, pooledH, pooledW, scale, sampling, aligned, (roi, b, ph, pw, y, x, inv) -> {
            if (y < -1.0 || y > h || x < -1.0 || x > w) {
                return;
            }
            bilinearWeights(h, w, y, x, wts, idx);
            for (int ch = 0; ch < c; ch++) {
                double g = gradOut[((roi * c + ch) * pooledH + ph) * pooledW + pw] * inv;
                for (int q = 0; q < 4; q++) {
                    grad[(b * c + ch) * h * w + idx[q]] += wts[q] * g;
                }
            }
        });
        return grad;
    }

    // ---- peaks ---------------------------------------------------------------------------------

    /** PRM's rule per pixel: first maximum (row-major) of the -inf padded window, and >= thr. */
    static boolean isPeak(float[] maps, int offset, int h, int w, int y, int x, int win, float thr) {
        int r = win / 2;
        float best = Float.NEGATIVE_INFINITY;
        int bestY = y - r, bestX = x - r; // the running max starts at the window's first position
        for (int yy = y - r; yy <= y + r; yy++) {
            for (int xx = x - r; xx <= x + r; xx++) {
                float v = yy < 0 || yy >= h || xx < 0 || xx >= w ? Float.NEGATIVE_INFINITY
                        : maps[offset + yy * w + xx];
                if (v > best) {
                    best = v;
                    bestY = yy;
                    bestX = xx;
                }
            }
        }
        return bestY == y && bestX == x && maps[offset + y * w + x] >= thr;
    }

    /** torch.median: the lower middle value. */
    static float median(float[] maps, int offset, int len) {
        float[] copy = Arrays.copyOfRange(maps, offset, offset + len);
        Arrays.sort(copy);
        return copy[(len - 1) / 2];
    }

    // ---- proposal scoring ----------------------------------------------------------------------

    static boolean inBoundary(byte[] mask, int h, int w, int y, int x, int radius) {
        boolean in = false, out = false;
        for (int yy = Math.max(0, y - radius); yy <= Math.min(h - 1, y + radius); yy++) {
            for (int xx = Math.max(0, x - radius); xx <= Math.min(w - 1, x + radius); xx++) {
                if (mask[yy * w + xx] != 0) {
                    in = true;
                } else {
                    out = true;
                }
            }
        }
        return in && out;
    }
}
