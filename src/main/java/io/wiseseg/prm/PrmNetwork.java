package io.wiseseg.prm;

import io.wiseseg.backbone.BackwardTrace;
import io.wiseseg.backbone.Conv;
import io.wiseseg.backbone.ResNet;
import io.wiseseg.util.Tensors;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * WISE's PRM classifier: ResNet up to layer4 → 1×1 convolution to C class response maps (with
 * bias) → bilinear upsampling ×8 with {@code align_corners=True} (PRM's sub-pixel locating
 * factor). Peak stimulation and the loss sit in {@link PeakStimulation} and {@link #loss}.
 * Inputs are N×3×H×W images normalised with the ImageNet mean and std.
 */
public final class PrmNetwork extends Module {
    public static final int SUB_PIXEL_FACTOR = 8;

    private final ResNet backbone;
    private final Conv classifier;
    private final int numClasses;
    private final java.util.concurrent.atomic.AtomicLong forwardPasses = new java.util.concurrent.atomic.AtomicLong();

    public PrmNetwork(ResNet.Depth depth, int width, int numClasses) {
        this(depth, width, numClasses, 32);
    }

    /** With a backbone of output stride 16 or 8 (see {@link ResNet#ResNet(ResNet.Depth, int, int)}). */
    public PrmNetwork(ResNet.Depth depth, int width, int numClasses, int outputStride) {
        if (numClasses < 1) {
            throw new IllegalArgumentException("need at least one class, got " + numClasses);
        }
        this.numClasses = numClasses;
        backbone = register_module("backbone", new ResNet(depth, width, outputStride));
        classifier = register_module("classifier", new Conv(backbone.outChannels(), numClasses, 1, 1, 0, true));
        // Small head init, N(0, 0.01²) and zero bias: the initial aggregations are then near 0 and
        // the loss starts at log 2. PyTorch's default init gives peak values of several units, a
        // first loss of ~5, and on the synthetic benchmark from scratch a much slower start.
        try (org.bytedeco.pytorch.NoGradGuard g = new org.bytedeco.pytorch.NoGradGuard()) {
            classifier.weight().normal_(0.0, 0.01, new org.bytedeco.pytorch.GeneratorOptional());
            classifier.bias().zero_();
        }
    }

    public ResNet backbone() {
        return backbone;
    }

    public int numClasses() {
        return numClasses;
    }

    /** The upsampled class response maps, N×C×8h×8w (h×w: layer4's size). */
    public Tensor classResponseMaps(Tensor images) {
        return classResponseMaps(images, null);
    }

    Tensor classResponseMaps(Tensor images, BackwardTrace trace) {
        requireImages(images);
        forwardPasses.incrementAndGet();
        Tensor maps = classifier.forward(backbone.forward(images, trace), null);
        return torch.upsample_bilinear2d(maps, new long[] {maps.size(2) * SUB_PIXEL_FACTOR,
                maps.size(3) * SUB_PIXEL_FACTOR}, true);
    }

    /**
     * How many times {@link #classResponseMaps} has run on this network: per-image stages read it
     * to check (tests) or report (profiling) that they run the network once per image.
     */
    public long forwardPasses() {
        return forwardPasses.get();
    }

    /** The classifier's weights, C×F×1×1 (for the batched peak back-propagation). */
    Tensor classifierWeight() {
        return classifier.weight();
    }

    /**
     * PyTorch's {@code multilabel_soft_margin_loss}: the mean over images and classes of the
     * binary cross-entropy between sigmoid(scores) and the 0/1 labels.
     */
    public static Tensor loss(Tensor scores, Tensor labels) {
        Tensor positive = labels.mul(torch.log_sigmoid(scores));
        Tensor negative = labels.neg().add(new Scalar(1.0)).mul(torch.log_sigmoid(scores.neg()));
        return positive.add(negative).mean().neg();
    }

    /** The backbone's trainable parameters (BatchNorm is frozen and excluded). */
    public TensorVector backboneParameters() {
        return trainable(backbone.parameters(true));
    }

    public TensorVector classifierParameters() {
        return classifier.parameters(true);
    }

    /**
     * Turns gradients of the convolutions on or off (off for inference: no weight gradients).
     * Turning them off also freezes BatchNorm.
     */
    public void setTrainable(boolean on) {
        if (!on) {
            setBatchNormTraining(false);
        }
        TensorVector params = backbone.parameters(true);
        for (long i = 0; i < params.size(); i++) {
            if (params.get(i).dim() == 4) {
                params.get(i).set_requires_grad(on);
            }
        }
        TensorVector head = classifier.parameters(true);
        for (long i = 0; i < head.size(); i++) {
            head.get(i).set_requires_grad(on);
        }
    }

    /** Sets every BatchNorm's frozen statistics from one batch (for training from scratch). */
    public void calibrateBatchNorm(Tensor images) {
        backbone.calibrateBatchNorm(images);
    }

    /**
     * BatchNorm in PyTorch's training mode (batch statistics, trainable affine) or frozen (the
     * reference's setting, and what inference and the batched peak back-propagation need).
     */
    public void setBatchNormTraining(boolean on) {
        backbone.setBatchNormTraining(on);
    }

    private static TensorVector trainable(TensorVector all) {
        TensorVector out = new TensorVector();
        for (long i = 0; i < all.size(); i++) {
            if (all.get(i).requires_grad()) {
                out.push_back(all.get(i));
            }
        }
        return out;
    }

    private static void requireImages(Tensor images) {
        if (images.dim() != 4 || images.size(1) != 3) {
            throw new IllegalArgumentException("images must be N×3×H×W, got " + Tensors.shapeString(images));
        }
        if (images.size(2) < 32 || images.size(3) < 32) {
            throw new IllegalArgumentException("images must be at least 32×32 (the network's stride), got "
                    + images.size(2) + "×" + images.size(3));
        }
    }
}
