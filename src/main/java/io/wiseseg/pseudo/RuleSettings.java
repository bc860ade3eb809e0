package io.wiseseg.pseudo;

/**
 * The settings selection rules are built from (each rule reads the ones it uses).
 *
 * @param objectnessThreshold best objectness: keep proposals scoring above this
 *                            ({@code Double.NEGATIVE_INFINITY}: all, as the reference's bo_proposal)
 * @param singlePoint         best objectness: skip proposals that hold more than one seed
 * @param mapBlur             best IoU: Gaussian σ as a fraction of the image's longer side; 0: the
 *                            raw map thresholded at its mean
 * @param mapFraction         best IoU with a blur: keep what reaches this fraction of the map's maximum
 * @param proposalCount       best IoU: proposals considered, in their order (0: all)
 */
public record RuleSettings(double objectnessThreshold, boolean singlePoint, double mapBlur, double mapFraction,
        int proposalCount) {
    /** The demo's settings: no objectness threshold, σ = 0.02, half the maximum, 100 proposals. */
    public static RuleSettings defaults() {
        return new RuleSettings(Double.NEGATIVE_INFINITY, false, 0.02, 0.5, 100);
    }
}
