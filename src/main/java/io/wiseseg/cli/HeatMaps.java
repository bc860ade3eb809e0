package io.wiseseg.cli;

import io.wiseseg.data.RgbImage;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

/** Peak response maps as images: a colour ramp over the dimmed photo, at the photo's size. */
final class HeatMaps {
    private HeatMaps() {}

    /** {@code map} (h×w, any scale ≥ 0) over {@code image}, stretched to the image's size. */
    static BufferedImage render(RgbImage image, float[] map, int h, int w, int peakY, int peakX) {
        float max = 0;
        for (float v : map) {
            max = Math.max(max, v);
        }
        BufferedImage heat = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                heat.setRGB(x, y, ramp(max > 0 ? map[y * w + x] / max : 0));
            }
        }
        BufferedImage scaled = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = scaled.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(heat, 0, 0, image.width(), image.height(), null);
        g.dispose();
        BufferedImage out = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < image.height(); y++) {
            for (int x = 0; x < image.width(); x++) {
                int hc = scaled.getRGB(x, y);
                int r = (image.get(y, x, 0) * 2 + (hc >> 16 & 0xFF) * 3) / 5;
                int gr = (image.get(y, x, 1) * 2 + (hc >> 8 & 0xFF) * 3) / 5;
                int b = (image.get(y, x, 2) * 2 + (hc & 0xFF) * 3) / 5;
                out.setRGB(x, y, r << 16 | gr << 8 | b);
            }
        }
        // A small white cross marks the peak.
        for (int d = -3; d <= 3; d++) {
            set(out, peakY + d, peakX);
            set(out, peakY, peakX + d);
        }
        return out;
    }

    private static void set(BufferedImage img, int y, int x) {
        if (y >= 0 && x >= 0 && y < img.getHeight() && x < img.getWidth()) {
            img.setRGB(x, y, 0xFFFFFF);
        }
    }

    /** Black → blue → red → yellow for t in [0, 1]. */
    private static int ramp(float t) {
        float r = Math.min(1, Math.max(0, 2 * t - 0.4f));
        float g = Math.min(1, Math.max(0, 2 * t - 1f));
        float b = t < 0.5f ? Math.min(1, 2 * t) : Math.max(0, 2 - 2 * t);
        return (int) (r * 255) << 16 | (int) (g * 255) << 8 | (int) (b * 255);
    }
}
