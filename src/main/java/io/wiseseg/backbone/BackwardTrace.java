package io.wiseseg.backbone;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Tensor;

/**
 * What a forward pass keeps so that the input gradient can later be computed for many upstream
 * gradients at once: ReLU masks, max-pool indices and the input sizes of convolutions. Layers
 * record during the forward pass and take back in reverse order during {@code inputGrad};
 * {@link #rewind} replays the same trace for another chunk of upstream gradients.
 *
 * <p>Why: with frozen weights the backward pass of a ReLU network is linear in the upstream
 * gradient, so a batch of K upstream gradients can share one forward pass (PRM's peak response
 * maps: every peak of an image in one backward pass). Only this package's layers record and take
 * back entries; users create a trace, pass it to {@link ResNet#forward(Tensor, BackwardTrace)} and
 * {@link ResNet#inputGrad}, and rewind it between chunks.
 */
public final class BackwardTrace {
    private final List<Object> saved = new ArrayList<>();
    private int cursor;

    void push(Tensor t) {
        saved.add(t);
        cursor = saved.size();
    }

    void push(long[] sizes) {
        saved.add(sizes);
        cursor = saved.size();
    }

    Tensor popTensor() {
        return (Tensor) pop();
    }

    long[] popSizes() {
        return (long[]) pop();
    }

    /** True when every recorded entry has been taken back since the last rewind. */
    public boolean isEmpty() {
        return cursor == 0;
    }

    /** Starts taking entries back from the last one again. */
    public void rewind() {
        cursor = saved.size();
    }

    /** The largest number of elements of a recorded tensor (a single image's activation). */
    public long largestTensor() {
        long most = 0;
        for (Object o : saved) {
            if (o instanceof Tensor t) {
                most = Math.max(most, t.numel());
            }
        }
        return most;
    }

    private Object pop() {
        if (cursor == 0) {
            throw new IllegalStateException("backward trace exhausted: inputGrad does not mirror forward");
        }
        return saved.get(--cursor);
    }
}
