package io.wiseseg.testing;

import io.wiseseg.data.Box;
import io.wiseseg.pipeline.Segment;
import java.util.List;

/**
 * Two segmentations of one image that differ only by float32 rounding: the batched path sums in
 * another order than one image alone (its GEMMs see more rows), so scores and boxes move in the
 * last bits and a mask pixel whose probability sits at the 0.5 threshold may flip. Same count,
 * order and classes; score within 1e-5 (float32 rounding of a logit through a sigmoid, with
 * margin); box corners within 1e-3 px; masks of equal size whose pixels differ in at most 0.5 %
 * of their union (and at most 2 pixels for tiny masks).
 */
public final class SameSegments {
    private SameSegments() {}

    /** Throws an AssertionError naming {@code what} and the first difference beyond rounding. */
    public static void check(List<Segment> expected, List<Segment> actual, String what) {
        if (expected.size() != actual.size()) {
            throw new AssertionError(what + ": " + expected.size() + " instances expected, got " + actual.size()
                    + "\nexpected " + expected + "\nactual   " + actual);
        }
        for (int i = 0; i < expected.size(); i++) {
            Segment e = expected.get(i), a = actual.get(i);
            String where = what + ", instance " + i + ": ";
            if (e.classId() != a.classId() || !e.className().equals(a.className())) {
                throw new AssertionError(where + "class " + e.className() + " expected, got " + a.className());
            }
            if (Math.abs(e.score() - a.score()) > 1e-5f) {
                throw new AssertionError(where + "score " + e.score() + " expected, got " + a.score());
            }
            Box eb = e.box(), ab = a.box();
            float d = Math.max(Math.max(Math.abs(eb.x1() - ab.x1()), Math.abs(eb.y1() - ab.y1())),
                    Math.max(Math.abs(eb.x2() - ab.x2()), Math.abs(eb.y2() - ab.y2())));
            if (d > 1e-3f) {
                throw new AssertionError(where + "box " + eb + " expected, got " + ab);
            }
            if (e.mask().height() != a.mask().height() || e.mask().width() != a.mask().width()) {
                throw new AssertionError(where + "mask " + e.mask() + " expected, got " + a.mask());
            }
            long union = e.mask().union(a.mask()), differ = union - e.mask().intersection(a.mask());
            if (differ > Math.max(2, union / 200)) {
                throw new AssertionError(where + differ + " of " + union + " mask pixels differ");
            }
        }
    }
}
