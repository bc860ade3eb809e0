package io.wiseseg.data;

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
 * PNG must end with its IEND chunk. Palette PNGs are read through javax.imageio because OpenCV
 * turns their indices into colours.
 */
public final class ImageFiles {
    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    private static final byte[] PNG_IEND = {0, 0, 0, 0, 'I', 'E', 'N', 'D', (byte) 0xAE, 0x42, 0x60, (byte) 0x82};

    private ImageFiles() {}

    /** An RGB image from a JPEG or PNG file. */
    public static RgbImage readRgb(Path file) {
        return RgbImage.fromBufferedImage(decode(file.toString(), readChecked(file)));
    }

    /**
     * An RGB image from the bytes of a JPEG or PNG file (an upload, a blob), with the same checks
     * as {@link #readRgb}; errors name it "encoded image (N bytes)".
     */
    public static RgbImage decodeRgb(byte[] encoded) {
        String name = "encoded image (" + encoded.length + " bytes)";
        return RgbImage.fromBufferedImage(decode(name, checked(name, encoded)));
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
        BufferedImage img = decode(file.toString(), readChecked(file));
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

    private static BufferedImage decode(String name, byte[] bytes) {
        BufferedImage img;
        try {
            img = ImageIO.read(new ByteArrayInputStream(bytes));
        } catch (IOException | RuntimeException e) {
            throw new DatasetException(name, "corrupt " + (isPng(bytes) ? "PNG" : "JPEG") + " ("
                    + e.getMessage() + ")", e);
        }
        if (img == null) {
            throw new DatasetException(name, "not a readable image");
        }
        return img;
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
