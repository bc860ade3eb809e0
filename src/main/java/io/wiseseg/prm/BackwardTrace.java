package io.wiseseg.prm;

import java.util.ArrayDeque;
import org.bytedeco.pytorch.Tensor;

/**
 * What a forward pass keeps so that the input gradient can later be computed for many upstream
 * gradients at once: ReLU masks, max-pool indices and the input sizes of convolutions. Layers
 * push during the forward pass and pop in reverse order during {@code inputGrad}.
 *
 * <p>Why: with frozen weights the backward pass of a ReLU network is linear in the upstream
 * gradient, so a batch of K upstream gradients can share one forward pass (see
 * {@link PeakResponseMaps}).
 */
final class BackwardTrace {
    private final ArrayDeque<Object> saved = new ArrayDeque<>();

    void push(Tensor t) {
        saved.push(t);
    }

    void push(long[] sizes) {
        saved.push(sizes);
    }

    Tensor popTensor() {
        return (Tensor) pop();
    }

    long[] popSizes() {
        return (long[]) pop();
    }

    boolean isEmpty() {
        return saved.isEmpty();
    }

    private Object pop() {
        if (saved.isEmpty()) {
            throw new IllegalStateException("backward trace exhausted: inputGrad does not mirror forward");
        }
        return saved.pop();
    }
}
