package io.wiseseg.kernels;

/**
 * The K×P agreement matrices between K maps (peak response or class maps) and P proposals that
 * the selection rules need; row k belongs to map k. Arrays are flat, index {@code k * P + p}.
 */
public record ProposalScores(int k, int p, float[] sumInside, long[] intersection, long[] union,
        float[] sumBoundary, byte[] contains, long[] area) {
    public float sumInside(int map, int proposal) {
        return sumInside[map * p + proposal];
    }

    /** |P ∩ T(R)|: proposal pixels where the map is at or above its threshold. */
    public long intersection(int map, int proposal) {
        return intersection[map * p + proposal];
    }

    public long union(int map, int proposal) {
        return union[map * p + proposal];
    }

    /** IoU of the proposal with the thresholded map; 0 when both are empty. */
    public double iou(int map, int proposal) {
        long u = union(map, proposal);
        return u == 0 ? 0.0 : (double) intersection(map, proposal) / u;
    }

    /** Sum of the map over the proposal's boundary band (NaN when not computed). */
    public float sumBoundary(int map, int proposal) {
        return sumBoundary == null ? Float.NaN : sumBoundary[map * p + proposal];
    }

    /** Whether the proposal contains map k's peak point. */
    public boolean contains(int map, int proposal) {
        return contains[map * p + proposal] != 0;
    }

    public long area(int proposal) {
        return area[proposal];
    }
}
