package io.wiseseg.proposals;

import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.RgbImage;
import java.io.IOException;
import java.util.List;
import java.util.function.Supplier;

/**
 * Where an image's object proposals come from: computed ({@link SelectiveSearch}), imported
 * ({@link ProposalFiles}) or cached on disk ({@link ProposalCache}).
 *
 * <p>Every source returns the proposals best first: score descending, ties in the source's own
 * order (the reference sorts SharpMask files the same way, with Python's stable sort). Every
 * mask has the image's size. Score scales differ: SharpMask objectness lies in [0, 1] and WISE
 * keeps proposals above 0.5; selective search scores are ranks mapped onto (0, 1] (see
 * {@link SelectiveSearch}), so the same 0.5 keeps its better half.
 */
public interface ProposalSource {
    /**
     * @param image  the image (id and size)
     * @param pixels its pixels, read only if the source needs them
     */
    List<Proposal> proposals(LabelledImage image, Supplier<RgbImage> pixels) throws IOException;

    /** A short text naming the source and every setting that changes its output. */
    String description();
}
