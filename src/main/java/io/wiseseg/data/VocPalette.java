package io.wiseseg.data;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import javax.imageio.ImageIO;

/**
 * The PASCAL VOC colour map (index i's colour from the bits of i) and a writer for palette PNGs
 * in that map, the format of SegmentationClass and SegmentationObject.
 */
public final class VocPalette {
    /** Index 255 marks void ("don't care") pixels: object borders and ambiguous regions. */
    public static final int VOID = 255;

    private static final byte[][] RGB = build();

    private VocPalette() {}

    /** The RGB colour of palette index {@code index} as {@code 0xRRGGBB}. */
    public static int colour(int index) {
        return (RGB[0][index] & 0xFF) << 16 | (RGB[1][index] & 0xFF) << 8 | (RGB[2][index] & 0xFF);
    }

    /** A palette PNG of the row-major ids, byte for byte the same for the same input. */
    public static byte[] encodePng(int width, int height, byte[] ids) {
        if (ids.length != (long) width * height) {
            throw new IllegalArgumentException("expected " + ((long) width * height) + " ids, got " + ids.length);
        }
        IndexColorModel cm = new IndexColorModel(8, 256, RGB[0], RGB[1], RGB[2]);
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_INDEXED, cm);
        img.getRaster().setDataElements(0, 0, width, height, ids);
        return encode(img, "png");
    }

    static byte[] encode(BufferedImage img, String format) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(img, format, out)) {
                throw new IllegalStateException("no ImageIO writer for " + format);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static byte[][] build() {
        byte[][] rgb = new byte[3][256];
        for (int i = 0; i < 256; i++) {
            int c = i, r = 0, g = 0, b = 0;
            for (int j = 0; j < 8; j++) {
                r |= (c & 1) << (7 - j);
                g |= (c >> 1 & 1) << (7 - j);
                b |= (c >> 2 & 1) << (7 - j);
                c >>= 3;
            }
            rgb[0][i] = (byte) r;
            rgb[1][i] = (byte) g;
            rgb[2][i] = (byte) b;
        }
        return rgb;
    }
}
