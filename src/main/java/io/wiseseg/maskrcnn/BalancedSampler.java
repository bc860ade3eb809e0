package io.wiseseg.maskrcnn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * torchvision's BalancedPositiveNegativeSampler: up to {@code batch × positiveFraction} random
 * positives (label ≥ 1), the rest of the batch random negatives (label 0); -1 is ignored.
 */
final class BalancedSampler {
    private final int batch;
    private final float positiveFraction;

    BalancedSampler(int batch, float positiveFraction) {
        this.batch = batch;
        this.positiveFraction = positiveFraction;
    }

    /** Sampled positives and negatives, each in ascending index order. */
    record Sample(int[] positives, int[] negatives) {}

    Sample sample(int[] labels, Random random) {
        List<Integer> pos = new ArrayList<>(), neg = new ArrayList<>();
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] >= 1) {
                pos.add(i);
            } else if (labels[i] == 0) {
                neg.add(i);
            }
        }
        int numPos = Math.min(pos.size(), (int) (batch * positiveFraction));
        int numNeg = Math.min(neg.size(), batch - numPos);
        return new Sample(pick(pos, numPos, random), pick(neg, numNeg, random));
    }

    private static int[] pick(List<Integer> from, int count, Random random) {
        Collections.shuffle(from, random);
        return from.subList(0, count).stream().mapToInt(Integer::intValue).sorted().toArray();
    }
}
