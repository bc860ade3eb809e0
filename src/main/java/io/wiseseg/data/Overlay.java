package io.wiseseg.data;

import io.wiseseg.util.AtomicFiles;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Draws instances over an image for people to look at: each mask filled in its class colour with
 * some transparency, outlined, and labelled with the class name (and score, for predictions).
 * The image is enlarged by a whole factor first so small images stay legible. Uses java.awt
 * off-screen only, so it works headless.
 */
public final class Overlay {
    /** {@code scale}: whole enlargement factor; {@code alpha}: fill opacity; {@code scores}: print scores. */
    public record Style(int scale, float alpha, boolean scores) {
        public Style {
            if (scale < 1 || scale > 16) {
                throw new IllegalArgumentException("overlay scale must be in 1..16, got " + scale);
            }
            if (alpha < 0 || alpha > 1) {
                throw new IllegalArgumentException("overlay alpha must be in [0, 1], got " + alpha);
            }
        }

        /** A scale that makes the longer side at least about 384 pixels. */
        public static Style forSize(int width, int height, boolean scores) {
            return new Style(Math.clamp((384 + Math.max(width, height) - 1) / Math.max(1, Math.max(width, height)), 1, 8),
                    0.45f, scores);
        }
    }

    private Overlay() {}

    /** Renders the instances (in list order, later ones on top) and the void region, if any, over the image. */
    public static BufferedImage render(RgbImage image, List<Instance> instances, Mask voidMask, ClassSet classes,
            Style style) {
        int s = style.scale();
        int w = image.width(), h = image.height();
        int[] px = new int[w * h];
        for (int i = 0; i < px.length; i++) {
            px[i] = (image.rgb()[i * 3] & 0xFF) << 16 | (image.rgb()[i * 3 + 1] & 0xFF) << 8 | (image.rgb()[i * 3 + 2] & 0xFF);
        }
        if (voidMask != null) {
            fill(px, w, h, voidMask, 0xFFFFFF, 0.35f);
        }
        for (Instance inst : instances) {
            requireSize(inst.mask(), w, h);
            fill(px, w, h, inst.mask(), classColour(inst.classId()), style.alpha());
        }
        BufferedImage out = new BufferedImage(w * s, h * s, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h * s; y++) {
            for (int x = 0; x < w * s; x++) {
                out.setRGB(x, y, px[(y / s) * w + x / s]);
            }
        }
        for (Instance inst : instances) {
            outline(out, inst.mask(), s, classColour(inst.classId()));
        }
        Graphics2D g = out.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 11));
            for (Instance inst : instances) {
                String text = classes.name(inst.classId())
                        + (style.scores() ? String.format(Locale.ROOT, " %.2f", inst.score()) : "");
                label(g, text, inst.box(), s, classColour(inst.classId()), out.getWidth(), out.getHeight());
            }
        } finally {
            g.dispose();
        }
        return out;
    }

    /** Writes a PNG through a temporary file and a rename. */
    public static void writePng(BufferedImage image, Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            AtomicFiles.write(file, VocPalette.encode(image, "png"));
        } catch (IOException e) {
            throw new DatasetException(file, "cannot write (" + e.getMessage() + ")", e);
        }
    }

    /** The class's VOC palette colour, brightened so fills show on dark images. */
    public static int classColour(int classId) {
        int c = VocPalette.colour(classId + 1);
        int r = Math.min(255, (c >> 16 & 0xFF) * 2), gr = Math.min(255, (c >> 8 & 0xFF) * 2), b = Math.min(255, (c & 0xFF) * 2);
        return r << 16 | gr << 8 | b;
    }

    private static void fill(int[] px, int w, int h, Mask m, int colour, float alpha) {
        requireSize(m, w, h);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if (m.get(y, x)) {
                    px[y * w + x] = blend(px[y * w + x], colour, alpha);
                }
            }
        }
    }

    /**
     * Draws the mask's border on the enlarged image: for each mask pixel, a strip about a third
     * of a cell thick on each side that faces a pixel outside the mask (or the image edge).
     */
    private static void outline(BufferedImage out, Mask m, int s, int colour) {
        int w = m.width(), h = m.height();
        int t = Math.max(1, s / 3);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if (!m.get(y, x)) {
                    continue;
                }
                if (x == 0 || !m.get(y, x - 1)) {
                    paint(out, x * s, y * s, t, s, colour);
                }
                if (x == w - 1 || !m.get(y, x + 1)) {
                    paint(out, x * s + s - t, y * s, t, s, colour);
                }
                if (y == 0 || !m.get(y - 1, x)) {
                    paint(out, x * s, y * s, s, t, colour);
                }
                if (y == h - 1 || !m.get(y + 1, x)) {
                    paint(out, x * s, y * s + s - t, s, t, colour);
                }
            }
        }
    }

    private static void paint(BufferedImage out, int x0, int y0, int w, int h, int colour) {
        for (int y = y0; y < y0 + h; y++) {
            for (int x = x0; x < x0 + w; x++) {
                out.setRGB(x, y, colour);
            }
        }
    }

    private static void label(Graphics2D g, String text, Box box, int s, int colour, int width, int height) {
        if (box == null) {
            return;
        }
        FontMetrics fm = g.getFontMetrics();
        int tw = fm.stringWidth(text) + 4, th = fm.getHeight();
        int x = Math.clamp((int) (box.x1() * s), 0, Math.max(0, width - tw));
        int y = (int) (box.y1() * s) - th;
        if (y < 0) {
            y = Math.min(height - th, (int) (box.y1() * s)); // no room above: put it inside the box
        }
        g.setColor(new Color(colour));
        g.fillRect(x, y, tw, th);
        int luminance = (299 * (colour >> 16 & 0xFF) + 587 * (colour >> 8 & 0xFF) + 114 * (colour & 0xFF)) / 1000;
        g.setColor(luminance > 140 ? Color.BLACK : Color.WHITE);
        g.drawString(text, x + 2, y + fm.getAscent());
    }

    private static int blend(int base, int colour, float alpha) {
        int r = Math.round((base >> 16 & 0xFF) * (1 - alpha) + (colour >> 16 & 0xFF) * alpha);
        int g = Math.round((base >> 8 & 0xFF) * (1 - alpha) + (colour >> 8 & 0xFF) * alpha);
        int b = Math.round((base & 0xFF) * (1 - alpha) + (colour & 0xFF) * alpha);
        return r << 16 | g << 8 | b;
    }

    private static void requireSize(Mask m, int w, int h) {
        if (m.width() != w || m.height() != h) {
            throw new IllegalArgumentException("mask is " + m.width() + "x" + m.height() + " but the image is "
                    + w + "x" + h);
        }
    }
}
