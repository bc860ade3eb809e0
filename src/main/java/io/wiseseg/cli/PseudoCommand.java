package io.wiseseg.cli;

import io.wiseseg.data.CocoDataset;
import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.VocDataset;
import io.wiseseg.kernels.Device;
import io.wiseseg.kernels.ProposalScorer;
import io.wiseseg.proposals.ProposalFiles;
import io.wiseseg.pseudo.BestObjectness;
import io.wiseseg.pseudo.ImageEvidence;
import io.wiseseg.pseudo.PseudoLabeller;
import io.wiseseg.pseudo.ReferencePoints;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code wiseseg pseudo}: WISE's pseudo masks from peak points and proposal files (the
 * reference's prm_point_dict.json and SharpMask proposals, or a folder made by
 * {@code wiseseg proposals}).
 */
@Command(name = "pseudo", mixinStandardHelpOptions = true,
        description = "Pseudo masks by best objectness: each peak point takes the highest-scoring proposal "
                + "that contains it. Writes one COCO results JSON; resumes from <out>.parts/.")
final class PseudoCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--dataset", required = true, paramLabel = "DIR", description = "Dataset root (VOC layout).")
    Path dataset;

    @Option(names = "--sbd", paramLabel = "DIR", description = "SBD root; default: DIR/SBD when present.")
    Path sbd;

    @Option(names = "--split", defaultValue = "train", description = "Split to label (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--points", required = true, paramLabel = "FILE",
            description = "Peak points in the reference's prm_point_dict.json format.")
    Path points;

    @Option(names = "--proposals", required = true, paramLabel = "PATH",
            description = "Proposal folder (<id>.jpg.json or <id>.json) or one id -> list JSON file.")
    Path proposals;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "COCO results JSON to write.")
    Path out;

    @Option(names = "--threshold", defaultValue = "none",
            description = "Keep proposals scoring above this (0.5 as pointList2propDict) or 'none' (as "
                    + "bo_proposal, which made the reference's training targets; default: ${DEFAULT-VALUE}).")
    String threshold;

    @Option(names = "--single-point", description = "Skip proposals that contain more than one point.")
    boolean singlePoint;

    @Override
    public void run() {
        double t;
        try {
            t = threshold.equals("none") ? Double.NEGATIVE_INFINITY : Double.parseDouble(threshold);
        } catch (NumberFormatException e) {
            throw new UserException("--threshold must be a number or 'none', got '" + threshold + "'");
        }
        VocDataset voc = sbd == null ? VocDataset.open(dataset) : VocDataset.open(dataset, sbd);
        if (!voc.splits().contains(split)) {
            throw new UserException("--split " + split + ": the dataset has " + voc.splits());
        }
        List<LabelledImage> images = voc.labelled(split);
        try (ProgressBarListener bar = new ProgressBarListener()) {
            ReferencePoints peaks = ReferencePoints.read(points);
            ProposalFiles files = new ProposalFiles(proposals);
            PseudoLabeller labeller = new PseudoLabeller(new BestObjectness(t, singlePoint), null,
                    new ProposalScorer(Device.cpu()));
            labeller.labelSplit(images, im -> new ImageEvidence(im.id(), im.height(), im.width(),
                    peaks.seeds(im.id(), im.height(), im.width()), null, null, files.proposals(im, () -> null), null),
                    CocoDataset.defaultCategoryIds(voc.classes()), out, bar);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        PrintWriter w = spec.commandLine().getOut();
        w.printf("wrote pseudo masks of %d images to %s%n", images.size(), out);
        w.flush();
    }
}
