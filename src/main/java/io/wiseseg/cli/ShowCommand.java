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

/** {@code wiseseg show}: draws an image's ground-truth instances to a PNG. */
@Command(name = "show", mixinStandardHelpOptions = true,
        description = "Draw an image with its ground-truth instance masks, outlines and class labels to a PNG.")
final class ShowCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--dataset", required = true, paramLabel = "DIR", description = "Dataset root (VOC layout).")
    Path dataset;

    @Option(names = "--sbd", paramLabel = "DIR", description = "SBD root; default: DIR/SBD when present.")
    Path sbd;

    @Option(names = "--image", required = true, paramLabel = "ID", description = "Image id, e.g. 2007_000033.")
    String image;

    @Option(names = "--out", required = true, paramLabel = "PNG", description = "Output PNG file.")
    Path out;

    @Option(names = "--scale", description = "Whole enlargement factor (default: about 384 px on the longer side).")
    Integer scale;

    @Override
    public void run() {
        System.setProperty("java.awt.headless", "true");
        VocDataset voc = sbd == null ? VocDataset.open(dataset) : VocDataset.open(dataset, sbd);
        LabelledImage img = voc.image(image);
        AnnotatedImage truth = voc.annotate(img);
        RgbImage rgb = voc.readImage(img);
        Overlay.Style style = scale == null ? Overlay.Style.forSize(rgb.width(), rgb.height(), false)
                : new Overlay.Style(scale, 0.45f, false);
        Overlay.writePng(Overlay.render(rgb, truth.instances(), truth.voidMask(), voc.classes(), style), out);
        spec.commandLine().getOut().printf("wrote %s (%d instances)%n", out, truth.instances().size());
        spec.commandLine().getOut().flush();
    }
}
