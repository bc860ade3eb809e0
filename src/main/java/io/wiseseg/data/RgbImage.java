package io.wiseseg.data;

import java.awt.image.BufferedImage;

/**
 * An 8-bit RGB image, row-major with interleaved channels: pixel (y, x) channel c is at
 * {@code rgb[(y * width + x) * 3 + c]}.
 */
public record RgbImage(int width, int height, byte[] rgb) {
    /** ImageNet channel means and standard deviations, the normalisation the models expect. */
    public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

    public RgbImage {
        if (width < 0 || height < 0 || rgb.length != (long) width * height * 3) {
            throw new IllegalArgumentException("expected " + ((long) width * height * 3)
                    + " bytes for a " + width + "x" + height + " RGB image, got " + rgb.length);
        }
    }

    /** Channel {@code c} of pixel (y, x) in 0..255. */
    public int get(int y, int x, int c) {
        return rgb[(y * width + x) * 3 + c] & 0xFF;
    }

    /** CHW floats in [0,1]. */
    public float[] toChw() {
        return toChw(new float[] {0, 0, 0}, new float[] {1, 1, 1});
    }

    /** CHW floats {@code (v/255 - mean[c]) / std[c]}, the layout of a 3×H×W tensor. */
    public float[] toChw(float[] mean, float[] std) {
        if (mean.length != 3 || std.length != 3) {
            throw new IllegalArgumentException("mean and std need 3 channels each");
        }
        int plane = width * height;
        float[] out = new float[3 * plane];
        for (int c = 0; c < 3; c++) {
            float scale = 1f / (255f * std[c]);
            float shift = mean[c] / std[c];
            for (int i = 0; i < plane; i++) {
                out[c * plane + i] = (rgb[i * 3 + c] & 0xFF) * scale - shift;
            }
        }
        return out;
    }

    /** CHW floats normalised with the ImageNet mean and std. */
    public float[] toChwImageNet() {
        return toChw(IMAGENET_MEAN, IMAGENET_STD);
    }

    public static RgbImage fromBufferedImage(BufferedImage img) {
        int w = img.getWidth(), h = img.getHeight();
        byte[] out = new byte[w * h * 3];
        if (img.getType() == BufferedImage.TYPE_3BYTE_BGR) {
            // Fast path for what ImageIO decodes JPEGs and RGB PNGs into.
            byte[] bgr = ((java.awt.image.DataBufferByte) img.getRaster().getDataBuffer()).getData();
            for (int i = 0; i < w * h; i++) {
                out[i * 3] = bgr[i * 3 + 2];
                out[i * 3 + 1] = bgr[i * 3 + 1];
                out[i * 3 + 2] = bgr[i * 3];
            }
        } else if (img.getType() == BufferedImage.TYPE_BYTE_GRAY) {
            // getRGB would pass grey through a linear→sRGB conversion and brighten it.
            int[] g = img.getRaster().getSamples(0, 0, w, h, 0, new int[w * h]);
            for (int i = 0; i < w * h; i++) {
                out[i * 3] = out[i * 3 + 1] = out[i * 3 + 2] = (byte) g[i];
            }
        } else {
            int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
            for (int i = 0; i < w * h; i++) {
                out[i * 3] = (byte) (argb[i] >> 16);
                out[i * 3 + 1] = (byte) (argb[i] >> 8);
                out[i * 3 + 2] = (byte) argb[i];
            }
        }
        return new RgbImage(w, h, out);
    }

    public BufferedImage toBufferedImage() {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        byte[] bgr = ((java.awt.image.DataBufferByte) img.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < width * height; i++) {
            bgr[i * 3] = rgb[i * 3 + 2];
            bgr[i * 3 + 1] = rgb[i * 3 + 1];
            bgr[i * 3 + 2] = rgb[i * 3];
        }
        return img;
    }
}
