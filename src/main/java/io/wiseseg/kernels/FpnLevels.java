package io.wiseseg.kernels;

import java.lang.foreign.MemorySegment;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Which FPN level each RoI is pooled from, as torchvision's MultiScaleRoIAlign decides:
 * floor(4 + log2(sqrt(area) / 224) + 1e-6), clamped to [kMin, kMax], returned as level − kMin.
 */
public final class FpnLevels {
    public static final float CANONICAL_SCALE = 224f;
    public static final int CANONICAL_LEVEL = 4;
    public static final float EPS = 1e-6f;

    private final Device home;

    /** Level assignment on {@code device}'s kernels; RoIs that live on another device run there. */
    public FpnLevels(Device device) {
        this.home = device;
    }

    /** rois R×5 float32 → R int32 level indices in [0, kMax − kMin]. */
    public Tensor assign(Tensor rois, int kMin, int kMax) {
        Device device = home.follow(rois);
        MemorySegment rs = TensorAccess.address(rois, "rois", ScalarType.Float, 2, device);
        if (rois.size(1) != 5) {
            throw new IllegalArgumentException("rois must be R×5, got " + TensorAccess.shape(rois));
        }
        if (kMin > kMax) {
            throw new IllegalArgumentException("kMin " + kMin + " > kMax " + kMax);
        }
        long r = rois.size(0);
        Tensor levels = TensorAccess.empty(rois, ScalarType.Int, r);
        if (r == 0) {
            return levels;
        }
        device.activate();
        int status = device.lib.fpnLevelAssign(rs, r, kMin, kMax,
                CANONICAL_SCALE, CANONICAL_LEVEL, EPS, TensorAccess.addressOrNull(levels),
                device.stream());
        device.lib.check(status, "ws_fpn_level_assign");
        return levels;
    }

    /** FPN level k of a feature map at {@code scale} (1/4 → 2), as torchvision infers it. */
    public static int levelOfScale(float scale) {
        return (int) Math.round(-Math.log(scale) / Math.log(2));
    }
}
