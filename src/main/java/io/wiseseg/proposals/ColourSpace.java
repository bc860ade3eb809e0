package io.wiseseg.proposals;

import io.wiseseg.data.RgbImage;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * The colour spaces selective search diversifies over (Uijlings et al. 2013, §3.2; the same set
 * as OpenCV's ximgproc implementation). Each turns an RGB image into 1 or 3 channels of 0..255,
 * interleaved, which both the graph segmentation and the region features then see.
 */
public enum ColourSpace {
    /** Hue (full 0..255 range), saturation, value. */
    HSV(3),
    /** CIE L*a*b*, 8-bit OpenCV scaling. */
    LAB(3),
    /** Normalised r and g plus intensity: invariant to shading in r, g. */
    RGI(3),
    /** The hue channel alone. */
    HUE(1),
    /** Grey-level intensity alone. */
    INTENSITY(1);

    private final int channels;

    ColourSpace(int channels) {
        this.channels = channels;
    }

    public int channels() {
        return channels;
    }

    /** The image in this space as an 8-bit OpenCV matrix (CV_8UC1 or CV_8UC3). */
    Mat convert(RgbImage image) {
        int h = image.height(), w = image.width();
        Mat rgb = new Mat(h, w, opencv_core.CV_8UC3);
        rgb.data().put(image.rgb());
        Mat out = new Mat();
        switch (this) {
            case HSV -> opencv_imgproc.cvtColor(rgb, out, opencv_imgproc.COLOR_RGB2HSV_FULL);
            case LAB -> opencv_imgproc.cvtColor(rgb, out, opencv_imgproc.COLOR_RGB2Lab);
            case INTENSITY -> opencv_imgproc.cvtColor(rgb, out, opencv_imgproc.COLOR_RGB2GRAY);
            case HUE -> {
                Mat hsv = new Mat();
                opencv_imgproc.cvtColor(rgb, hsv, opencv_imgproc.COLOR_RGB2HSV_FULL);
                opencv_core.extractChannel(hsv, out, 0);
                hsv.close();
            }
            case RGI -> {
                byte[] src = image.rgb();
                byte[] dst = new byte[src.length];
                for (int i = 0; i < src.length; i += 3) {
                    int r = src[i] & 0xFF, g = src[i + 1] & 0xFF, b = src[i + 2] & 0xFF;
                    int sum = r + g + b;
                    dst[i] = (byte) (sum == 0 ? 0 : r * 255 / sum);
                    dst[i + 1] = (byte) (sum == 0 ? 0 : g * 255 / sum);
                    dst[i + 2] = (byte) ((r * 299 + g * 587 + b * 114 + 500) / 1000);
                }
                out = new Mat(h, w, opencv_core.CV_8UC3);
                out.data().put(dst);
            }
        }
        rgb.close();
        return out;
    }

    /** The converted pixels, interleaved, row-major. */
    byte[] pixels(Mat converted) {
        byte[] px = new byte[(int) (converted.total() * converted.channels())];
        converted.data().get(px);
        return px;
    }
}
