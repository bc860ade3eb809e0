package io.wiseseg.pseudo;

import io.wiseseg.kernels.ProposalScorer;

/**
 * Picks, for each seed of an image, the proposal that becomes its pseudo mask. Rules read the
 * proposal scorer's K×P matrices (one native call per image) rather than looping over masks.
 */
public interface SelectionRule {
    Selection select(ImageEvidence evidence, ProposalScorer scorer);

    /** The rule and its parameters, recorded next to its output. */
    String description();
}
