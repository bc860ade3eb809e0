package io.wiseseg.pseudo;

import io.wiseseg.data.Mask;
import io.wiseseg.proposals.Proposal;
import java.util.List;
import org.bytedeco.pytorch.Tensor;

/**
 * Everything the selection rules see for one H×W image.
 *
 * @param seeds            the K peaks
 * @param peakResponseMaps K×H×W float32, map k for seed k (null when the rule needs none, e.g.
 *                         best objectness)
 * @param classMaps        C×H×W float32 class response maps already resized to the image (PRM
 *                         resizes bicubically); null unless the rule uses them (PRM retrieval)
 * @param proposals        best first, masks H×W
 * @param voidMask         pixels to zero in every pseudo mask (VOC's void region), or null
 */
public record ImageEvidence(String imageId, int height, int width, List<Seed> seeds, Tensor peakResponseMaps,
        Tensor classMaps, List<Proposal> proposals, Mask voidMask) {
    public ImageEvidence {
        seeds = List.copyOf(seeds);
        proposals = List.copyOf(proposals);
        for (int i = 0; i < proposals.size(); i++) {
            Mask m = proposals.get(i).mask();
            if (m.height() != height || m.width() != width) {
                throw new IllegalArgumentException("image " + imageId + " is " + height + "x" + width
                        + " but proposal " + i + " is " + m.height() + "x" + m.width());
            }
        }
        if (voidMask != null && (voidMask.height() != height || voidMask.width() != width)) {
            throw new IllegalArgumentException("image " + imageId + " is " + height + "x" + width
                    + " but its void mask is " + voidMask.height() + "x" + voidMask.width());
        }
        if (peakResponseMaps != null) {
            requireMaps(imageId, "peak response maps", peakResponseMaps, seeds.size(), height, width);
        }
        if (classMaps != null) {
            requireMaps(imageId, "class maps", classMaps, -1, height, width);
            for (Seed s : seeds) {
                if (s.classId() >= classMaps.size(0)) {
                    throw new IllegalArgumentException("image " + imageId + ": seed of class " + s.classId()
                            + " but only " + classMaps.size(0) + " class maps");
                }
            }
        }
    }

    private static void requireMaps(String id, String what, Tensor t, int k, int h, int w) {
        if (t.dim() != 3 || (k >= 0 && t.size(0) != k) || t.size(1) != h || t.size(2) != w) {
            StringBuilder shape = new StringBuilder();
            for (int i = 0; i < t.dim(); i++) {
                shape.append(i == 0 ? "" : "x").append(t.size(i));
            }
            throw new IllegalArgumentException("image " + id + ": " + what + " must be " + (k >= 0 ? k : "C")
                    + "x" + h + "x" + w + ", got " + shape);
        }
    }
}
