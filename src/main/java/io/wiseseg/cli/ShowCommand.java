package io.wiseseg.cli;

import io.wiseseg.data.AnnotatedImage;
import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.Overlay;
import io.wiseseg.data.RgbImage;
import io.wiseseg.data.VocDataset;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code wiseseg show}: draws an image's ground-truth (or predicted) instances to a PNG. */
@Command(name = "show", mixinStandardHelpOptions = true,
        description = "Draw an image with its ground-truth instance masks, outlines and class labels to a PNG; "
                + "with --predictions, the predicted instances and their scores instead.")
final class ShowCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    DatasetOptions data;

    @Option(names = "--image", required = true, paramLabel = "ID", description = "Image id, e.g. 2007_000033.")
    String image;

    @Option(names = "--out", required = true, paramLabel = "PNG", description = "Output PNG file.")
    Path out;

    @Option(names = "--predictions", paramLabel = "JSON",
            description = "COCO results file (e.g. pseudo masks or model predictions): draw these instead of the ground truth.")
    Path predictions;

    @Option(names = "--min-score", defaultValue = "0.3",
            description = "With --predictions: hide instances scoring below this (default: ${DEFAULT-VALUE}).")
    float minScore;

    @Option(names = "--scale", description = "Whole enlargement factor (default: about 384 px on the longer side).")
    Integer scale;

    @Override
    public void run() {
        try {
            draw();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void draw() throws java.io.IOException {
        System.setProperty("java.awt.headless", "true");
        VocDataset voc = data.open();
        LabelledImage img = voc.image(image);
        AnnotatedImage truth = voc.annotate(img);
        RgbImage rgb = voc.readImage(img);
        java.util.List<io.wiseseg.data.Instance> shown = truth.instances();
        boolean scores = predictions != null;
        if (scores) {
            var dataset = new io.wiseseg.data.CocoDataset(voc.classes(),
                    io.wiseseg.data.CocoDataset.defaultCategoryIds(voc.classes()), java.util.List.of(truth),
                    java.util.Map.of());
            shown = io.wiseseg.data.CocoJson.readResultsFor(predictions, dataset).get(0).instances().stream()
                    .filter(i -> i.score() >= minScore).toList();
        }
        Overlay.Style style = scale == null ? Overlay.Style.forSize(rgb.width(), rgb.height(), scores)
                : new Overlay.Style(scale, 0.45f, scores);
        Overlay.writePng(Overlay.render(rgb, shown, truth.voidMask(), voc.classes(), style), out);
        spec.commandLine().getOut().printf("wrote %s (%d instances)%n", out, shown.size());
        spec.commandLine().getOut().flush();
    }
}
