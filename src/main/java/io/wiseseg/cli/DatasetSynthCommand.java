package io.wiseseg.cli;

import io.wiseseg.data.SyntheticDataset;
import io.wiseseg.data.VocDataset;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code wiseseg dataset synth}: writes the synthetic benchmark in the VOC layout. */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = "Write a synthetic VOC-layout dataset (deterministic for a given seed).")
final class DatasetSynthCommand implements Runnable {
    private static final SyntheticDataset.Options D = SyntheticDataset.Options.defaults();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", required = true, description = "Output directory.")
    Path out;

    @Option(names = "--images", description = "Number of images (default: ${DEFAULT-VALUE}).")
    int images = D.images();

    @Option(names = "--seed", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed = D.seed();

    @Option(names = "--size", description = "Image side in pixels, or WIDTHxHEIGHT (default: ${DEFAULT-VALUE}).")
    String size = D.width() + "x" + D.height();

    @Option(names = "--max-instances", description = "Most objects per image (default: ${DEFAULT-VALUE}).")
    int maxInstances = D.maxInstances();

    @Option(names = "--classes", split = ",", description = "Classes to draw, from: disc, square, triangle, star, "
            + "ring, cross (default: all).")
    List<String> classes = D.classes();

    @Option(names = "--noise", description = "Pixel noise std as a fraction of 255 (default: ${DEFAULT-VALUE}).")
    double noise = D.noise();

    @Option(names = "--val-fraction", description = "Share of images in the val split (default: ${DEFAULT-VALUE}).")
    double valFraction = D.valFraction();

    @Option(names = "--jpeg", description = "Write JPEG images instead of PNG (PNG keeps pixels exact).")
    boolean jpeg;

    @Override
    public void run() {
        int[] wh = parseSize(size);
        SyntheticDataset.Options o;
        try {
            o = new SyntheticDataset.Options(images, wh[0], wh[1], seed, maxInstances, classes, noise, valFraction, jpeg);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
        VocDataset voc;
        try (ProgressBarListener bar = new ProgressBarListener()) {
            voc = SyntheticDataset.generate(out, o, bar);
        }
        spec.commandLine().getOut().printf("wrote %d images (%s) to %s: %s%n", o.images(),
                String.join(", ", voc.splits().stream().map(s -> s + " " + voc.ids(s).size()).toList()),
                out, "read it with `wiseseg dataset info " + out + "`");
    }

    static int[] parseSize(String size) {
        String[] parts = size.toLowerCase(java.util.Locale.ROOT).split("x");
        try {
            if (parts.length == 1) {
                int s = Integer.parseInt(parts[0].strip());
                return new int[] {s, s};
            }
            if (parts.length == 2) {
                return new int[] {Integer.parseInt(parts[0].strip()), Integer.parseInt(parts[1].strip())};
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UserException("--size: expected PIXELS or WIDTHxHEIGHT, got '" + size + "'");
    }
}
