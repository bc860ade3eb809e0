package io.wiseseg.data;

/**
 * Counts of objects by COCO's size classes of their mask area: small under 32² px, medium under
 * 96², large the rest. Weak supervision finds small objects last, so recalls are reported by size.
 */
public record BySize(int small, int medium, int large) {
    /** COCO's area bounds (px) of small and of medium objects: below 32², below 96². */
    public static final long SMALL_AREA = 32 * 32, MEDIUM_AREA = 96 * 96;
    public static final BySize NONE = new BySize(0, 0, 0);

    /** These counts with one more object of mask area {@code area} px, by COCO's bounds. */
    public BySize plus(long area) {
        return plus(area, SMALL_AREA, MEDIUM_AREA);
    }

    /** As {@link #plus(long)} with other bounds (tests use smaller ones). */
    public BySize plus(long area, long smallArea, long mediumArea) {
        return area < smallArea ? new BySize(small + 1, medium, large)
                : area < mediumArea ? new BySize(small, medium + 1, large) : new BySize(small, medium, large + 1);
    }
}
