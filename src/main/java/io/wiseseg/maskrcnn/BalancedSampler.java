package io.wiseseg.maskrcnn;

import io.wiseseg.util.Tensors;
import java.util.Random;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * torchvision's BalancedPositiveNegativeSampler: up to {@code batch × positiveFraction} random
 * positives (label ≥ 1), the rest of the batch random negatives (label 0); -1 is ignored.
 *
 * <p>On tensors without a host copy or sync: each item draws a uniform key (from a generator
 * seeded by the caller's {@link Random}, so a seed gives the same sample on every device), and
 * the chosen positives are those of the smallest keys among the positives, the negatives likewise:
 * a uniformly random subset, as torchvision's randperm gives, but another one than the Java
 * shuffle this class used before (the same seed now samples other items).
 */
final class BalancedSampler {
    private final int batch;
    private final float positiveFraction;

    BalancedSampler(int batch, float positiveFraction) {
        this.batch = batch;
        this.positiveFraction = positiveFraction;
    }

    /** The sampled positives and negatives, as bool masks over the items. */
    record Sample(Tensor positive, Tensor negative) {}

    /** labels: p int64 or float (≥ 1 positive, 0 negative, -1 ignored). */
    Sample sample(Tensor labels, Random random) {
        long p = labels.size(0);
        Tensor keys = Tensors.uniformOn(labels, p, random.nextLong());
        Tensor positive = labels.ge(new Scalar(1)), negative = labels.eq(new Scalar(0));
        Tensor pos = smallestKeys(keys, positive, Math.min((int) (batch * positiveFraction), p), null);
        // the negatives fill the batch: their count depends on the positives found, kept on the device
        Tensor room = pos.sum().neg().add(new Scalar(batch));
        Tensor neg = smallestKeys(keys, negative, Math.min(batch, p), room);
        return new Sample(pos, neg);
    }

    /**
     * The members of {@code mask} among the {@code k} smallest keys of members (members' keys are
     * below 1, others' raised to 2); with {@code limit}, only the first {@code limit} in key order.
     */
    private static Tensor smallestKeys(Tensor keys, Tensor mask, long k, Tensor limit) {
        Tensor chosen = torch.zeros(new long[] {keys.size(0)}, Tensors.options(keys, ScalarType.Bool));
        if (k == 0) {
            return chosen;
        }
        Tensor order = Tensors.owned(keys.where(mask, new Scalar(2.0)).topk(k, 0, false, true))[1];
        Tensor take = limit == null ? mask.index_select(0, order)
                : mask.index_select(0, order).bitwise_and(
                        torch.arange(new Scalar(k), Tensors.options(keys, ScalarType.Long)).lt(limit));
        return chosen.scatter_(0, order, take);
    }
}
