package io.wiseseg.testing;

import io.wiseseg.data.RgbImage;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.ImageIO;

/**
 * Encoded images of the kinds a server meets: every colour layout JPEG and PNG allow, a JPEG with
 * an EXIF orientation tag, and a PNG whose header claims more pixels than any memory holds. All
 * made here with javax.imageio and a few hand-written bytes, so no fixture file is needed.
 */
public final class TestImages {
    private TestImages() {}

    /** A JPEG of {@code image} (quality: javax.imageio's default). */
    public static byte[] jpeg(RgbImage image) {
        return write(image.toBufferedImage(), "jpeg");
    }

    /** A PNG of {@code image}. */
    public static byte[] png(RgbImage image) {
        return write(image.toBufferedImage(), "png");
    }

    /** A w×h image, pixel (y, x) = (x·255/w, y·255/h, 128): every corner a different colour. */
    public static RgbImage gradient(int w, int h) {
        byte[] rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                rgb[(y * w + x) * 3] = (byte) (x * 255 / Math.max(1, w - 1));
                rgb[(y * w + x) * 3 + 1] = (byte) (y * 255 / Math.max(1, h - 1));
                rgb[(y * w + x) * 3 + 2] = (byte) 128;
            }
        }
        return new RgbImage(w, h, rgb);
    }

    /** An 8-bit grey PNG. */
    public static byte[] greyPng(int w, int h) {
        return write(new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY), "png");
    }

    /** An 8-bit grey JPEG. */
    public static byte[] greyJpeg(int w, int h) {
        return write(new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY), "jpeg");
    }

    /** An RGBA PNG, half transparent. */
    public static byte[] rgbaPng(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, 0x80FF0000 | x);
            }
        }
        return write(img, "png");
    }

    /** A 16-bit-per-channel RGB PNG. */
    public static byte[] rgb16Png(int w, int h) {
        ColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), new int[] {16, 16, 16},
                false, false, Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
        WritableRaster r = cm.createCompatibleWritableRaster(w, h);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                r.setSample(x, y, 0, x * 65535 / Math.max(1, w - 1));
                r.setSample(x, y, 2, 40000);
            }
        }
        return write(new BufferedImage(cm, r, false, null), "png");
    }

    /** A 16-bit grey PNG. */
    public static byte[] grey16Png(int w, int h) {
        return write(new BufferedImage(w, h, BufferedImage.TYPE_USHORT_GRAY), "png");
    }

    /**
     * A 32×24 CMYK JPEG (four channels, Adobe marker), red on the left to blue on the right, as
     * print workflows write them: ImageMagick's, committed (tests/fixtures/make_cmyk_jpeg.sh),
     * since javax.imageio writes four channels as YCCK that no other reader takes for CMYK.
     */
    public static byte[] cmykJpeg() {
        try {
            return java.nio.file.Files.readAllBytes(java.nio.file.Path.of(System.getProperty("wiseseg.test.resources",
                    "tests/resources"), "images", "cmyk-red-to-blue.jpg"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code jpeg} with an APP1 EXIF segment after its SOI marker whose orientation tag is {@code o}. */
    public static byte[] withExifOrientation(byte[] jpeg, int o) {
        ByteBuffer tiff = ByteBuffer.allocate(8 + 2 + 12 + 4); // big-endian ("MM")
        tiff.put((byte) 'M').put((byte) 'M').putShort((short) 42).putInt(8);
        tiff.putShort((short) 1); // one IFD entry
        tiff.putShort((short) 0x0112).putShort((short) 3).putInt(1).putShort((short) o).putShort((short) 0);
        tiff.putInt(0); // no next IFD
        byte[] exif = ("Exif\0\0").getBytes(StandardCharsets.ISO_8859_1);
        int length = 2 + exif.length + tiff.capacity();
        ByteBuffer out = ByteBuffer.allocate(jpeg.length + 2 + length);
        out.put(jpeg, 0, 2).put((byte) 0xFF).put((byte) 0xE1).putShort((short) length).put(exif).put(tiff.array());
        out.put(jpeg, 2, jpeg.length - 2);
        return out.array();
    }

    /**
     * A well-formed PNG (valid chunks and CRCs, an IDAT and IEND) whose header claims
     * {@code w × h} RGB pixels while its data holds one row: 60 bytes that a decoder without a
     * size limit would try to turn into w·h·3 bytes.
     */
    public static byte[] pngHeaderClaiming(int w, int h) {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        png.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        chunk(png, "IHDR", ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 2)
                .put((byte) 0).put((byte) 0).put((byte) 0).array());
        Deflater deflater = new Deflater();
        deflater.setInput(new byte[1 + 3 * Math.min(w, 64)]);
        deflater.finish();
        byte[] buf = new byte[1024];
        int n = deflater.deflate(buf);
        deflater.end();
        chunk(png, "IDAT", java.util.Arrays.copyOf(buf, n));
        chunk(png, "IEND", new byte[0]);
        return png.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream png, String type, byte[] data) {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        png.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        png.writeBytes(t);
        png.writeBytes(data);
        png.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    private static byte[] write(BufferedImage img, String format) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(img, format, out)) {
                throw new IllegalStateException("no " + format + " writer for image type " + img.getType());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
