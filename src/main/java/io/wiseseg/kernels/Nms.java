package io.wiseseg.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Non-maximum suppression with torchvision's semantics (LibTorch has none): boxes by descending
 * score (stable), each dropped when its IoU with a kept box exceeds the threshold.
 */
public final class Nms {
    private final Device home;

    /** NMS on {@code device}'s kernels; boxes that live on another device run there. */
    public Nms(Device device) {
        this.home = device;
    }

    /** boxes n×4 float32 (x1, y1, x2, y2), scores n float32 → kept indices (int64), best first. */
    public Tensor apply(Tensor boxes, Tensor scores, float iouThreshold) {
        return run(boxes, scores, null, iouThreshold);
    }

    /** As {@link #apply}, but only boxes of the same group (n int64, e.g. labels) suppress each other. */
    public Tensor batched(Tensor boxes, Tensor scores, Tensor groups, float iouThreshold) {
        if (groups == null) {
            throw new IllegalArgumentException("groups is null");
        }
        return run(boxes, scores, groups, iouThreshold);
    }

    private Tensor run(Tensor boxes, Tensor scores, Tensor groups, float iouThreshold) {
        Device device = home.follow(boxes);
        MemorySegment b = TensorAccess.address(boxes, "boxes", ScalarType.Float, 2, device);
        MemorySegment s = TensorAccess.address(scores, "scores", ScalarType.Float, 1, device);
        long n = boxes.size(0);
        if (boxes.size(1) != 4) {
            throw new IllegalArgumentException("boxes must be n×4, got " + TensorAccess.shape(boxes));
        }
        if (scores.size(0) != n) {
            throw new IllegalArgumentException("scores has " + scores.size(0) + " entries for " + n + " boxes");
        }
        MemorySegment g = MemorySegment.NULL;
        if (groups != null) {
            g = TensorAccess.address(groups, "groups", ScalarType.Long, 1, device);
            if (groups.size(0) != n) {
                throw new IllegalArgumentException("groups has " + groups.size(0) + " entries for " + n + " boxes");
            }
        }
        if (Float.isNaN(iouThreshold)) {
            throw new IllegalArgumentException("iouThreshold is NaN");
        }
        Tensor keep = TensorAccess.empty(boxes, ScalarType.Long, n);
        if (n == 0) {
            return keep;
        }
        device.activate();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(ValueLayout.JAVA_LONG);
            MemorySegment k = TensorAccess.addressOrNull(keep);
            int status = groups == null
                    ? device.lib.nms(b, s, n, iouThreshold, k, count, device.stream())
                    : device.lib.batchedNms(b, s, g, n, iouThreshold, k, count, device.stream());
            device.lib.check(status, groups == null ? "ws_nms" : "ws_batched_nms");
            return keep.narrow(0, 0, count.get(ValueLayout.JAVA_LONG, 0));
        }
    }
}
