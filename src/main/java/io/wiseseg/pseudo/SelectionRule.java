package io.wiseseg.pseudo;

import io.wiseseg.kernels.ProposalScorer;

/**
 * Picks, for each seed of an image, the proposal that becomes its pseudo mask. Rules read the
 * proposal scorer's K×P matrices (one native call per image) rather than looping over masks.
 * A rule says what evidence it reads and whether PRM's instance NMS follows it by default, so
 * the pipeline computes no more than it needs; {@link SelectionRules} finds rules by name.
 */
public interface SelectionRule {
    /** What a rule reads beyond the seeds and the proposals. */
    enum Evidence {
        /** Nothing more: the seeds' positions and the proposals' scores. */
        PEAKS,
        /** One peak response map per seed (a backward pass per image). */
        PEAK_RESPONSE_MAPS,
        /** The peak response maps and the class response maps. */
        CLASS_MAPS
    }

    Selection select(ImageEvidence evidence, ProposalScorer scorer);

    /** The rule and its parameters, recorded next to its output. */
    String description();

    /** The evidence this rule reads. */
    Evidence evidence();

    /** Whether PRM's instance NMS (IoU ≥ 0.3) runs after this rule unless the caller says otherwise. */
    default boolean instanceNmsByDefault() {
        return false;
    }
}
