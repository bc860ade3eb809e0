package io.wiseseg.pseudo;

/**
 * One peak of the PRM classifier, the seed of at most one pseudo mask: its class (index into the
 * dataset's ClassSet), its pixel (y, x) at image resolution, and its peak value. The PRM stage's
 * peaks map onto this one to one; keeping the selection on plain values lets the rules run on
 * any peaks (or the reference's points files).
 */
public record Seed(int classId, int y, int x, float value) {
    public Seed {
        if (classId < 0) {
            throw new IllegalArgumentException("seed class must be >= 0, got " + classId);
        }
    }
}
