package io.wiseseg.testing;

/** Comparisons of float arrays shared by the numerical tests of several packages. */
public final class FloatArrays {
    private FloatArrays() {}

    /** max |a - b| / max |b|: the error of {@code a} relative to the scale of the reference {@code b}. */
    public static double relativeError(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("lengths differ: " + a.length + " vs " + b.length);
        }
        double maxDiff = 0, maxRef = 0;
        for (int i = 0; i < a.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
            maxRef = Math.max(maxRef, Math.abs(b[i]));
        }
        return maxDiff / maxRef;
    }
}
