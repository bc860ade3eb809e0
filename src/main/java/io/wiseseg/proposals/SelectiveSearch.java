package io.wiseseg.proposals;

import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.Mask;
import io.wiseseg.data.RgbImage;
import io.wiseseg.util.Trace;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.opencv.global.opencv_ximgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_ximgproc.GraphSegmentation;

/**
 * Selective search mask proposals (Uijlings et al. 2013), computed in process. OpenCV's ximgproc
 * gives only boxes, so only its graph segmentation (Felzenszwalb-Huttenlocher) is used; the
 * hierarchical grouping is ours and keeps each region's mask.
 *
 * <p>For every colour space × k the image is over-segmented; for every strategy the superpixels
 * are grouped greedily ({@link HierarchicalGrouping}). Ranking follows the paper (§3.3): within a
 * hierarchy the last region formed (the whole image) has index 1, the one before 2, and so on;
 * a region's priority is its index times a uniform random number, and all hierarchies' regions
 * are sorted by priority, ascending. Duplicates (identical masks) keep their best rank, and at
 * most {@code maxProposals} are kept. The score of the i-th of n kept proposals is 1 - i/n, a
 * rank in (0, 1], so WISE's "score > 0.5" keeps the better half. The random numbers come from
 * a fixed seed: the same image always gives the same proposals.
 *
 * <p>Modes follow OpenCV's (k is the graph segmentation's scale and minimum region size, sigma
 * 0.8): {@link Options#fast()} = HSV, Lab × k 150, 300 × strategies {colour+texture+size+fill,
 * texture+size+fill}; {@link Options#quality()} = HSV, Lab, intensity, hue, rgI × k 150, 300,
 * 450, 600 × those two plus {fill} and {size}; {@link Options#single()} = HSV, k 200, all four.
 */
public final class SelectiveSearch implements ProposalSource {
    private static final String CATEGORY = "proposals";

    /** Settings; the mode factories give the paper's / OpenCV's diversification sets. */
    public record Options(String mode, List<ColourSpace> colourSpaces, List<Integer> ks,
            List<Set<Similarity>> strategies, double sigma, int maxProposals, long seed) {
        public Options {
            colourSpaces = List.copyOf(colourSpaces);
            ks = List.copyOf(ks);
            if (strategies.stream().anyMatch(Set::isEmpty)) {
                throw new IllegalArgumentException("a selective search strategy needs at least one similarity");
            }
            strategies = strategies.stream().map(s -> Set.copyOf(EnumSet.copyOf(s))).toList();
            if (colourSpaces.isEmpty() || ks.isEmpty() || strategies.isEmpty()) {
                throw new IllegalArgumentException("selective search needs a colour space, a k and a strategy");
            }
            if (maxProposals < 1) {
                throw new IllegalArgumentException("maxProposals must be >= 1, got " + maxProposals);
            }
        }

        private static final Set<Similarity> ALL = EnumSet.allOf(Similarity.class);
        private static final Set<Similarity> TSF = EnumSet.of(Similarity.TEXTURE, Similarity.SIZE, Similarity.FILL);

        public static Options fast() {
            return new Options("fast", List.of(ColourSpace.HSV, ColourSpace.LAB), List.of(150, 300),
                    List.of(ALL, TSF), 0.8, 2000, 0);
        }

        public static Options quality() {
            return new Options("quality", List.of(ColourSpace.HSV, ColourSpace.LAB, ColourSpace.INTENSITY,
                    ColourSpace.HUE, ColourSpace.RGI), List.of(150, 300, 450, 600),
                    List.of(ALL, TSF, EnumSet.of(Similarity.FILL), EnumSet.of(Similarity.SIZE)), 0.8, 2000, 0);
        }

        public static Options single() {
            return new Options("single", List.of(ColourSpace.HSV), List.of(200), List.of(ALL), 0.8, 2000, 0);
        }

        public Options withMaxProposals(int n) {
            return new Options(mode, colourSpaces, ks, strategies, sigma, n, seed);
        }
    }

    private record Candidate(double priority, int unit, int region) {}

    private final Options options;

    public SelectiveSearch(Options options) {
        this.options = options;
    }

    public Options options() {
        return options;
    }

    @Override
    public List<Proposal> proposals(LabelledImage image, Supplier<RgbImage> pixels) {
        RgbImage rgb = pixels.get();
        if (rgb.width() != image.width() || rgb.height() != image.height()) {
            throw new IllegalArgumentException("image " + image.id() + " is recorded as " + image.width() + "x"
                    + image.height() + " but its pixels are " + rgb.width() + "x" + rgb.height());
        }
        return compute(rgb);
    }

