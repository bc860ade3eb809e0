package io.wiseseg.cli;

import io.wiseseg.data.HardLook;
import io.wiseseg.data.HardSyntheticDataset;
import io.wiseseg.data.SyntheticDataset;
import io.wiseseg.data.VocDataset;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code wiseseg dataset synth}: writes a synthetic benchmark (the simple or the hard family) in the VOC layout. */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = "Write a synthetic VOC-layout dataset (deterministic for a given seed).")
final class DatasetSynthCommand implements Runnable {
    private static final SyntheticDataset.Options D = SyntheticDataset.Options.defaults();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", required = true, description = "Output directory.")
    Path out;

    @Option(names = "--family", description = "Which benchmark: simple (each class its own colour and texture; the "
            + "default) or hard (classes told apart by shape only, natural-image backgrounds, varied image sizes, "
            + "VOC void bands).")
    String family = "simple";

    @Option(names = "--images", description = "Number of images (default: 200; hard: 520, i.e. 400 train + 120 val).")
    Integer images;

    @Option(names = "--seed", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed = D.seed();

    @Option(names = "--size", description = "Image side in pixels, or WIDTHxHEIGHT (default: 128); hard: MIN-MAX, "
            + "each image's sides drawn from that range at an aspect of at most 4:3 (default: 200-320).")
    String size;

    @Option(names = "--max-instances", description = "Most objects per image (default: 8; hard: 6).")
    Integer maxInstances;

    @Option(names = "--classes", split = ",", description = "Classes to draw (default: all), from: disc, square, "
            + "triangle, star, ring, cross; hard: ring, crescent, plus, frame, arrow, star, ell, hexagon, heart, key.")
    List<String> classes;

    @Option(names = "--noise", description = "Pixel noise std as a fraction of 255 (default: 0.03; hard: 0.02).")
    Double noise;

    @Option(names = "--val-fraction", description = "Share of images in the val split (default: 0.2; hard: 0.23).")
    Double valFraction;

    @Option(names = "--jpeg", description = "Write JPEG images instead of PNG (PNG keeps pixels exact).")
    boolean jpeg;

    @Option(names = "--backgrounds", paramLabel = "DIR", description = "Hard family only: a folder of JPEG/PNG "
            + "photographs; half the backgrounds are random crops of them, the rest procedural (default: procedural "
            + "only).")
    Path backgrounds;

    @Option(names = "--object-extent", paramLabel = "MIN-MAX", description = "Hard family only: objects span this "
            + "share of the shorter image side, drawn log-uniformly (default: 0.08-0.5).")
    String objectExtent;

    @Option(names = "--max-tilt", paramLabel = "DEGREES", description = "Hard family only: objects are rotated at "
            + "most this far from upright, either way; 180 means any rotation (default: 180).")
    Double maxTilt;

    @Option(names = "--patterns", split = ",", paramLabel = "PATTERN", description = "Hard family only: the surface "
            + "patterns objects and clutter draw from, every class alike (default: all), from: flat, stripes, dots, "
            + "gradient, radial, noise, checker.")
    List<String> patterns;

    @Option(names = "--clutter", paramLabel = "N", description = "Hard family only: at most this many clutter "
            + "surfaces (no class) per image, 0 for none (default: 5).")
    Integer clutter;

    @Option(names = "--clutter-in-front", paramLabel = "SHARE", description = "Hard family only: the share of "
            + "clutter drawn in front of the objects, occluding them (default: 0.4).")
    Double clutterInFront;

    @Override
    public void run() {
        VocDataset voc;
        int count;
        switch (family) {
            case "simple" -> {
                if (backgrounds != null) {
                    throw new UserException("--backgrounds: only the hard family takes photographs (--family hard)");
                }
                if (objectExtent != null || maxTilt != null || patterns != null || clutter != null
                        || clutterInFront != null) {
                    throw new UserException("--object-extent, --max-tilt, --patterns, --clutter and --clutter-in-front "
                            + "shape the hard family only (--family hard)");
                }
                int[] wh = parseSize(size == null ? D.width() + "x" + D.height() : size);
                SyntheticDataset.Options o;
                try {
                    o = new SyntheticDataset.Options(or(images, D.images()), wh[0], wh[1], seed,
                            or(maxInstances, D.maxInstances()), or(classes, D.classes()), or(noise, D.noise()),
                            or(valFraction, D.valFraction()), jpeg);
                } catch (IllegalArgumentException e) {
                    throw new UserException(e.getMessage());
                }
                try (ProgressBarListener bar = new ProgressBarListener()) {
                    voc = SyntheticDataset.generate(out, o, bar);
                }
                count = o.images();
            }
            case "hard" -> {
                HardSyntheticDataset.Options h = HardSyntheticDataset.Options.defaults();
                int[] sides = size == null ? new int[] {h.minSide(), h.maxSide()} : parseSides(size);
                HardSyntheticDataset.Options o;
                try {
                    o = new HardSyntheticDataset.Options(or(images, h.images()), sides[0], sides[1], seed,
                            or(maxInstances, h.maxInstances()), or(classes, h.classes()), or(noise, h.noise()),
                            or(valFraction, h.valFraction()), jpeg, backgrounds, look(h.look()));
                } catch (IllegalArgumentException e) {
                    throw new UserException(e.getMessage());
                }
                try (ProgressBarListener bar = new ProgressBarListener()) {
                    voc = HardSyntheticDataset.generate(out, o, bar);
                }
                count = o.images();
            }
            default -> throw new UserException("--family: expected simple or hard, got '" + family + "'");
        }
        VocDataset written = voc;
        spec.commandLine().getOut().printf("wrote %d images (%s) to %s: %s%n", count,
                String.join(", ", written.splits().stream().map(s -> s + " " + written.ids(s).size()).toList()),
                out, "read it with `wiseseg dataset info " + out + "`");
    }

    /** The hard family's look: the defaults, with what the user gave in their place. */
    private HardLook look(HardLook d) {
        double[] extent = {d.minExtent(), d.maxExtent()};
        if (objectExtent != null) {
            String[] parts = objectExtent.strip().split("-");
            try {
                if (parts.length != 2) {
                    throw new NumberFormatException();
                }
                extent = new double[] {Double.parseDouble(parts[0].strip()), Double.parseDouble(parts[1].strip())};
            } catch (NumberFormatException e) {
                throw new UserException("--object-extent: expected MIN-MAX shares of the shorter side, e.g. 0.2-0.6, got '"
                        + objectExtent + "'");
            }
        }
        List<HardLook.Pattern> kinds = d.patterns();
        if (patterns != null) {
            try {
                kinds = patterns.stream().map(HardLook.Pattern::byName).toList();
            } catch (IllegalArgumentException e) {
                throw new UserException("--patterns: " + e.getMessage());
            }
        }
        return new HardLook(extent[0], extent[1], or(maxTilt, d.maxTiltDegrees()), kinds, or(clutter, d.maxClutter()),
                or(clutterInFront, d.frontShare()));
    }

    private static <T> T or(T value, T fallback) {
        return value == null ? fallback : value;
    }

    /** The hard family's sides: MIN-MAX, or one number for a fixed square size. */
    static int[] parseSides(String size) {
        return pair(size.strip().split("-"), "--size: the hard family expects MIN-MAX or PIXELS, got '" + size + "'");
    }

    static int[] parseSize(String size) {
        return pair(size.toLowerCase(java.util.Locale.ROOT).split("x"),
                "--size: expected PIXELS or WIDTHxHEIGHT, got '" + size + "'");
    }

    /** One number (twice) or two numbers, else a user error with {@code message}. */
    private static int[] pair(String[] parts, String message) {
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
        throw new UserException(message);
    }
}
