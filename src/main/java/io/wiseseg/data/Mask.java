package io.wiseseg.data;

import java.util.Arrays;

/**
 * A binary H×W mask, bit-packed row-major with each row padded to whole 64-bit words: bit x of
 * row y is bit {@code x % 64} of {@code words[y * wordsPerRow + x / 64]}. This is exactly the
 * layout the native proposal scorer reads, so masks cross into the kernels without repacking.
 * Padding bits are always 0. Masks are mutable only through {@link #set}; share them read-only.
 */
public final class Mask {
    private final int height;
    private final int width;
    private final int wordsPerRow;
    private final long[] words;

    public Mask(int height, int width) {
        if (height < 0 || width < 0) {
            throw new IllegalArgumentException("mask size must be >= 0, got " + height + "x" + width);
        }
        this.height = height;
        this.width = width;
        this.wordsPerRow = wordsPerRow(width);
        this.words = new long[Math.multiplyExact(height, wordsPerRow)];
    }

    /** Wraps packed words (not copied); they must follow the layout above. */
    public Mask(int height, int width, long[] words) {
        this.height = height;
        this.width = width;
        this.wordsPerRow = wordsPerRow(width);
        if (words.length != (long) height * wordsPerRow) {
            throw new IllegalArgumentException("expected " + ((long) height * wordsPerRow)
                    + " words for a " + height + "x" + width + " mask, got " + words.length);
        }
        this.words = words;
    }

    public static int wordsPerRow(int width) {
        return (width + 63) >>> 6;
    }

    /** From a row-major H×W byte array: non-zero is foreground. */
    public static Mask fromBytes(int height, int width, byte[] pixels) {
        if (pixels.length != (long) height * width) {
            throw new IllegalArgumentException("expected " + ((long) height * width)
                    + " pixels for " + height + "x" + width + ", got " + pixels.length);
        }
        Mask m = new Mask(height, width);
        for (int y = 0; y < height; y++) {
            int row = y * m.wordsPerRow;
            for (int x = 0; x < width; x++) {
                if (pixels[y * width + x] != 0) {
                    m.words[row + (x >>> 6)] |= 1L << (x & 63);
                }
            }
        }
        return m;
    }

    /** Row-major H×W bytes, 1 for foreground. */
    public byte[] toBytes() {
        byte[] out = new byte[height * width];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                if (get(y, x)) {
                    out[y * width + x] = 1;
                }
            }
        }
        return out;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    public int wordsPerRow() {
        return wordsPerRow;
    }

    /** The packed words themselves (not a copy). */
    public long[] words() {
        return words;
    }

    public boolean get(int y, int x) {
        return (words[y * wordsPerRow + (x >>> 6)] >>> (x & 63) & 1L) != 0;
    }

    public void set(int y, int x, boolean on) {
        int i = y * wordsPerRow + (x >>> 6);
        long bit = 1L << (x & 63);
        words[i] = on ? words[i] | bit : words[i] & ~bit;
    }

    public long area() {
        long a = 0;
        for (long word : words) {
            a += Long.bitCount(word);
        }
        return a;
    }

    public boolean isEmpty() {
        for (long word : words) {
            if (word != 0) {
                return false;
            }
        }
        return true;
    }

    /** Tight box {@code [x1, y1, x2, y2)} of the foreground in pixels; null when empty. */
    public Box bbox() {
        int minX = Integer.MAX_VALUE, minY = Integer.MAX_VALUE, maxX = -1, maxY = -1;
        for (int y = 0; y < height; y++) {
            for (int wi = 0; wi < wordsPerRow; wi++) {
                long word = words[y * wordsPerRow + wi];
                if (word == 0) {
                    continue;
                }
                minY = Math.min(minY, y);
                maxY = y;
                minX = Math.min(minX, wi * 64 + Long.numberOfTrailingZeros(word));
                maxX = Math.max(maxX, wi * 64 + 63 - Long.numberOfLeadingZeros(word));
            }
        }
        return maxY < 0 ? null : new Box(minX, minY, maxX + 1, maxY + 1);
    }

    public long intersection(Mask other) {
        requireSameSize(other);
        long n = 0;
        for (int i = 0; i < words.length; i++) {
            n += Long.bitCount(words[i] & other.words[i]);
        }
        return n;
    }

    public long union(Mask other) {
        requireSameSize(other);
        long n = 0;
        for (int i = 0; i < words.length; i++) {
            n += Long.bitCount(words[i] | other.words[i]);
        }
        return n;
    }

    /** Intersection over union; 0 when both masks are empty. */
    public double iou(Mask other) {
        long u = union(other);
        return u == 0 ? 0.0 : (double) intersection(other) / u;
    }

    public Mask and(Mask other) {
        requireSameSize(other);
        long[] w = new long[words.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = words[i] & other.words[i];
        }
        return new Mask(height, width, w);
    }

    public Mask andNot(Mask other) {
        requireSameSize(other);
        long[] w = new long[words.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = words[i] & ~other.words[i];
        }
        return new Mask(height, width, w);
    }

    public Mask or(Mask other) {
        requireSameSize(other);
        long[] w = new long[words.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = words[i] | other.words[i];
        }
        return new Mask(height, width, w);
    }

    public Mask copy() {
        return new Mask(height, width, words.clone());
    }

    private void requireSameSize(Mask other) {
        if (other.height != height || other.width != width) {
            throw new IllegalArgumentException("mask sizes differ: " + height + "x" + width
                    + " vs " + other.height + "x" + other.width);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Mask m && m.height == height && m.width == width
                && Arrays.equals(m.words, words);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * height + width) + Arrays.hashCode(words);
    }

    @Override
    public String toString() {
        return "Mask[" + height + "x" + width + ", area=" + area() + "]";
    }
}