    /** The proposals of one image, best first. */
    public List<Proposal> compute(RgbImage image) {
        int h = image.height(), w = image.width();
        if (h == 0 || w == 0) {
            return List.of();
        }
        int spaces = options.colourSpaces.size(), ks = options.ks.size(), strategies = options.strategies.size();
        PixelBins[] bins = new PixelBins[spaces];
        int[][][] labels = new int[spaces][ks][];
        // the over-segmentations are independent: one task per colour space, k
        Trace.Span span = Trace.span("superpixels", CATEGORY);
        IntStream.range(0, spaces).parallel().forEach(s -> {
            ColourSpace space = options.colourSpaces.get(s);
            Mat converted = space.convert(image);
            bins[s] = PixelBins.of(space.pixels(converted), space.channels(), h, w);
            for (int k = 0; k < ks; k++) {
                labels[s][k] = segment(converted, options.ks.get(k), h, w);
            }
            converted.close();
        });
        span.close();
        span = Trace.span("grouping", CATEGORY);
        int units = spaces * ks * strategies;
        Superpixels[] superpixels = new Superpixels[spaces * ks];
        HierarchicalGrouping.Hierarchy[] hierarchies = new HierarchicalGrouping.Hierarchy[units];
        IntStream.range(0, spaces * ks).parallel().forEach(sk -> {
            int[] lab = labels[sk / ks][sk % ks];
            int count = Arrays.stream(lab).max().orElse(-1) + 1;
            superpixels[sk] = Superpixels.of(lab, count, h, w, bins[sk / ks]);
            for (int st = 0; st < strategies; st++) {
                hierarchies[sk * strategies + st] = HierarchicalGrouping.group(superpixels[sk],
                        options.strategies.get(st));
            }
        });
        span.close();
        span = Trace.span("ranking", CATEGORY); // the hierarchies' regions in the paper's order, as masks
        List<Candidate> candidates = new ArrayList<>();
        for (int u = 0; u < units; u++) {
            Random random = new Random(options.seed * 1_000_003L + u);
            int regions = hierarchies[u].regions();
            for (int r = 0; r < regions; r++) {
                candidates.add(new Candidate((regions - r) * random.nextDouble(), u, r));
            }
        }
        candidates.sort((a, b) -> a.priority != b.priority ? Double.compare(a.priority, b.priority)
                : a.unit != b.unit ? Integer.compare(a.unit, b.unit) : Integer.compare(a.region, b.region));
        List<Mask> kept = new ArrayList<>();
        Set<Mask> seen = new HashSet<>();
        int wpr = Mask.wordsPerRow(w);
        for (Candidate c : candidates) {
            if (kept.size() >= options.maxProposals) {
                break;
            }
            Superpixels sp = superpixels[c.unit / strategies];
            long[] words = new long[h * wpr];
            for (int leaf : hierarchies[c.unit].leavesOf(c.region)) {
                sp.orInto(leaf, words);
            }
            Mask m = new Mask(h, w, words);
            if (seen.add(m)) {
                kept.add(m);
            }
        }
        List<Proposal> out = new ArrayList<>(kept.size());
        for (int i = 0; i < kept.size(); i++) {
            out.add(new Proposal(kept.get(i), 1f - (float) i / kept.size()));
        }
        span.close();
        return out;
    }

    /** Graph segmentation labels, renumbered 0..n-1 in raster order of first appearance. */
    private int[] segment(Mat converted, int k, int h, int w) {
        int[] raw = new int[h * w];
        try (GraphSegmentation gs = opencv_ximgproc.createGraphSegmentation(options.sigma, k, k);
                Mat out = new Mat()) {
            gs.processImage(converted, out);
            new IntPointer(out.data()).get(raw);
        }
        int max = Arrays.stream(raw).max().orElse(-1);
        int[] map = new int[max + 1];
        Arrays.fill(map, -1);
        int next = 0;
        for (int i = 0; i < raw.length; i++) {
            int l = raw[i];
            if (map[l] < 0) {
                map[l] = next++;
            }
            raw[i] = map[l];
        }
        return raw;
    }

    @Override
    public String description() {
        return "selective-search " + options.mode + " spaces=" + options.colourSpaces + " k=" + options.ks
                + " strategies=" + options.strategies.stream().map(s -> new java.util.TreeSet<>(s).toString()).toList()
                + " sigma=" + options.sigma + " max=" + options.maxProposals + " seed=" + options.seed;
    }
}
