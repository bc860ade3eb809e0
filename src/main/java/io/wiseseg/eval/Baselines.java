package io.wiseseg.eval;

import io.wiseseg.data.AnnotatedImage;
import io.wiseseg.data.Box;
import io.wiseseg.data.ImagePrediction;
import io.wiseseg.data.Instance;
import io.wiseseg.data.Mask;
import java.util.ArrayList;
import java.util.List;

/**
 * Oracle predictions made from the ground truth, to see where a pipeline loses: the true masks
 * (an upper bound: 100 by construction) and each true mask's filled bounding box (what a
 * box-only method could at best deliver).
 */
public final class Baselines {
    private Baselines() {}

    public static List<ImagePrediction> groundTruthMasks(List<AnnotatedImage> images) {
        List<ImagePrediction> out = new ArrayList<>(images.size());
        for (AnnotatedImage a : images) {
            out.add(new ImagePrediction(a.image().id(), a.image().height(), a.image().width(), a.instances()));
        }
        return out;
    }

    public static List<ImagePrediction> groundTruthBoxes(List<AnnotatedImage> images) {
        List<ImagePrediction> out = new ArrayList<>(images.size());
        for (AnnotatedImage a : images) {
            int h = a.image().height(), w = a.image().width();
            List<Instance> boxes = new ArrayList<>();
            for (Instance in : a.instances()) {
                Box b = in.mask().bbox();
                if (b == null) {
                    continue;
                }
                Mask m = new Mask(h, w);
                for (int y = (int) b.y1(); y < (int) b.y2(); y++) {
                    for (int x = (int) b.x1(); x < (int) b.x2(); x++) {
                        m.set(y, x, true);
                    }
                }
                boxes.add(new Instance(in.classId(), m, b, 1f));
            }
            out.add(new ImagePrediction(a.image().id(), h, w, boxes));
        }
        return out;
    }
}
