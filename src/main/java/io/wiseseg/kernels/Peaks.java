package io.wiseseg.kernels;

/**
 * The peaks of N×C class response maps, in PRM's order (n, then c, then y, then x), with the
 * per-map aggregation PRM's classifier is trained on.
 *
 * @param batch        image index of each peak
 * @param classes      map (class) index of each peak
 * @param ys           row of each peak
 * @param xs           column of each peak
 * @param values       map value at each peak
 * @param aggregation  N*C: mean of the map's peak values (0 for a map without peaks)
 * @param counts       N*C: number of peaks per map
 * @param thresholds   N*C: the threshold used per map (its median, or the one given)
 */
public record Peaks(int n, int c, int[] batch, int[] classes, int[] ys, int[] xs, float[] values,
        float[] aggregation, int[] counts, float[] thresholds) {
    public int size() {
        return values.length;
    }

    public float aggregation(int image, int cls) {
        return aggregation[image * c + cls];
    }

    public int count(int image, int cls) {
        return counts[image * c + cls];
    }

    public float threshold(int image, int cls) {
        return thresholds[image * c + cls];
    }
}
