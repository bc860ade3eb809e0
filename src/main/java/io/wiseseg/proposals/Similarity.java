package io.wiseseg.proposals;

/**
 * The region similarities of selective search (Uijlings et al. 2013, §3.2); a grouping strategy
 * is a set of them, summed with equal weights. All lie in [0, 1].
 */
public enum Similarity {
    /** Intersection of the L1-normalised colour histograms. */
    COLOUR,
    /** Intersection of the L1-normalised texture (oriented gradient) histograms. */
    TEXTURE,
    /** 1 - (combined size / image size): merges small regions first, everywhere at once. */
    SIZE,
    /** 1 - (box of both - both sizes) / image size: prefers regions that fill each other's gaps. */
    FILL
}
