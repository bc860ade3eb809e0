package io.wiseseg.data;

/**
 * The EXIF orientation of a JPEG (TIFF tag 0x0112 in its APP1 "Exif" segment): cameras store the
 * sensor's pixels as they came and say in this tag how to turn them for display. javax.imageio
 * ignores it; viewers and browsers apply it. Values 1–8 as in the EXIF standard; a missing or
 * malformed tag is 1 (as stored): a bad tag is no reason to refuse an image.
 */
final class ExifOrientation {
    private ExifOrientation() {}

    /** The orientation tag of a JPEG file's bytes, 1 when there is none. */
    static int of(byte[] jpeg) {
        int p = 2; // after SOI
        while (p + 4 <= jpeg.length && (jpeg[p] & 0xFF) == 0xFF) {
            int marker = jpeg[p + 1] & 0xFF;
            if (marker == 0xDA || marker == 0xD9) { // start of scan or end of image: no header segments follow
                return 1;
            }
            int length = u16(jpeg, p + 2, false);
            if (length < 2 || p + 2 + length > jpeg.length) {
                return 1;
            }
            if (marker == 0xE1 && length >= 8 && jpeg[p + 4] == 'E' && jpeg[p + 5] == 'x' && jpeg[p + 6] == 'i'
                    && jpeg[p + 7] == 'f' && jpeg[p + 8] == 0 && jpeg[p + 9] == 0) {
                return fromTiff(jpeg, p + 10, p + 2 + length);
            }
            p += 2 + length;
        }
        return 1;
    }

    /** The tag in IFD0 of the TIFF structure at {@code [start, end)}. */
    private static int fromTiff(byte[] b, int start, int end) {
        if (start + 8 > end) {
            return 1;
        }
        boolean little;
        if (b[start] == 'I' && b[start + 1] == 'I') {
            little = true;
        } else if (b[start] == 'M' && b[start + 1] == 'M') {
            little = false;
        } else {
            return 1;
        }
        long ifd = u32(b, start + 4, little);
        if (ifd < 8 || start + ifd + 2 > end) {
            return 1;
        }
        int at = start + (int) ifd;
        int entries = u16(b, at, little);
        for (int i = 0; i < entries; i++) {
            int e = at + 2 + 12 * i;
            if (e + 12 > end) {
                return 1;
            }
            if (u16(b, e, little) == 0x0112) {
                int type = u16(b, e + 2, little);
                int value = type == 3 ? u16(b, e + 8, little) : type == 4 ? (int) u32(b, e + 8, little) : 1;
                return value >= 1 && value <= 8 ? value : 1;
            }
        }
        return 1;
    }

    /**
     * {@code image} turned as orientation {@code o} says: 2 mirrored, 3 rotated 180°, 4 flipped,
     * 5 transposed, 6 rotated 90° clockwise, 7 transversed, 8 rotated 90° anticlockwise.
     */
    static RgbImage apply(RgbImage image, int o) {
        if (o <= 1 || o > 8) {
            return image;
        }
        int w = image.width(), h = image.height();
        boolean swap = o >= 5;
        int ow = swap ? h : w, oh = swap ? w : h;
        byte[] in = image.rgb(), out = new byte[in.length];
        for (int oy = 0; oy < oh; oy++) {
            for (int ox = 0; ox < ow; ox++) {
                int ix, iy;
                switch (o) {
                    case 2 -> { ix = w - 1 - ox; iy = oy; }
                    case 3 -> { ix = w - 1 - ox; iy = h - 1 - oy; }
                    case 4 -> { ix = ox; iy = h - 1 - oy; }
                    case 5 -> { ix = oy; iy = ox; }
                    case 6 -> { ix = oy; iy = h - 1 - ox; }
                    case 7 -> { ix = w - 1 - oy; iy = h - 1 - ox; }
                    default -> { ix = w - 1 - oy; iy = ox; } // 8
                }
                System.arraycopy(in, (iy * w + ix) * 3, out, (oy * ow + ox) * 3, 3);
            }
        }
        return new RgbImage(ow, oh, out);
    }

    private static int u16(byte[] b, int i, boolean little) {
        return little ? (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8 : (b[i] & 0xFF) << 8 | (b[i + 1] & 0xFF);
    }

    private static long u32(byte[] b, int i, boolean little) {
        long lo = u16(b, little ? i : i + 2, little), hi = u16(b, little ? i + 2 : i, little);
        return hi << 16 | lo;
    }
}
