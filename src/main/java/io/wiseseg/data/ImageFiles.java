package io.wiseseg.data;

import io.wiseseg.util.Trace;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Reads JPEG and PNG files with the checks that decoders skip: a truncated JPEG decodes to a
 * full-size image with a grey tail and only a warning, so we require its end-of-image marker; a
 * PNG must end with its IEND chunk; a header may claim any size (a few bytes can say 10^5 × 10^5
 * pixels, tens of GB once decoded), so the pixel count is checked before any pixel is decoded.
 * Palette PNGs are read through javax.imageio because OpenCV turns their indices into colours.
 */
public final class ImageFiles {
    /**
     * The most pixels an image may have unless a caller sets its own limit: 2^27 (134 MP, e.g.
     * 16384 × 8192), whose decoded RGB bytes (400 MB) still fit a default heap.
     */
    public static final long DEFAULT_MAX_PIXELS = 1L << 27;

    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    private static final byte[] PNG_IEND = {0, 0, 0, 0, 'I', 'E', 'N', 'D', (byte) 0xAE, 0x42, 0x60, (byte) 0x82};

    private ImageFiles() {}

    /** An RGB image from a JPEG or PNG file of at most {@link #DEFAULT_MAX_PIXELS} pixels. */
    public static RgbImage readRgb(Path file) {
        try (Trace.Span s = Trace.span("decode", "io")) {
            return RgbImage.fromBufferedImage(decode(file.toString(), readChecked(file), DEFAULT_MAX_PIXELS));
        }
    }

    /**
     * An RGB image from the bytes of a JPEG or PNG file (an upload, a blob), with the same checks
     * as {@link #readRgb}; errors name it "encoded image (N bytes)".
     */
    public static RgbImage decodeRgb(byte[] encoded) {
        return decodeRgb(encoded, DEFAULT_MAX_PIXELS, false);
    }

    /**
     * An RGB image from the bytes of a JPEG or PNG file, as {@link #decodeRgb(byte[])}, with a
     * limit of its own on the pixel count and, if asked, the JPEG's EXIF orientation applied.
     *
     * @param encoded   the whole file's bytes
     * @param maxPixels the most pixels (width × height) to decode: a larger header is refused
     *                  before any pixel is decoded
     * @param oriented  when true, a JPEG whose EXIF orientation tag says it is stored rotated or
     *                  mirrored (as phone cameras write them) comes out the way image viewers and
     *                  browsers show it; when false, as stored (what datasets are annotated on)
     * @return the image: grey, 16-bit, RGBA (alpha dropped) and CMYK inputs become 8-bit RGB
     * @throws DatasetException naming "encoded image (N bytes)" and the problem, in one line
     */
    public static RgbImage decodeRgb(byte[] encoded, long maxPixels, boolean oriented) {
        try (Trace.Span s = Trace.span("decode", "io")) {
            String name = "encoded image (" + encoded.length + " bytes)";
            RgbImage image = RgbImage.fromBufferedImage(decode(name, checked(name, encoded), maxPixels));
            return oriented && isJpeg(encoded) ? ExifOrientation.apply(image, ExifOrientation.of(encoded)) : image;
        }
    }

