package io.wiseseg.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wiseseg.data.AnnotatedImage;
import io.wiseseg.data.ClassSet;
import io.wiseseg.data.ImagePrediction;
import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.ProgressListener;
import io.wiseseg.data.VocDataset;
import io.wiseseg.eval.PseudoMaskDiagnostics;
import io.wiseseg.kernels.Device;
import io.wiseseg.kernels.PeakFinder;
import io.wiseseg.prm.PeakResponseMaps;
import io.wiseseg.prm.PeakStimulation;
import io.wiseseg.prm.PrmConfig;
import io.wiseseg.prm.PrmNetwork;
import io.wiseseg.proposals.ProposalSource;
import io.wiseseg.pseudo.ImageEvidence;
import io.wiseseg.pseudo.PrmEvidence;
import io.wiseseg.pseudo.PseudoLabeller;
import io.wiseseg.pseudo.RuleSettings;
import io.wiseseg.pseudo.Seed;
import io.wiseseg.pseudo.SelectionRule;
import io.wiseseg.pseudo.SelectionRules;
import io.wiseseg.util.AtomicFiles;
import io.wiseseg.util.Tensors;
import io.wiseseg.util.TorchRuntime;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * Pseudo-mask settings chosen without the scored split's masks: a small, seeded part of the
 * train split (the <em>tuning images</em>) is labelled under every candidate of a grid (rule ×
 * map blur × map fraction × proposal count × peak threshold × merge IoU × instance NMS), each
 * candidate's pseudo masks are scored against the tuning images' ground-truth masks with WISE's
 * protocol ({@link Evaluation}), and the best candidate labels the whole train split.
 *
 * <p>The classifier's evidence (peaks, peak response maps, class maps) and the proposals are
 * computed once per tuning image, at the lowest peak threshold of the grid, and every candidate's
 * cheap selection step runs on them; a higher threshold keeps the seeds above it, exactly the
 * seeds a classifier run at that threshold keeps (a labelled class without one keeps its
 * strongest). The tuning images' masks are the only masks read; the images themselves stay in
 * the train split (their pseudo masks, not their masks, train the Mask R-CNN).
 *
 * <p>Ranking ({@link Metric}): by default pseudo-mask AP50 first (the table's headline column,
 * and WISE's measure of the training targets); ties, common on a few images, go to AP25 (the
 * masks found the objects, which a Mask R-CNN can tighten), then AP75, then ABO, then the
 * candidate's place in the grid, where the run's own settings come first (a tie never moves away
 * from them). {@link Metric#F1} ranks by F1 of precision and object recall at IoU 0.5 first
 * (then as AP50 does): the Mask R-CNN learns from every pseudo mask alike, so how many are right
 * and how many objects they cover matter to it, their ranking (what AP rewards) does not.
 */
public final class SettingsSearch {
    /** The search's file in a run folder. */
    public static final String FILE = "tune.json";

    private SettingsSearch() {}

    /**
     * The candidates' axes; a rule reads only some of them, and candidates a rule cannot tell
     * apart (same rule description, merge, NMS and peak threshold) count once.
     *
     * @param rules          selection rule names
     * @param mapBlurs       best IoU's blur σ (fraction of the image's longer side; 0: the raw map at its mean)
     * @param mapFractions   best IoU's threshold as a fraction of the blurred map's maximum, in (0, 1)
     * @param proposalCounts best IoU's proposals considered (0: all)
     * @param peakThresholds classifier peaks kept above this
     * @param mergeIous      the merge of one class's overlapping seeds ({@link PseudoLabelling.Settings#NO_MERGE}: none)
     * @param instanceNms    PRM's instance NMS after the rule (a rule that needs it always has it)
     * @param classConflictIous one class per object ({@link PseudoLabelling.Settings#classConflictIou}; 0: none)
     */
    public record Grid(List<String> rules, List<Double> mapBlurs, List<Double> mapFractions,
            List<Integer> proposalCounts, List<Float> peakThresholds, List<Double> mergeIous, List<Boolean> instanceNms,
            List<Double> classConflictIous) {
        /** The axes' names in {@link #parse} and {@link #spec}. */
        static final List<String> KEYS = List.of("rule", "blur", "fraction", "proposals", "peak", "merge", "nms",
                "classes");
        /** The class-conflict axis of grids made before it existed: none. */
        static final List<Double> NO_CLASS_CONFLICTS = List.of(PseudoLabelling.Settings.NO_CLASS_CONFLICTS);

        public Grid {
            rules = distinct("rule", rules);
            mapBlurs = distinct("blur", mapBlurs);
            mapFractions = distinct("fraction", mapFractions);
            proposalCounts = distinct("proposals", proposalCounts);
            peakThresholds = distinct("peak", peakThresholds);
            mergeIous = distinct("merge", mergeIous);
            instanceNms = distinct("nms", instanceNms);
            classConflictIous = distinct("classes", classConflictIous);
            for (String r : rules) {
                if (!SelectionRules.names().contains(r)) {
                    throw new IllegalArgumentException("tuning grid: unknown rule '" + r + "'; one of "
                            + SelectionRules.names());
                }
            }
            for (double b : mapBlurs) {
                require(b >= 0 && b < 1, "blur", b, "in [0, 1)");
            }
            for (double f : mapFractions) {
                require(f > 0 && f < 1, "fraction", f, "in (0, 1)");
            }
            for (int p : proposalCounts) {
                require(p >= 0, "proposals", p, ">= 0 (0: all)");
            }
            for (float t : peakThresholds) {
                require(Float.isFinite(t), "peak", t, "finite");
            }
            for (double m : mergeIous) {
                require(m == PseudoLabelling.Settings.NO_MERGE || m > 0 && m <= 1, "merge", m, "in (0, 1], or 0 for none");
            }
            for (double c : classConflictIous) {
                require(c == PseudoLabelling.Settings.NO_CLASS_CONFLICTS || c > 0 && c <= 1, "classes", c,
                        "in (0, 1], or 0 for none");
            }
        }

        /** Without the class-conflict axis (none), as grids were before it existed. */
        public Grid(List<String> rules, List<Double> mapBlurs, List<Double> mapFractions, List<Integer> proposalCounts,
                List<Float> peakThresholds, List<Double> mergeIous, List<Boolean> instanceNms) {
            this(rules, mapBlurs, mapFractions, proposalCounts, peakThresholds, mergeIous, instanceNms,
                    NO_CLASS_CONFLICTS);
        }

        /**
         * The default grid: rules iou, wise and prm; blur 0.01, 0.02, 0.04; fraction 0.3, 0.5,
         * 0.7; proposals 100 and all; merge none and 0.5; no extra instance NMS; the peak
         * threshold the run was given (peak values scale with the classifier, a few units for a
         * small one from scratch, tens for ImageNet ResNet-50s, so no fixed list fits both: give
         * {@code peak=...} to search it). 40 candidates after the rules' duplicates: 36 of best
         * IoU, 2 each of best objectness and PRM retrieval.
         */
        public static Grid defaults(float peakThreshold) {
            return new Grid(List.of("iou", "wise", "prm"), List.of(0.01, 0.02, 0.04), List.of(0.3, 0.5, 0.7),
                    List.of(100, 0), List.of(peakThreshold), List.of(PseudoLabelling.Settings.NO_MERGE, 0.5),
                    List.of(false));
        }

        /**
         * {@code defaults} with the axes a spec names replaced, e.g.
         * {@code "rule=iou,wise;blur=0.02,0.04;peak=0,1;merge=0,0.5;nms=false,true"}; keys: rule,
         * blur, fraction, proposals, peak, merge, nms, classes (one class per object: 0 none, else the IoU).
         *
         * @throws IllegalArgumentException naming the part that is wrong
         */
        public static Grid parse(String spec, Grid defaults) {
            Map<String, List<String>> axes = new LinkedHashMap<>();
            for (String part : spec.split(";")) {
                if (part.isBlank()) {
                    continue;
                }
                int eq = part.indexOf('=');
                String key = eq < 0 ? part.strip() : part.substring(0, eq).strip();
                if (eq < 0 || !KEYS.contains(key)) {
                    throw new IllegalArgumentException("tuning grid: '" + part.strip() + "' is not KEY=V1,V2,... with KEY one of "
                            + KEYS);
                }
                if (axes.put(key, List.of(part.substring(eq + 1).split(",", -1)).stream().map(String::strip).toList()) != null) {
                    throw new IllegalArgumentException("tuning grid: '" + key + "' given twice");
                }
            }
            try {
                return new Grid(axes.containsKey("rule") ? axes.get("rule") : defaults.rules(),
                        values(axes, "blur", Double::parseDouble, defaults.mapBlurs()),
                        values(axes, "fraction", Double::parseDouble, defaults.mapFractions()),
                        values(axes, "proposals", Integer::parseInt, defaults.proposalCounts()),
                        values(axes, "peak", Float::parseFloat, defaults.peakThresholds()),
                        values(axes, "merge", Double::parseDouble, defaults.mergeIous()),
                        values(axes, "nms", SettingsSearch::parseBoolean, defaults.instanceNms()),
                        values(axes, "classes", Double::parseDouble, defaults.classConflictIous()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("tuning grid: " + e.getMessage());
            }
        }

        /**
         * The grid as {@link #parse} reads it back, every axis written out but the class-conflict
         * one when it is none (so that a run folder made before that axis existed stays valid).
         */
        public String spec() {
            List<List<?>> all = List.of(rules, mapBlurs, mapFractions, proposalCounts, peakThresholds, mergeIous, instanceNms,
                    classConflictIous);
            StringBuilder b = new StringBuilder();
            int axes = classConflictIous.equals(NO_CLASS_CONFLICTS) ? KEYS.size() - 1 : KEYS.size();
            for (int i = 0; i < axes; i++) {
                b.append(i == 0 ? "" : ";").append(KEYS.get(i)).append('=');
                b.append(String.join(",", all.get(i).stream().map(String::valueOf).toList()));
            }
            return b.toString();
        }

        /**
         * The candidates: {@code base} first, then the grid in axis order (rule outermost), each
         * with {@code base}'s seeds (image labels or not) and objectness settings; candidates that
         * label alike are dropped after their first.
         */
        public List<PseudoLabelling.Settings> candidates(PseudoLabelling.Settings base) {
            List<PseudoLabelling.Settings> all = new ArrayList<>(List.of(base));
            RuleSettings b = base.ruleSettings();
            for (String rule : rules) {
                for (double blur : mapBlurs) {
                    for (double fraction : mapFractions) {
                        for (int count : proposalCounts) {
                            for (float peak : peakThresholds) {
                                for (double merge : mergeIous) {
                                    for (boolean nms : instanceNms) {
                                        for (double classes : classConflictIous) {
                                            all.add(new PseudoLabelling.Settings(rule, new RuleSettings(
                                                    b.objectnessThreshold(), b.singlePoint(), blur, fraction, count),
                                                    peak, base.imageLabels(), nms, merge, classes));
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            Set<String> seen = new HashSet<>();
            List<PseudoLabelling.Settings> out = new ArrayList<>();
            for (PseudoLabelling.Settings s : all) {
                if (seen.add(describe(s))) {
                    out.add(s);
                }
            }
            return out;
        }

        private static <T> List<T> distinct(String key, List<T> xs) {
            if (xs == null || xs.isEmpty()) {
                throw new IllegalArgumentException("tuning grid: '" + key + "' needs at least one value");
            }
            return List.copyOf(new LinkedHashSet<>(xs));
        }

        private static void require(boolean ok, String key, Object value, String what) {
            if (!ok) {
                throw new IllegalArgumentException("tuning grid: " + key + " must be " + what + ", got " + value);
            }
        }

        private static <T> List<T> values(Map<String, List<String>> axes, String key, Function<String, T> parse,
                List<T> otherwise) {
            if (!axes.containsKey(key)) {
                return otherwise;
            }
            List<T> out = new ArrayList<>();
            for (String v : axes.get(key)) {
                try {
                    out.add(parse.apply(v));
                } catch (IllegalArgumentException e) {
                    throw new NumberFormatException(key + " value '" + v + "' is not a "
                            + (key.equals("nms") ? "boolean (true or false)" : "number"));
                }
            }
            return out;
        }
    }

    private static boolean parseBoolean(String s) {
        return switch (s) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(s);
        };
    }

    /** What ranks the candidates: the first key; ties go to AP50, AP25, AP75, ABO, then grid order. */
    public enum Metric {
        /** The pseudo masks' AP50 on the tuning images (the default). */
        AP50(Comparator.comparingDouble(Row::ap50).reversed()),
        /** F1 of the pseudo masks' precision and object recall at IoU 0.5 ({@link PseudoMaskDiagnostics#f1}). */
        F1(Comparator.comparingDouble(Row::f1).reversed().thenComparing(Comparator.comparingDouble(Row::ap50).reversed()));

        private final Comparator<Row> ranking;

        Metric(Comparator<Row> first) {
            ranking = first.thenComparing(Comparator.comparingDouble(Row::ap25).reversed())
                    .thenComparing(Comparator.comparingDouble(Row::ap75).reversed())
                    .thenComparing(Comparator.comparingDouble(Row::abo).reversed())
                    .thenComparingInt(Row::candidate);
        }

        /** Best first. */
        public Comparator<Row> ranking() {
            return ranking;
        }

        /** The word run.json, tune.json and the CLI use: {@code ap50} or {@code f1}. */
        public String word() {
            return name().toLowerCase(Locale.ROOT);
        }

        /**
         * The metric a {@link #word} names.
         *
         * @throws IllegalArgumentException naming the words there are
         */
        public static Metric of(String word) {
            for (Metric m : values()) {
                if (m.word().equals(word)) {
                    return m;
                }
            }
            throw new IllegalArgumentException("unknown tuning metric '" + word + "'; one of ap50, f1");
        }
    }

    /**
     * What a run searches.
     *
     * @param fraction the share of the train split's images whose masks choose the settings, in
     *                 (0, 1]; 0: no search (the run's own settings)
     * @param grid     the candidates (ignored when off)
     * @param metric   what ranks them
     */
    public record Options(double fraction, Grid grid, Metric metric) {
        /** No search. */
        public static final Options OFF = new Options(0, null);
        /** The share of the train split that {@code wiseseg run}, {@code demo} and {@link WiseRun} tune on by default. */
        public static final double DEFAULT_FRACTION = 0.1;

        /**
         * The default search: {@link #DEFAULT_FRACTION} of the train split, the {@link Grid#defaults}
         * at the run's peak threshold.
         */
        public static Options defaults(float peakThreshold) {
            return new Options(DEFAULT_FRACTION, Grid.defaults(peakThreshold));
        }

        /** Ranked by {@link Metric#AP50}. */
        public Options(double fraction, Grid grid) {
            this(fraction, grid, Metric.AP50);
        }

        public Options {
            Objects.requireNonNull(metric, "metric");
            if (!(fraction >= 0 && fraction <= 1)) {
                throw new IllegalArgumentException("the tuning fraction must be in (0, 1], or 0 for none; got " + fraction);
            }
            if (fraction > 0 && grid == null) {
                throw new IllegalArgumentException("a tuning fraction needs a grid");
            }
        }

        public boolean enabled() {
            return fraction > 0;
        }
    }

    /**
     * One candidate's scores on the tuning images: WISE's protocol in percent, and the pseudo
     * masks' precision, object recall and their F1 at IoU 0.5 as fractions
     * ({@link PseudoMaskDiagnostics}; NaN in a search written before they were recorded).
     *
     * @param candidate   its place in the candidate list (0: the run's own settings)
     * @param description the rule, merge and NMS in words (as the pseudo masks' SETTINGS file) and the peak threshold
     */
    public record Row(int candidate, PseudoLabelling.Settings settings, String description, double ap25, double ap50,
            double ap75, double abo, double precision, double recall, double f1) {
        /** Without precision, recall and F1 (NaN). */
        public Row(int candidate, PseudoLabelling.Settings settings, String description, double ap25, double ap50,
                double ap75, double abo) {
            this(candidate, settings, description, ap25, ap50, ap75, abo, Double.NaN, Double.NaN, Double.NaN);
        }
    }

    /**
     * A search's outcome.
     *
     * @param fraction the share of the train split tuned on
     * @param seed     the seed that chose the images
     * @param grid     the grid ({@link Grid#spec})
     * @param metric   what ranked the candidates
     * @param imageIds the tuning images
     * @param ranked   every candidate, best first
     */
    public record Result(double fraction, long seed, String grid, Metric metric, List<String> imageIds,
            List<Row> ranked) {
        public Result {
            Objects.requireNonNull(metric, "metric");
            imageIds = List.copyOf(imageIds);
            ranked = List.copyOf(ranked);
        }

        /** The chosen settings. */
        public PseudoLabelling.Settings best() {
            return ranked.getFirst().settings();
        }

        /** The table as text, the best {@code top} rows (and the run's own settings if below them). */
        public List<String> lines(int top) {
            List<String> out = new ArrayList<>();
            out.add(String.format(Locale.ROOT, "%4s %6s %6s %6s %6s %6s %6s %6s  %s", "rank", "AP25", "AP50", "AP75",
                    "ABO", "P %", "R %", "F1 %", "settings (* = the run's own)"));
            for (int i = 0; i < ranked.size(); i++) {
                Row r = ranked.get(i);
                if (i < top || r.candidate() == 0) {
                    out.add(String.format(Locale.ROOT, "%4d %6.1f %6.1f %6.1f %6.1f %6.1f %6.1f %6.1f  %s%s", i + 1,
                            r.ap25(), r.ap50(), r.ap75(), r.abo(), 100 * r.precision(), 100 * r.recall(),
                            100 * r.f1(), r.candidate() == 0 ? "* " : "", r.description()));
                }
            }
            return out;
        }

        /** A section of the run's HTML report. */
        String html() {
            StringBuilder h = new StringBuilder();
            h.append("<h2>Pseudo-mask settings chosen on ").append(imageIds.size())
                    .append(" tuning images of the train split</h2>\n<p>")
                    .append(RunReport.esc(String.format(Locale.ROOT, "A seeded %.0f %% of the train split (seed %d); "
                            + "their ground-truth masks score each candidate's pseudo masks (WISE's protocol, and "
                            + "precision, object recall and their F1 at IoU 0.5; ranked by %s, then AP25, AP75, ABO). "
                            + "The chosen settings label the train and scored splits; the scored split's masks play "
                            + "no part in the choice. Grid: %s.", 100 * fraction, seed,
                            metric == Metric.F1 ? "F1, then AP50" : "AP50", grid)))
                    .append("</p>\n<table>\n<tr><th>rank</th><th>AP25</th><th>AP50</th><th>AP75</th><th>ABO</th>"
                            + "<th>P %</th><th>R %</th><th>F1 %</th><th>settings (* = the run's own)</th></tr>\n");
            for (int i = 0; i < ranked.size(); i++) {
                Row r = ranked.get(i);
                h.append("<tr><td class=\"n\">").append(i + 1).append("</td>");
                for (double x : new double[] {r.ap25(), r.ap50(), r.ap75(), r.abo(), 100 * r.precision(),
                    100 * r.recall(), 100 * r.f1()}) {
                    h.append("<td class=\"n\">").append(String.format(Locale.ROOT, "%.1f", x)).append("</td>");
                }
                h.append("<td>").append(r.candidate() == 0 ? "* " : "").append(RunReport.esc(r.description()))
                        .append("</td></tr>\n");
            }
            return h.append("</table>\n").toString();
        }

        public ObjectNode toJson() {
            ObjectMapper json = new ObjectMapper();
            ObjectNode o = json.createObjectNode();
            o.put("fraction", fraction).put("seed", seed).put("grid", grid).put("metric", metric.word());
            ArrayNode ids = o.putArray("images");
            imageIds.forEach(ids::add);
            o.set("chosen", settingsJson(best()));
            ArrayNode rows = o.putArray("ranked");
            for (Row r : ranked) {
                ObjectNode n = rows.addObject();
                n.put("candidate", r.candidate()).put("description", r.description()).put("ap25", r.ap25())
                        .put("ap50", r.ap50()).put("ap75", r.ap75()).put("abo", r.abo());
                if (Double.isFinite(r.f1())) { // a search read from before they were recorded has none
                    n.put("precision", r.precision()).put("recall", r.recall()).put("f1", r.f1());
                }
                n.set("settings", settingsJson(r.settings()));
            }
            return o;
        }

        public void write(Path file) throws IOException {
            ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            AtomicFiles.write(file, tmp -> json.writeValue(tmp.toFile(), toJson()));
        }

        /**
         * Reads a {@link #write} file.
         *
         * @throws IOException naming the file when it is not one
         */
        public static Result read(Path file) throws IOException {
            try {
                JsonNode o = new ObjectMapper().readTree(file.toFile());
                List<String> ids = new ArrayList<>();
                o.get("images").forEach(n -> ids.add(n.asText()));
                List<Row> rows = new ArrayList<>();
                for (JsonNode n : o.get("ranked")) {
                    rows.add(new Row(n.get("candidate").asInt(), settingsFrom(n.get("settings")),
                            n.get("description").asText(), n.get("ap25").asDouble(), n.get("ap50").asDouble(),
                            n.get("ap75").asDouble(), n.get("abo").asDouble(), n.path("precision").asDouble(Double.NaN),
                            n.path("recall").asDouble(Double.NaN), n.path("f1").asDouble(Double.NaN)));
                }
                if (rows.isEmpty()) {
                    throw new IllegalArgumentException("no candidates");
                }
                // searches written before the metric was recorded ranked by AP50
                Metric metric = Metric.of(o.path("metric").asText(Metric.AP50.word()));
                return new Result(o.get("fraction").asDouble(), o.get("seed").asLong(), o.get("grid").asText(), metric,
                        ids, rows);
            } catch (IOException | RuntimeException e) {
                throw new IOException(file + ": not a settings search's " + FILE + " (" + e.getMessage() + ")", e);
            }
        }
    }

    /** Pseudo-labelling settings as JSON (every field, -Infinity as a string). */
    static ObjectNode settingsJson(PseudoLabelling.Settings s) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode o = json.createObjectNode();
        RuleSettings r = s.ruleSettings();
        o.put("rule", s.rule());
        ObjectNode rs = o.putObject("ruleSettings");
        rs.put("objectnessThreshold", Double.toString(r.objectnessThreshold())).put("singlePoint", r.singlePoint())
                .put("mapBlur", r.mapBlur()).put("mapFraction", r.mapFraction()).put("proposalCount", r.proposalCount());
        o.put("peakThreshold", s.peakThreshold()).put("imageLabels", s.imageLabels())
                .put("instanceNms", s.instanceNms()).put("mergeIou", s.mergeIou());
        if (s.classConflictIou() != PseudoLabelling.Settings.NO_CLASS_CONFLICTS) { // absent: as before the setting existed
            o.put("classConflictIou", s.classConflictIou());
        }
        return o;
    }

    static PseudoLabelling.Settings settingsFrom(JsonNode o) {
        JsonNode r = o.get("ruleSettings");
        return new PseudoLabelling.Settings(o.get("rule").asText(), new RuleSettings(
                Double.parseDouble(r.get("objectnessThreshold").asText()), r.get("singlePoint").asBoolean(),
                r.get("mapBlur").asDouble(), r.get("mapFraction").asDouble(), r.get("proposalCount").asInt()),
                (float) o.get("peakThreshold").asDouble(), o.get("imageLabels").asBoolean(),
                o.get("instanceNms").asBoolean(), o.get("mergeIou").asDouble(),
                o.path("classConflictIou").asDouble(PseudoLabelling.Settings.NO_CLASS_CONFLICTS));
    }

    /** A candidate in words: its labeller's description and its peak threshold (equal words: equal pseudo masks). */
    static String describe(PseudoLabelling.Settings s) {
        return PseudoLabelling.labeller(s).description()
                + String.format(Locale.ROOT, "; peaks > %s", Float.toString(s.peakThreshold()));
    }

    /**
     * The tuning images: {@code fraction} of {@code trainSplit}'s images (at least one), drawn by
     * {@code seed}, never an image of {@code evalSplit}; in the train split's order.
     *
     * @throws IllegalArgumentException for a fraction outside (0, 1] or a train split with no image outside evalSplit
     */
    public static List<LabelledImage> tuningImages(VocDataset voc, String trainSplit, String evalSplit, double fraction,
            long seed) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("the tuning fraction must be in (0, 1], got " + fraction);
        }
        Set<String> scored = new HashSet<>(voc.ids(evalSplit));
        List<LabelledImage> pool = voc.labelled(trainSplit).stream().filter(i -> !scored.contains(i.id())).toList();
        if (pool.isEmpty()) {
            throw new IllegalArgumentException(voc.root() + ": the " + trainSplit + " split has no image outside "
                    + evalSplit + " to tune on");
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < pool.size(); i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(seed));
        int n = (int) Math.clamp(Math.round(fraction * pool.size()), 1, pool.size());
        List<Integer> chosen = new ArrayList<>(order.subList(0, n));
        Collections.sort(chosen);
        return chosen.stream().map(pool::get).toList();
    }

    /**
     * Searches {@code grid} (plus {@code base}, first) on the tuning images of a run with a
     * trained classifier; loads LibTorch itself.
     */
    public static Result search(VocDataset voc, PrmNetwork network, PrmConfig config, ProposalSource proposals,
            PseudoLabelling.Settings base, Grid grid, Metric metric, List<LabelledImage> images, double fraction,
            long seed, ProgressListener listener) {
        TorchRuntime.ensureLoaded();
        List<PseudoLabelling.Settings> candidates = grid.candidates(base);
        float lowest = evidenceThreshold(candidates);
        SelectionRule.Evidence needs = SelectionRule.Evidence.PEAK_RESPONSE_MAPS; // seeds at the maps' maxima
        for (PseudoLabelling.Settings c : candidates) {
            if (c.needs(SelectionRules.create(c.rule(), c.ruleSettings()).evidence()) == SelectionRule.Evidence.CLASS_MAPS) {
                needs = SelectionRule.Evidence.CLASS_MAPS;
            }
        }
        PeakResponseMaps prm = new PeakResponseMaps(network, new PeakStimulation(new PeakFinder(Device.ofModule(network))),
                PeakResponseMaps.DEFAULT_CLASS_THRESHOLD, lowest);
        PrmEvidence evidence = new PrmEvidence(voc, network, prm, config.imageSize(), proposals, needs,
                PrmEvidence.Point.RESPONSE_MAX, base.imageLabels());
        Result r = search(images, evidence, voc::annotate, voc.classes(), candidates, metric, listener);
        return new Result(fraction, seed, grid.spec(), metric, r.imageIds(), r.ranked());
    }

    /** The lowest peak threshold among {@code candidates}: the one the evidence is computed at. */
    static float evidenceThreshold(List<PseudoLabelling.Settings> candidates) {
        float lowest = Float.POSITIVE_INFINITY;
        for (PseudoLabelling.Settings c : candidates) {
            lowest = Math.min(lowest, c.peakThreshold());
        }
        return lowest;
    }

    /**
     * The search itself: each image's evidence once, every candidate's selection on it, then
     * each candidate scored against the images' masks and the candidates ranked. The evidence
     * must hold every seed of the lowest candidate peak threshold and everything the candidates'
     * rules read; seeds are filtered per candidate ({@link #atThreshold}, image-label seeds as
     * {@code candidates.get(0).imageLabels()} says).
     *
     * @param truth  the ground truth of a tuning image (the only masks read)
     * @param metric what ranks the candidates
     */
    public static Result search(List<LabelledImage> images, PseudoLabeller.EvidenceSource evidence,
            Function<LabelledImage, AnnotatedImage> truth, ClassSet classes, List<PseudoLabelling.Settings> candidates,
            Metric metric, ProgressListener listener) {
        if (images.isEmpty() || candidates.isEmpty()) {
            throw new IllegalArgumentException("a search needs tuning images and candidates, got " + images.size()
                    + " and " + candidates.size());
        }
        float lowest = evidenceThreshold(candidates);
        List<PseudoLabeller> labellers = candidates.stream().map(PseudoLabelling::labeller).toList();
        List<List<ImagePrediction>> predictions = new ArrayList<>();
        candidates.forEach(c -> predictions.add(new ArrayList<>()));
        List<AnnotatedImage> gt = new ArrayList<>();
        String task = "tuning: " + candidates.size() + " candidate settings";
        listener.progress(task, 0, images.size());
        int done = 0;
        for (LabelledImage image : images) {
            try (PointerScope scope = new PointerScope()) {
                ImageEvidence e = evidence.evidence(image);
                for (int c = 0; c < candidates.size(); c++) {
                    PseudoLabelling.Settings s = candidates.get(c);
                    ImageEvidence mine = s.peakThreshold() > lowest ? atThreshold(e, s.peakThreshold(), s.imageLabels()) : e;
                    predictions.get(c).add(labellers.get(c).label(mine));
                }
            } catch (IOException ex) {
                throw new java.io.UncheckedIOException(ex);
            }
            gt.add(truth.apply(image));
            listener.progress(task, ++done, images.size());
        }
        List<Row> rows = new ArrayList<>();
        for (int c = 0; c < candidates.size(); c++) {
            Evaluation ev = Evaluation.of(gt, predictions.get(c), classes);
            PseudoMaskDiagnostics d = Evaluation.pseudoMaskDiagnostics(gt, predictions.get(c), classes);
            rows.add(new Row(c, candidates.get(c), describe(candidates.get(c)), ev.ap25(), ev.ap50(), ev.ap75(), ev.abo(),
                    d.precisionOrZero(), d.recallOrZero(), d.f1()));
        }
        rows.sort(metric.ranking());
        return new Result(0, 0, "", metric, images.stream().map(LabelledImage::id).toList(), rows);
    }

    /**
     * {@code e} with only the seeds a classifier run at {@code threshold} keeps: those above it,
     * and with image labels, for a class with none above it, its strongest (the first of equals),
     * as {@link PeakResponseMaps} keeps them; their response maps with them.
     */
    static ImageEvidence atThreshold(ImageEvidence e, float threshold, boolean imageLabels) {
        List<Seed> seeds = e.seeds();
        Map<Integer, Integer> strongest = new LinkedHashMap<>();
        Set<Integer> classesAbove = new HashSet<>();
        for (int k = 0; k < seeds.size(); k++) {
            Seed s = seeds.get(k);
            Integer best = strongest.get(s.classId());
            if (best == null || s.value() > seeds.get(best).value()) {
                strongest.put(s.classId(), k);
            }
            if (s.value() > threshold) {
                classesAbove.add(s.classId());
            }
        }
        List<Integer> keep = new ArrayList<>();
        for (int k = 0; k < seeds.size(); k++) {
            Seed s = seeds.get(k);
            if (s.value() > threshold
                    || imageLabels && !classesAbove.contains(s.classId()) && strongest.get(s.classId()) == k) {
                keep.add(k);
            }
        }
        if (keep.size() == seeds.size()) {
            return e;
        }
        long[] idx = keep.stream().mapToLong(Integer::longValue).toArray();
        Tensor maps = e.peakResponseMaps() == null ? null
                : e.peakResponseMaps().index_select(0, Tensors.longs(idx, idx.length)).contiguous();
        return new ImageEvidence(e.imageId(), e.height(), e.width(), keep.stream().map(seeds::get).toList(), maps,
                e.classMaps(), e.proposals(), e.voidMask());
    }

    /** The run's lines about a search: the choice, then the best five candidates and the run's own settings. */
    static void report(Result r, String trainSplit, Path file, RunListener listener) {
        Row best = r.ranked().getFirst();
        String score = r.metric() == Metric.F1
                ? String.format(Locale.ROOT, "best F1 %.1f %% (AP50 %.1f)", 100 * best.f1(), best.ap50())
                : String.format(Locale.ROOT, "best %.1f AP50", best.ap50());
        listener.stageDone(String.format(Locale.ROOT, "2b/5 pseudo-mask settings chosen on %d tuning images (%.0f %% "
                + "of %s, their GT masks only): %d candidates, %s: %s; table in %s", r.imageIds().size(),
                100 * r.fraction(), trainSplit, r.ranked().size(), score, best.description(), file));
        r.lines(5).forEach(line -> listener.stageDone("    " + line));
    }

    /**
     * The search of a run, resumable: {@code dir/tune.json} when it holds this search (same
     * fraction, seed, grid and images), else searched now and written there.
     */
    static Result inRun(VocDataset voc, String trainSplit, String evalSplit, long seed, PseudoLabelling.Settings base,
            Options options, PrmNetwork network, PrmConfig config, ProposalSource proposals, Path dir,
            ProgressListener listener) throws IOException {
        List<LabelledImage> images = tuningImages(voc, trainSplit, evalSplit, options.fraction(), seed);
        Path file = dir.resolve(FILE);
        String spec = options.grid().spec();
        if (Files.isRegularFile(file)) {
            Result have = Result.read(file);
            if (have.fraction() == options.fraction() && have.seed() == seed && have.grid().equals(spec)
                    && have.metric() == options.metric()
                    && have.imageIds().equals(images.stream().map(LabelledImage::id).toList())
                    && have.ranked().stream().anyMatch(r -> r.candidate() == 0 && r.settings().equals(base))) {
                return have;
            }
        }
        Result r = search(voc, network, config, proposals, base, options.grid(), options.metric(), images,
                options.fraction(), seed, listener);
        r.write(file);
        return r;
    }
}
