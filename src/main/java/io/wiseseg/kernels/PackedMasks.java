package io.wiseseg.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * P binary masks of one H×W image, bit-packed for the proposal scorer: row-major, each row
 * padded to whole 64-bit words (bit x of row y is bit x%64 of word y*wordsPerRow + x/64), held in
 * one int64 LibTorch tensor P×H×wordsPerRow so it can move to a GPU in one copy.
 */
public final class PackedMasks {
    private final int count, height, width, wordsPerRow;
    private final Tensor words;
    private final MemorySegment memory;

    public PackedMasks(int count, int height, int width) {
        if (count < 0 || height < 0 || width < 0) {
            throw new IllegalArgumentException("masks: count and size must be >= 0, got "
                    + count + " x " + height + "x" + width);
        }
        this.count = count;
        this.height = height;
        this.width = width;
        this.wordsPerRow = (width + 63) >>> 6;
        this.words = torch.zeros(new long[] {count, height, wordsPerRow}, new TensorOptions(ScalarType.Long));
        this.memory = words.nbytes() == 0 ? MemorySegment.NULL
                : MemorySegment.ofAddress(words.data_ptr().address()).reinterpret(words.nbytes());
    }

    public int count() {
        return count;
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

    /** Sets mask {@code index} from its packed words (the same layout, height*wordsPerRow longs). */
    public void setWords(int index, long[] packed) {
        int n = height * wordsPerRow;
        if (packed.length != n) {
            throw new IllegalArgumentException("mask " + index + ": expected " + n + " words for "
                    + height + "x" + width + ", got " + packed.length);
        }
        checkIndex(index);
        if (wordsPerRow > 0 && (width & 63) != 0) {
            long pad = -1L << (width & 63);
            for (int y = 0; y < height; y++) {
                if ((packed[y * wordsPerRow + wordsPerRow - 1] & pad) != 0) {
                    throw new IllegalArgumentException("mask " + index + ": bits set past column " + width);
                }
            }
        }
        MemorySegment.copy(packed, 0, memory, ValueLayout.JAVA_LONG, (long) index * n * 8, n);
    }

    /** Sets mask {@code index} from a row-major H×W byte array (non-zero = inside). */
    public void setBytes(int index, byte[] pixels) {
        if (pixels.length != height * width) {
            throw new IllegalArgumentException("mask " + index + ": expected " + height * width
                    + " pixels, got " + pixels.length);
        }
        checkIndex(index);
        long[] packed = new long[height * wordsPerRow];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                if (pixels[y * width + x] != 0) {
                    packed[y * wordsPerRow + (x >>> 6)] |= 1L << (x & 63);
                }
            }
        }
        MemorySegment.copy(packed, 0, memory, ValueLayout.JAVA_LONG, (long) index * packed.length * 8,
                packed.length);
    }

    public boolean get(int index, int y, int x) {
        long word = memory.getAtIndex(ValueLayout.JAVA_LONG,
                ((long) index * height + y) * wordsPerRow + (x >>> 6));
        return (word >>> (x & 63) & 1L) != 0;
    }

    private void checkIndex(int index) {
        if (index < 0 || index >= count) {
            throw new IllegalArgumentException("mask index " + index + " outside [0, " + count + ")");
        }
    }

    /** The words as a tensor (CPU; the scorer moves it to a GPU when it runs there). */
    Tensor tensor() {
        return words;
    }
}
