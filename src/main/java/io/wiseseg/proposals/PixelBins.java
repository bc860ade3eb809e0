package io.wiseseg.proposals;

/**
 * The histogram bin of every pixel of one colour-space image, for selective search's region
 * features: colour (25 bins per channel) and texture (Gaussian derivatives, sigma 1, in 8
 * orientations, 10 bins per orientation and channel), as in Uijlings et al. 2013. Computed once
 * per colour space; region histograms for any segmentation are then sums over these bins.
 */
final class PixelBins {
    static final int COLOUR_BINS = 25;
    static final int ORIENTATIONS = 8;
    static final int TEXTURE_BINS = 10;

    final int channels;
    /** colour[px * channels + c]: bin of channel c. */
    final byte[] colour;
    /** texture[(px * channels + c) * ORIENTATIONS + o]: bin of orientation o of channel c. */
    final byte[] texture;

    private PixelBins(int channels, byte[] colour, byte[] texture) {
        this.channels = channels;
        this.colour = colour;
        this.texture = texture;
    }

    int colourLength() {
        return channels * COLOUR_BINS;
    }

    int textureLength() {
        return channels * ORIENTATIONS * TEXTURE_BINS;
    }

    /** @param pixels interleaved 8-bit channels, row-major h×w */
    static PixelBins of(byte[] pixels, int channels, int h, int w) {
        int n = h * w;
        byte[] colour = new byte[n * channels];
        for (int i = 0; i < colour.length; i++) {
            colour[i] = (byte) ((pixels[i] & 0xFF) * COLOUR_BINS / 256);
        }
        byte[] texture = new byte[n * channels * ORIENTATIONS];
        float[] plane = new float[n], tmp = new float[n], gx = new float[n], gy = new float[n];
        float[] response = new float[n];
        double[] cos = new double[ORIENTATIONS], sin = new double[ORIENTATIONS];
        for (int o = 0; o < ORIENTATIONS; o++) {
            cos[o] = Math.cos(o * Math.PI / 4);
            sin[o] = Math.sin(o * Math.PI / 4);
        }
        for (int c = 0; c < channels; c++) {
            for (int i = 0; i < n; i++) {
                plane[i] = pixels[i * channels + c] & 0xFF;
            }
            gaussian(plane, tmp, h, w);
            gradients(plane, gx, gy, h, w);
            for (int o = 0; o < ORIENTATIONS; o++) {
                // one signed direction per orientation: the 8 directions cover 4 axes both ways
                float max = 0;
                for (int i = 0; i < n; i++) {
                    float r = (float) Math.max(0, gx[i] * cos[o] + gy[i] * sin[o]);
                    response[i] = r;
                    max = Math.max(max, r);
                }
                float scale = max > 0 ? TEXTURE_BINS / max : 0;
                for (int i = 0; i < n; i++) {
                    int bin = Math.min(TEXTURE_BINS - 1, (int) (response[i] * scale));
                    texture[(i * channels + c) * ORIENTATIONS + o] = (byte) bin;
                }
            }
        }
        return new PixelBins(channels, colour, texture);
    }

    /** In-place separable Gaussian blur, sigma 1 (5 taps), borders replicated. */
    private static void gaussian(float[] plane, float[] tmp, int h, int w) {
        float[] k = {0.05448868f, 0.24420135f, 0.40261995f, 0.24420135f, 0.05448868f};
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                float s = 0;
                for (int d = -2; d <= 2; d++) {
                    int xx = Math.min(w - 1, Math.max(0, x + d));
                    s += k[d + 2] * plane[y * w + xx];
                }
                tmp[y * w + x] = s;
            }
        }
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                float s = 0;
                for (int d = -2; d <= 2; d++) {
                    int yy = Math.min(h - 1, Math.max(0, y + d));
                    s += k[d + 2] * tmp[yy * w + x];
                }
                plane[y * w + x] = s;
            }
        }
    }

    /** Central differences, borders replicated. */
    private static void gradients(float[] p, float[] gx, float[] gy, int h, int w) {
        for (int y = 0; y < h; y++) {
            int up = Math.max(0, y - 1) * w, down = Math.min(h - 1, y + 1) * w;
            for (int x = 0; x < w; x++) {
                int left = Math.max(0, x - 1), right = Math.min(w - 1, x + 1);
                gx[y * w + x] = (p[y * w + right] - p[y * w + left]) * 0.5f;
                gy[y * w + x] = (p[down + x] - p[up + x]) * 0.5f;
            }
        }
    }
}
