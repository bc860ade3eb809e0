package io.wiseseg.cli;

import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.VocDataset;
import io.wiseseg.eval.ProposalRecall;
import io.wiseseg.pipeline.ProposalCeiling;
import io.wiseseg.proposals.ProposalCache;
import io.wiseseg.proposals.SelectiveSearch;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code wiseseg proposals}: selective search mask proposals of a split, into a cache folder. */
@Command(name = "proposals", mixinStandardHelpOptions = true,
        description = "Compute selective search mask proposals for every image of a split into a folder "
                + "(one <id>.json per image, the WISE reference's proposal format). Resumes: images "
                + "already there are skipped.")
final class ProposalsCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    TraceOption trace;

    @picocli.CommandLine.Mixin
    DatasetOptions data;

    @Option(names = "--split", defaultValue = "train", description = "Split to process (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Proposal folder (created).")
    Path out;

    @Option(names = "--mode", defaultValue = "fast",
            description = "single, fast or quality (default: ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--max", defaultValue = "2000", description = "Most proposals kept per image (default: ${DEFAULT-VALUE}).")
    int max;

    @Option(names = "--evaluate", description = "Then print how well the proposals can cover the split's "
            + "objects: per object, the best mask IoU among its image's first K proposals (recall at IoU 0.5, mean "
            + "best IoU), the ceiling of any pseudo-mask rule that picks proposals.")
    boolean evaluate;

    @Override
    public void run() {
        SelectiveSearch.Options options = switch (mode) {
            case "single" -> SelectiveSearch.Options.single();
            case "fast" -> SelectiveSearch.Options.fast();
            case "quality" -> SelectiveSearch.Options.quality();
            default -> throw new UserException("--mode must be single, fast or quality, got '" + mode + "'");
        };
        if (max < 1) {
            throw new UserException("--max must be >= 1, got " + max);
        }
        VocDataset voc = data.openWithSplit(split);
        List<LabelledImage> images = voc.labelled(split);
        long computed = 0;
        List<ProposalRecall> recall = null;
        try (ProgressBarListener bar = new ProgressBarListener()) {
            ProposalCache cache = new ProposalCache(out, new SelectiveSearch(options.withMaxProposals(max)));
            bar.progress("proposals", 0, images.size());
            for (int i = 0; i < images.size(); i++) {
                LabelledImage im = images.get(i);
                if (!cache.contains(im.id())) {
                    try (io.wiseseg.util.Trace.Span s = io.wiseseg.util.Trace.span("image", "proposals").arg("id", im.id())) {
                        cache.proposals(im, () -> voc.readImage(im));
                    }
                    computed++;
                }
                bar.progress("proposals", i + 1, images.size());
            }
            if (evaluate) {
                recall = recall(voc, cache, bar);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        PrintWriter w = spec.commandLine().getOut();
        w.printf("%d images: %d computed, %d already in %s%n", images.size(), computed, images.size() - computed, out);
        if (recall != null) {
            w.print(ProposalRecall.toText(recall));
        }
        w.flush();
    }

    /** The split's proposal recall at 10, 100 and 500 proposals (those below --max) and at all of them. */
    private List<ProposalRecall> recall(VocDataset voc, ProposalCache cache, ProgressBarListener bar) throws IOException {
        int[] limits = java.util.stream.IntStream.concat(java.util.stream.IntStream.of(10, 100, 500).filter(k -> k < max),
                java.util.stream.IntStream.of(0)).toArray();
        return ProposalCeiling.of(voc, voc.annotated(split), cache, bar, limits);
    }
}