    /** Width and height from the file header, without decoding the pixels. */
    public static int[] readSize(Path file) {
        byte[] bytes = readChecked(file);
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new DatasetException(file, "not a readable image");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in);
                return new int[] {reader.getWidth(0), reader.getHeight(0)};
            } finally {
                reader.dispose();
            }
        } catch (IOException e) {
            throw new DatasetException(file, "corrupt image header (" + e.getMessage() + ")", e);
        }
    }

    /**
     * The per-pixel indices of a palette (or 8-bit grey) PNG, row-major, as VOC stores class
     * and object ids: 0 background, 1..254 ids, 255 void.
     */
    public static IndexMap readIndexed(Path file) {
        BufferedImage img = decode(file.toString(), readChecked(file), DEFAULT_MAX_PIXELS);
        Raster raster = img.getRaster();
        boolean indexed = img.getColorModel() instanceof IndexColorModel;
        boolean grey = img.getType() == BufferedImage.TYPE_BYTE_GRAY;
        if (raster.getNumBands() != 1 || !(indexed || grey)) {
            throw new DatasetException(file, "expected a palette (indexed) PNG of class/object ids, got "
                    + raster.getNumBands() + " colour channels");
        }
        int w = img.getWidth(), h = img.getHeight();
        int[] samples = raster.getSamples(0, 0, w, h, 0, new int[w * h]);
        byte[] ids = new byte[w * h];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (byte) samples[i];
        }
        return new IndexMap(w, h, ids);
    }

    private static byte[] readChecked(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new DatasetException(file, "file not found");
        } catch (IOException e) {
            throw new DatasetException(file, "cannot read (" + e.getMessage() + ")", e);
        }
        return checked(file.toString(), bytes);
    }

    /** {@code bytes} when they are a whole JPEG or PNG file; else an exception naming {@code name}. */
    private static byte[] checked(String name, byte[] bytes) {
        if (bytes.length == 0) {
            throw new DatasetException(name, "empty file");
        }
        if (isJpeg(bytes) && !endsWithJpegEoi(bytes)) {
            throw new DatasetException(name, "truncated JPEG (no end-of-image marker FF D9)");
        }
        if (isPng(bytes) && !endsWith(bytes, PNG_IEND)) {
            throw new DatasetException(name, "truncated PNG (no IEND chunk at the end)");
        }
        if (!isJpeg(bytes) && !isPng(bytes)) {
            throw new DatasetException(name, "not a JPEG or PNG file");
        }
        return bytes;
    }

    private static BufferedImage decode(String name, byte[] bytes, long maxPixels) {
        String format = isPng(bytes) ? "PNG" : "JPEG";
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new DatasetException(name, "not a readable image");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long width = reader.getWidth(0), height = reader.getHeight(0);
                if (width < 1 || height < 1 || width * height > maxPixels) {
                    throw new DatasetException(name, format + " of " + width + "x" + height + " pixels is over the limit of "
                            + maxPixels + " pixels");
                }
                BufferedImage img = reader.read(0);
                if (img == null) {
                    throw new DatasetException(name, "not a readable image");
                }
                return img;
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof DatasetException d) {
                throw d;
            }
            throw new DatasetException(name, "corrupt " + format + " (" + oneLine(e.getMessage()) + ")", e);
        }
    }

    private static String oneLine(String message) {
        return message == null ? "no detail" : message.lines().findFirst().orElse("").strip();
    }

    static boolean isJpeg(byte[] b) {
        return b.length >= 3 && (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xD8 && (b[2] & 0xFF) == 0xFF;
    }

    static boolean isPng(byte[] b) {
        return b.length >= PNG_MAGIC.length && java.util.Arrays.equals(b, 0, PNG_MAGIC.length, PNG_MAGIC, 0, PNG_MAGIC.length);
    }

    /** Some writers pad a JPEG with zero bytes after its end marker: look past them. */
    private static boolean endsWithJpegEoi(byte[] b) {
        int end = b.length;
        while (end > 2 && b[end - 1] == 0) {
            end--;
        }
        return (b[end - 2] & 0xFF) == 0xFF && (b[end - 1] & 0xFF) == 0xD9;
    }

    private static boolean endsWith(byte[] b, byte[] tail) {
        return b.length >= tail.length
                && java.util.Arrays.equals(b, b.length - tail.length, b.length, tail, 0, tail.length);
    }

    /** A row-major H×W map of 8-bit ids (class or object indices). */
    public record IndexMap(int width, int height, byte[] ids) {
        public int get(int y, int x) {
            return ids[y * width + x] & 0xFF;
        }
    }
}
