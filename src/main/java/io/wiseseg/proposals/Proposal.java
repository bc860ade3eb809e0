package io.wiseseg.proposals;

import io.wiseseg.data.Mask;

/**
 * One object proposal of an image: a binary mask and its objectness score (higher is more
 * object-like; the scale depends on the source, see {@link ProposalSource}).
 */
public record Proposal(Mask mask, float score) {
    public Proposal {
        if (mask == null) {
            throw new IllegalArgumentException("a proposal needs a mask");
        }
        if (Float.isNaN(score)) {
            throw new IllegalArgumentException("a proposal's score must be a number, got NaN");
        }
    }
}
