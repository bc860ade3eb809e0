package io.wiseseg.data;

/**
 * One object instance: its class id, mask, box and score (1 for ground truth). The box is the
 * mask's tight box unless a source gives one explicitly.
 */
public record Instance(int classId, Mask mask, Box box, float score) {
    public static Instance of(int classId, Mask mask, float score) {
        return new Instance(classId, mask, mask.bbox(), score);
    }
}
