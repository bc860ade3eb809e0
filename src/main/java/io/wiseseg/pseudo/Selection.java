package io.wiseseg.pseudo;

import java.util.Arrays;

/**
 * A rule's choice per seed: the index of the chosen proposal (or {@link #NONE}) and the rule's
 * score for it (the instance's confidence).
 */
public record Selection(int[] proposal, double[] score) {
    public static final int NONE = -1;

    public Selection {
        if (proposal.length != score.length) {
            throw new IllegalArgumentException("one proposal and one score per seed: "
                    + proposal.length + " vs " + score.length);
        }
    }

    static Selection empty(int seeds) {
        int[] p = new int[seeds];
        Arrays.fill(p, NONE);
        return new Selection(p, new double[seeds]);
    }

    public int size() {
        return proposal.length;
    }
}
