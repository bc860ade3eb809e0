package io.wiseseg.data;

import java.util.ArrayList;
import java.util.List;

/**
 * A segmentation dataset: named splits of images, seen either as training sees them (image-level
 * labels only) or as evaluation sees them (with instance masks). Readers fail with a
 * {@link DatasetException} that names the file and the problem.
 */
public interface Dataset {
    ClassSet classes();

    /** The split names this dataset has, e.g. train, val, trainval, train_aug. */
    List<String> splits();

    /** The training view of a split: labels only, in the split's order. */
    List<LabelledImage> labelled(String split);

    /** One image by id, in whichever split it is. */
    LabelledImage image(String id);

    /** The ground truth of one image: its instances and void region. */
    AnnotatedImage annotate(LabelledImage image);

    /** The pixels of an image, checked against the size the dataset records for it. */
    RgbImage readImage(LabelledImage image);

    /** The evaluation view of a split: every image with its ground truth. */
    default List<AnnotatedImage> annotated(String split) {
        return annotated(split, ProgressListener.NONE);
    }

    default List<AnnotatedImage> annotated(String split, ProgressListener listener) {
        List<LabelledImage> images = labelled(split);
        List<AnnotatedImage> out = new ArrayList<>(images.size());
        listener.progress("annotations " + split, 0, images.size());
        for (LabelledImage image : images) {
            out.add(annotate(image));
            listener.progress("annotations " + split, out.size(), images.size());
        }
        return out;
    }
}
