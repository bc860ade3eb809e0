package io.wiseseg.proposals;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Selective search's greedy grouping: repeatedly merge the most similar pair of adjacent regions
 * until one region is left (per connected component). Every region ever formed is a proposal;
 * the result records the merge tree so masks can be built only for the proposals kept.
 *
 * <p>Ties between equally similar pairs go to the pair with the lower region ids, so the
 * hierarchy is deterministic.
 */
final class HierarchicalGrouping {
    /**
     * The merge tree: regions 0..leaves-1 are the superpixels, region leaves+i was merged from
     * {@code left[i]} and {@code right[i]}; higher ids were formed later.
     */
    record Hierarchy(int leaves, int[] left, int[] right) {
        int regions() {
            return leaves + left.length;
        }

        /** The superpixels making up region r. */
        int[] leavesOf(int r) {
            List<Integer> out = new ArrayList<>();
            int[] stack = new int[regions()];
            int top = 0;
            stack[top++] = r;
            while (top > 0) {
                int x = stack[--top];
                if (x < leaves) {
                    out.add(x);
                } else {
                    stack[top++] = left[x - leaves];
                    stack[top++] = right[x - leaves];
                }
            }
            return out.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    private record Pair(double similarity, int a, int b) {}

    private HierarchicalGrouping() {
    }

    static Hierarchy group(Superpixels sp, Set<Similarity> strategy) {
        int n = sp.count, total = 2 * n - 1;
        boolean useColour = strategy.contains(Similarity.COLOUR), useTexture = strategy.contains(Similarity.TEXTURE);
        boolean useSize = strategy.contains(Similarity.SIZE), useFill = strategy.contains(Similarity.FILL);
        double imageSize = (double) sp.height * sp.width;
        int[] size = new int[total], x1 = new int[total], y1 = new int[total], x2 = new int[total], y2 = new int[total];
        float[][] colour = new float[total][], texture = new float[total][];
        List<Set<Integer>> neighbours = new ArrayList<>(total);
        boolean[] alive = new boolean[total];
        for (int r = 0; r < n; r++) {
            size[r] = sp.size[r];
            x1[r] = sp.minX[r];
            y1[r] = sp.minY[r];
            x2[r] = sp.maxX[r];
            y2[r] = sp.maxY[r];
            colour[r] = useColour ? sp.colour[r] : null;
            texture[r] = useTexture ? sp.texture[r] : null;
            Set<Integer> nb = new HashSet<>();
            for (int q : sp.neighbours[r]) {
                nb.add(q);
            }
            neighbours.add(nb);
            alive[r] = true;
        }
        PriorityQueue<Pair> queue = new PriorityQueue<>((p, q) -> {
            int c = Double.compare(q.similarity, p.similarity);
            if (c != 0) {
                return c;
            }
            return p.a != q.a ? Integer.compare(p.a, q.a) : Integer.compare(p.b, q.b);
        });
        for (int r = 0; r < n; r++) {
            for (int q : sp.neighbours[r]) {
                if (q > r) {
                    queue.add(new Pair(similarity(r, q, size, x1, y1, x2, y2, colour, texture, useSize, useFill,
                            imageSize), r, q));
                }
            }
        }
        int[] left = new int[n - 1], right = new int[n - 1];
        int next = n;
        while (!queue.isEmpty()) {
            Pair p = queue.poll();
            if (!alive[p.a] || !alive[p.b]) {
                continue;
            }
            int a = p.a, b = p.b, m = next++;
            alive[a] = false;
            alive[b] = false;
            alive[m] = true;
            left[m - n] = a;
            right[m - n] = b;
            size[m] = size[a] + size[b];
            x1[m] = Math.min(x1[a], x1[b]);
            y1[m] = Math.min(y1[a], y1[b]);
            x2[m] = Math.max(x2[a], x2[b]);
            y2[m] = Math.max(y2[a], y2[b]);
            colour[m] = useColour ? mix(colour[a], size[a], colour[b], size[b]) : null;
            texture[m] = useTexture ? mix(texture[a], size[a], texture[b], size[b]) : null;
            Set<Integer> nb = new HashSet<>(neighbours.get(a));
            nb.addAll(neighbours.get(b));
            nb.remove(a);
            nb.remove(b);
            neighbours.add(nb);
            for (int q : nb) {
                Set<Integer> other = neighbours.get(q);
                other.remove(a);
                other.remove(b);
                other.add(m);
                queue.add(new Pair(similarity(q, m, size, x1, y1, x2, y2, colour, texture, useSize, useFill,
                        imageSize), q, m));
            }
            // free what no later merge reads
            colour[a] = colour[b] = texture[a] = texture[b] = null;
            neighbours.set(a, Set.of());
            neighbours.set(b, Set.of());
        }
        int merges = next - n;
        return new Hierarchy(n, java.util.Arrays.copyOf(left, merges), java.util.Arrays.copyOf(right, merges));
    }

    private static double similarity(int a, int b, int[] size, int[] x1, int[] y1, int[] x2, int[] y2,
            float[][] colour, float[][] texture, boolean useSize, boolean useFill, double imageSize) {
        double s = 0;
        if (colour[a] != null) {
            s += intersection(colour[a], colour[b]);
        }
        if (texture[a] != null) {
            s += intersection(texture[a], texture[b]);
        }
        if (useSize) {
            s += 1 - (size[a] + size[b]) / imageSize;
        }
        if (useFill) {
            double box = (double) (Math.max(x2[a], x2[b]) - Math.min(x1[a], x1[b]) + 1)
                    * (Math.max(y2[a], y2[b]) - Math.min(y1[a], y1[b]) + 1);
            s += 1 - (box - size[a] - size[b]) / imageSize;
        }
        return s;
    }

    private static double intersection(float[] p, float[] q) {
        double s = 0;
        for (int i = 0; i < p.length; i++) {
            s += Math.min(p[i], q[i]);
        }
        return s;
    }

    /** Size-weighted mean of two normalised histograms (the merged region's histogram). */
    private static float[] mix(float[] p, int sp, float[] q, int sq) {
        float[] out = new float[p.length];
        float wp = (float) sp / (sp + sq), wq = 1 - wp;
        for (int i = 0; i < out.length; i++) {
            out[i] = p[i] * wp + q[i] * wq;
        }
        return out;
    }
}
