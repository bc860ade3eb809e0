package io.wiseseg.proposals;

import io.wiseseg.data.Mask;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The initial regions of selective search (one graph segmentation) with what the grouping
 * needs: size, bounding box, L1-normalised colour and texture histograms, 4-connected
 * neighbours, and each region's mask rows (packed like {@link Mask}, only the rows of its box,
 * so a merged region's mask is an OR of a few short arrays).
 */
final class Superpixels {
    final int count, height, width;
    final int[] size, minX, minY, maxX, maxY;
    final float[][] colour, texture;
    final int[][] neighbours;
    private final long[][] rows;

    private Superpixels(int count, int height, int width) {
        this.count = count;
        this.height = height;
        this.width = width;
        size = new int[count];
        minX = new int[count];
        minY = new int[count];
        maxX = new int[count];
        maxY = new int[count];
        colour = new float[count][];
        texture = new float[count][];
        neighbours = new int[count][];
        rows = new long[count][];
    }

    /** @param labels region id per pixel, row-major, ids 0..count-1 all present */
    static Superpixels of(int[] labels, int count, int h, int w, PixelBins bins) {
        Superpixels s = new Superpixels(count, h, w);
        java.util.Arrays.fill(s.minX, Integer.MAX_VALUE);
        java.util.Arrays.fill(s.minY, Integer.MAX_VALUE);
        java.util.Arrays.fill(s.maxX, -1);
        java.util.Arrays.fill(s.maxY, -1);
        int cl = bins.colourLength(), tl = bins.textureLength(), ch = bins.channels;
        for (int r = 0; r < count; r++) {
            s.colour[r] = new float[cl];
            s.texture[r] = new float[tl];
        }
        Set<Long> edges = new HashSet<>();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = y * w + x, r = labels[i];
                s.size[r]++;
                s.minX[r] = Math.min(s.minX[r], x);
                s.maxX[r] = Math.max(s.maxX[r], x);
                s.minY[r] = Math.min(s.minY[r], y);
                s.maxY[r] = y;
                float[] col = s.colour[r], tex = s.texture[r];
                for (int c = 0; c < ch; c++) {
                    col[c * PixelBins.COLOUR_BINS + bins.colour[i * ch + c]]++;
                    int base = (i * ch + c) * PixelBins.ORIENTATIONS;
                    for (int o = 0; o < PixelBins.ORIENTATIONS; o++) {
                        tex[(c * PixelBins.ORIENTATIONS + o) * PixelBins.TEXTURE_BINS + bins.texture[base + o]]++;
                    }
                }
                if (x + 1 < w && labels[i + 1] != r) {
                    edges.add(edge(r, labels[i + 1]));
                }
                if (y + 1 < h && labels[i + w] != r) {
                    edges.add(edge(r, labels[i + w]));
                }
            }
        }
        for (int r = 0; r < count; r++) {
            if (s.size[r] == 0) {
                throw new IllegalStateException("graph segmentation label " + r + " of " + count + " is empty");
            }
            normalise(s.colour[r]);
            normalise(s.texture[r]);
        }
        List<List<Integer>> nb = new ArrayList<>(count);
        for (int r = 0; r < count; r++) {
            nb.add(new ArrayList<>());
        }
        for (long e : edges) {
            int a = (int) (e >>> 32), b = (int) e;
            nb.get(a).add(b);
            nb.get(b).add(a);
        }
        for (int r = 0; r < count; r++) {
            s.neighbours[r] = nb.get(r).stream().mapToInt(Integer::intValue).sorted().toArray();
        }
        int wpr = Mask.wordsPerRow(w);
        for (int r = 0; r < count; r++) {
            s.rows[r] = new long[(s.maxY[r] - s.minY[r] + 1) * wpr];
        }
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int r = labels[y * w + x];
                s.rows[r][(y - s.minY[r]) * wpr + (x >>> 6)] |= 1L << (x & 63);
            }
        }
        return s;
    }

    private static long edge(int a, int b) {
        int lo = Math.min(a, b), hi = Math.max(a, b);
        return ((long) lo << 32) | hi;
    }

    private static void normalise(float[] hist) {
        float sum = 0;
        for (float v : hist) {
            sum += v;
        }
        if (sum > 0) {
            for (int i = 0; i < hist.length; i++) {
                hist[i] /= sum;
            }
        }
    }

    /** ORs region {@code r}'s pixels into full-image mask words. */
    void orInto(int r, long[] words) {
        int wpr = Mask.wordsPerRow(width);
        long[] src = rows[r];
        int offset = minY[r] * wpr;
        for (int i = 0; i < src.length; i++) {
            words[offset + i] |= src[i];
        }
    }
}
