package io.wiseseg.backbone;

import org.bytedeco.pytorch.Tensor;

/** A residual block: its forward pass, and the batched input gradient that mirrors it. */
interface Block {
    Tensor forward(Tensor x, BackwardTrace trace);

    Tensor inputGrad(Tensor g, BackwardTrace trace);

    /** The block's BatchNorm layers. */
    java.util.List<BatchNorm> norms();
}
