package io.wiseseg.cli;

import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.VocDataset;
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
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        PrintWriter w = spec.commandLine().getOut();
        w.printf("%d images: %d computed, %d already in %s%n", images.size(), computed, images.size() - computed, out);
        w.flush();
    }
}
