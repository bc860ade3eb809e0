package io.wiseseg.kernels;

import java.lang.foreign.MemorySegment;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Scores every (map, proposal) pair of one image in one native call: the hot loop of pseudo-mask
 * generation. See {@code ws_proposal_score} in wiseseg_kernels.h for the exact definitions.
 */
public final class ProposalScorer {
    /** PRM's contour: the morphological gradient with a 5×5 kernel. */
    public static final int PRM_BOUNDARY_RADIUS = 2;

    private final Device device;

    public ProposalScorer(Device device) {
        this.device = device;
    }

    /**
     * @param masks          P proposals of an H×W image
     * @param maps           K×H×W float32 maps on this scorer's device
     * @param thresholds     K thresholds: T(R_k) = R_k >= thresholds[k]
     * @param points         K peak points as (y, x) pairs (2K ints), or null to skip containment
     * @param boundaryRadius the boundary band's radius (PRM: 2), or -1 to skip boundary sums
     */
    public ProposalScores score(PackedMasks masks, Tensor maps, float[] thresholds, int[] points,
            int boundaryRadius) {
        TensorAccess.requireTensor(maps, "maps", ScalarType.Float, 3, device);
        long k = maps.size(0), h = maps.size(1), w = maps.size(2);
        if (h != masks.height() || w != masks.width()) {
            throw new IllegalArgumentException("maps are " + h + "x" + w + " but the masks are "
                    + masks.height() + "x" + masks.width());
        }
        if (thresholds == null || thresholds.length != k) {
            throw new IllegalArgumentException("thresholds must have K = " + k + " values, got "
                    + (thresholds == null ? "null" : thresholds.length));
        }
        if (points != null && points.length != 2 * k) {
            throw new IllegalArgumentException("points must hold K = " + k + " (y, x) pairs, got "
                    + points.length + " ints");
        }
        int kk = Math.toIntExact(k), p = masks.count();
        int kp = Math.multiplyExact(kk, p);
        if (kp == 0 && p == 0) {
            return new ProposalScores(kk, 0, new float[0], new long[0], new long[0],
                    boundaryRadius >= 0 ? new float[0] : null, new byte[0], new long[0]);
        }
        TensorAccess.requireNoNan(maps, "maps");
        Tensor maskWords = device.kind() == Device.Kind.CPU ? masks.tensor()
                : masks.tensor().to(maps.device(), ScalarType.Long);
        Tensor thr = TensorAccess.fromFloats(thresholds, maps);
        Tensor pts = points == null ? null : TensorAccess.fromInts(points, maps);
        Tensor sumInside = TensorAccess.empty(maps, ScalarType.Float, kp);
        Tensor inter = TensorAccess.empty(maps, ScalarType.Long, kp);
        Tensor union = TensorAccess.empty(maps, ScalarType.Long, kp);
        Tensor boundary = boundaryRadius >= 0 ? TensorAccess.empty(maps, ScalarType.Float, kp) : null;
        Tensor contains = TensorAccess.zeros(maps, ScalarType.Byte, kp);
        Tensor area = TensorAccess.empty(maps, ScalarType.Long, p);
        device.activate();
        int status = device.lib.proposalScore(
                TensorAccess.addressOrNull(maskWords), p, h, w, TensorAccess.addressOrNull(maps),
                k, TensorAccess.addressOrNull(thr), TensorAccess.addressOrNull(pts),
                Math.max(boundaryRadius, 0), TensorAccess.addressOrNull(sumInside),
                TensorAccess.addressOrNull(inter), TensorAccess.addressOrNull(union),
                TensorAccess.addressOrNull(boundary),
                pts == null ? MemorySegment.NULL : TensorAccess.addressOrNull(contains),
                TensorAccess.addressOrNull(area), device.stream());
        device.lib.check(status, "ws_proposal_score");
        return new ProposalScores(kk, p, TensorAccess.toFloats(sumInside), TensorAccess.toLongs(inter),
                TensorAccess.toLongs(union), boundary == null ? null : TensorAccess.toFloats(boundary),
                TensorAccess.toBytes(contains), TensorAccess.toLongs(area));
    }
}
