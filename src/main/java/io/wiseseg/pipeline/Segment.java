package io.wiseseg.pipeline;

import io.wiseseg.data.Box;
import io.wiseseg.data.Instance;
import io.wiseseg.data.Mask;

/**
 * One object instance that a {@link Segmenter} found in an image.
 *
 * @param classId   the class's id in the run's class list, from 0 (no background class)
 * @param className the class's name, as the run was trained with
 * @param score     the detector's confidence in (0, 1]
 * @param box       the detected box in pixels of the input image, {@code x1, y1, x2, y2}
 * @param mask      the instance's binary mask at the input image's size
 */
public record Segment(int classId, String className, float score, Box box, Mask mask) {
    /**
     * This instance in the data package's terms.
     *
     * @return the same class id, mask, box and score as an {@link Instance}, which COCO results
     *     ({@code data.CocoJson}) and the evaluators take
     */
    public Instance instance() {
        return new Instance(classId, mask, box, score);
    }
}
