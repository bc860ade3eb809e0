package io.wiseseg.pipeline;

import io.wiseseg.data.AnnotatedImage;
import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.Mask;
import io.wiseseg.data.ProgressListener;
import io.wiseseg.data.VocDataset;
import io.wiseseg.eval.GroundTruth;
import io.wiseseg.eval.ProposalRecall;
import io.wiseseg.proposals.Proposal;
import io.wiseseg.proposals.ProposalSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * A split's {@link ProposalRecall} read from a proposal source (a run's or a command's cache),
 * one image's proposals in memory at a time: a split's 2,000 proposals an image do not fit.
 */
public final class ProposalCeiling {
    private ProposalCeiling() {}

    /** The recall of {@code truth}'s objects at each of {@code limits} (as {@link ProposalRecall#of}). */
    public static List<ProposalRecall> of(VocDataset voc, List<AnnotatedImage> truth, ProposalSource proposals,
            ProgressListener progress, int... limits) throws IOException {
        int[] done = {0};
        progress.progress("proposal recall", 0, truth.size());
        try {
            return ProposalRecall.of(GroundTruth.of(truth), id -> {
                try {
                    LabelledImage im = voc.image(id);
                    List<Mask> masks = proposals.proposals(im, () -> voc.readImage(im)).stream().map(Proposal::mask)
                            .toList();
                    progress.progress("proposal recall", ++done[0], truth.size());
                    return masks;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, limits);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
