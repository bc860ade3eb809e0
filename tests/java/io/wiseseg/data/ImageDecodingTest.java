package io.wiseseg.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.testing.TestImages;
import org.junit.jupiter.api.Test;

/** ImageFiles.decodeRgb: the pixel limit, EXIF orientation, and every colour layout decoding to RGB. */
class ImageDecodingTest {
    @Test
    void aHeaderClaimingTooManyPixelsIsRefusedBeforeDecoding() {
        byte[] huge = TestImages.pngHeaderClaiming(100_000, 100_000);
        DatasetException e = assertThrows(DatasetException.class, () -> ImageFiles.decodeRgb(huge));
        assertEquals("encoded image (" + huge.length + " bytes): PNG of 100000x100000 pixels is over the limit of "
                + ImageFiles.DEFAULT_MAX_PIXELS + " pixels", e.getMessage());
        byte[] small = TestImages.png(TestImages.gradient(20, 10));
        e = assertThrows(DatasetException.class, () -> ImageFiles.decodeRgb(small, 199, false));
        assertEquals("encoded image (" + small.length + " bytes): PNG of 20x10 pixels is over the limit of 199 pixels",
                e.getMessage());
        assertEquals(20, ImageFiles.decodeRgb(small, 200, false).width());
    }

    /** Each of the 8 orientations against the pixel it must put at each corner. */
    @Test
    void exifOrientationTurnsTheImageAsViewersShowIt() {
        RgbImage stored = TestImages.gradient(6, 4);
        // corners of the stored image: TL, TR, BL, BR as (x, y)
        int[][] corner = {{0, 0}, {5, 0}, {0, 3}, {5, 3}};
        // for each orientation, the stored corner (index into corner) shown at TL, TR, BL, BR
        int[][] shown = {
                {0, 1, 2, 3}, // 1 as stored
                {1, 0, 3, 2}, // 2 mirrored
                {3, 2, 1, 0}, // 3 rotated 180
                {2, 3, 0, 1}, // 4 flipped
                {0, 2, 1, 3}, // 5 transposed
                {2, 0, 3, 1}, // 6 rotated 90 clockwise
                {3, 1, 2, 0}, // 7 transversed
                {1, 3, 0, 2}, // 8 rotated 90 anticlockwise
        };
        for (int o = 1; o <= 8; o++) {
            RgbImage out = ExifOrientation.apply(stored, o);
            assertEquals(o >= 5 ? 4 : 6, out.width(), "orientation " + o);
            int[][] outCorner = {{0, 0}, {out.width() - 1, 0}, {0, out.height() - 1}, {out.width() - 1, out.height() - 1}};
            for (int c = 0; c < 4; c++) {
                int[] from = corner[shown[o - 1][c]];
                for (int ch = 0; ch < 3; ch++) {
                    assertEquals(stored.get(from[1], from[0], ch), out.get(outCorner[c][1], outCorner[c][0], ch),
                            "orientation " + o + ", corner " + c + ", channel " + ch);
                }
            }
        }
        // through the bytes: a PNG keeps its pixels (EXIF orientation is a JPEG tag here); a
        // tagged JPEG is turned only when asked
        byte[] jpeg = TestImages.jpeg(TestImages.gradient(40, 20));
        byte[] tagged = TestImages.withExifOrientation(jpeg, 6);
        assertEquals(6, ExifOrientation.of(tagged));
        assertEquals(1, ExifOrientation.of(jpeg));
        RgbImage plain = ImageFiles.decodeRgb(tagged);
        assertEquals(40, plain.width());
        assertArrayEquals(plain.rgb(), ImageFiles.decodeRgb(jpeg).rgb(), "the tag changes no pixel");
        RgbImage turned = ImageFiles.decodeRgb(tagged, ImageFiles.DEFAULT_MAX_PIXELS, true);
        assertEquals(20, turned.width());
        assertEquals(40, turned.height());
        assertArrayEquals(ExifOrientation.apply(plain, 6).rgb(), turned.rgb());
    }

    @Test
    void aMalformedExifSegmentMeansAsStored() {
        byte[] tagged = TestImages.withExifOrientation(TestImages.jpeg(TestImages.gradient(8, 8)), 6);
        tagged[2 + 2 + 2 + 6] = 'X'; // the TIFF byte order mark: neither II nor MM
        assertEquals(1, ExifOrientation.of(tagged));
        byte[] bad = TestImages.withExifOrientation(TestImages.jpeg(TestImages.gradient(8, 8)), 9);
        assertEquals(1, ExifOrientation.of(bad));
    }

    @Test
    void everyColourLayoutDecodesToRgb() {
        assertSize(16, 12, TestImages.greyPng(16, 12));
        assertSize(16, 12, TestImages.greyJpeg(16, 12));
        assertSize(16, 12, TestImages.rgbaPng(16, 12));
        assertSize(16, 12, TestImages.grey16Png(16, 12));
        RgbImage rgb16 = assertSize(16, 12, TestImages.rgb16Png(16, 12));
        assertEquals(255, rgb16.get(0, 15, 0), "16-bit red at its maximum");
        RgbImage cmyk = assertSize(32, 24, TestImages.cmykJpeg());
        // red on the left, blue on the right, as ImageMagick converts it back (255,0,2 and 0,1,255)
        assertTrue(cmyk.get(12, 0, 0) > 200 && cmyk.get(12, 0, 2) < 50, "left pixel " + cmyk.get(12, 0, 0) + ","
                + cmyk.get(12, 0, 1) + "," + cmyk.get(12, 0, 2));
        assertTrue(cmyk.get(12, 31, 0) < 50 && cmyk.get(12, 31, 2) > 200, "right pixel " + cmyk.get(12, 31, 0) + ","
                + cmyk.get(12, 31, 1) + "," + cmyk.get(12, 31, 2));
    }

    private static RgbImage assertSize(int w, int h, byte[] encoded) {
        RgbImage img = ImageFiles.decodeRgb(encoded);
        assertEquals(w, img.width());
        assertEquals(h, img.height());
        return img;
    }
}
