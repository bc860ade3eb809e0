package io.wiseseg.kernels;

import java.lang.foreign.MemorySegment;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * RoIAlign with torchvision's semantics (forward and backward), on one feature map.
 * RoIs are R×5 float32 rows (batch_index, x1, y1, x2, y2) in image coordinates.
 */
public final class RoiAlign {
    /**
     * @param pooledHeight  output rows per RoI
     * @param pooledWidth   output columns per RoI
     * @param spatialScale  feature-map size / image size (e.g. 1/4)
     * @param samplingRatio samples per bin side; <= 0 adaptive (ceil(roi size / pooled size))
     * @param aligned       half-pixel offset (torchvision aligned=True); false = legacy
     */
    public record Params(int pooledHeight, int pooledWidth, float spatialScale, int samplingRatio,
            boolean aligned) {
        public Params {
            if (pooledHeight <= 0 || pooledWidth <= 0) {
                throw new IllegalArgumentException("output size must be positive, got "
                        + pooledHeight + "x" + pooledWidth);
            }
            if (!(spatialScale > 0) || Float.isInfinite(spatialScale)) {
                throw new IllegalArgumentException("spatialScale must be positive and finite, got "
                        + spatialScale);
            }
        }
    }

    private final Device home;

    /** RoIAlign on {@code device}'s kernels; inputs that live on another device run there. */
    public RoiAlign(Device device) {
        this.home = device;
    }

    /** input N×C×H×W float32, rois R×5 → R×C×pooledHeight×pooledWidth. */
    public Tensor forward(Tensor input, Tensor rois, Params params) {
        Device device = home.follow(input);
        MemorySegment in = TensorAccess.address(input, "input", ScalarType.Float, 4, device);
        MemorySegment rs = roisAddress(device, rois, input.size(0));
        long r = rois.size(0), c = input.size(1);
        Tensor out = TensorAccess.empty(input, ScalarType.Float, r, c, params.pooledHeight(),
                params.pooledWidth());
        if (out.numel() == 0) {
            return out;
        }
        if (input.numel() == 0) {
            return out.zero_();
        }
        device.activate();
        int status = device.lib.roiAlignForward(in, input.size(0), c,
                input.size(2), input.size(3), rs, r, params.pooledHeight(), params.pooledWidth(),
                params.spatialScale(), params.samplingRatio(), params.aligned() ? 1 : 0,
                TensorAccess.addressOrNull(out), device.stream());
        device.lib.check(status, "ws_roi_align_forward");
        return out;
    }

    /**
     * The gradient with respect to the N×C×H×W input, given the gradient of the output
     * (R×C×pooledHeight×pooledWidth).
     */
    public Tensor backward(Tensor gradOutput, Tensor rois, long[] inputShape, Params params) {
        Device device = home.follow(gradOutput);
        MemorySegment go = TensorAccess.address(gradOutput, "gradOutput", ScalarType.Float, 4, device);
        if (inputShape.length != 4) {
            throw new IllegalArgumentException("inputShape must be N, C, H, W");
        }
        MemorySegment rs = roisAddress(device, rois, inputShape[0]);
        long r = rois.size(0);
        if (gradOutput.size(0) != r || gradOutput.size(1) != inputShape[1]
                || gradOutput.size(2) != params.pooledHeight() || gradOutput.size(3) != params.pooledWidth()) {
            throw new IllegalArgumentException("gradOutput is " + TensorAccess.shape(gradOutput)
                    + ", expected [" + r + ", " + inputShape[1] + ", " + params.pooledHeight() + ", "
                    + params.pooledWidth() + "]");
        }
        Tensor gradInput = TensorAccess.zeros(gradOutput, ScalarType.Float, inputShape);
        if (gradInput.numel() == 0 || gradOutput.numel() == 0) {
            return gradInput;
        }
        device.activate();
        int status = device.lib.roiAlignBackward(go, rs, r, inputShape[0],
                inputShape[1], inputShape[2], inputShape[3], params.pooledHeight(), params.pooledWidth(),
                params.spatialScale(), params.samplingRatio(), params.aligned() ? 1 : 0,
                TensorAccess.addressOrNull(gradInput), device.stream());
        device.lib.check(status, "ws_roi_align_backward");
        return gradInput;
    }

    private static MemorySegment roisAddress(Device device, Tensor rois, long batch) {
        MemorySegment rs = TensorAccess.address(rois, "rois", ScalarType.Float, 2, device);
        if (rois.size(1) != 5) {
            throw new IllegalArgumentException("rois must be R×5 (batch_index, x1, y1, x2, y2), got "
                    + TensorAccess.shape(rois));
        }
        // On CUDA the library checks the batch indices on the device (reading them here would
        // be one more device-to-host copy per call); on the CPU they are checked here.
        if (rois.size(0) > 0 && device.kind() == Device.Kind.CPU) {
            float[] v = TensorAccess.toFloats(rois.select(1, 0));
            for (int i = 0; i < v.length; i++) {
                if (!(v[i] >= 0 && v[i] < batch) || v[i] != Math.rint(v[i])) {
                    throw new IllegalArgumentException("rois[" + i + "] has batch index " + v[i]
                            + ", outside [0, " + batch + ")");
                }
            }
        }
        if (rois.size(0) > 0) {
            TensorAccess.requireNoNan(rois, "rois");
        }
        return rs;
    }
}
