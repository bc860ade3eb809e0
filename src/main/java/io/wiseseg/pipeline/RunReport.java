package io.wiseseg.pipeline;

import io.wiseseg.eval.ProposalRecall;
import io.wiseseg.eval.PseudoMaskDiagnostics;
import io.wiseseg.prm.IsolatedObjects;
import io.wiseseg.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The demo's HTML report: its settings, the metrics table, what the table says about WISE's
 * claim, the time each stage took, and the overlay PNGs (ground truth next to each method).
 */
final class RunReport {
    private RunReport() {}

    /**
     * @param table       per row: AP25, AP50, AP75 and ABO, in percent
     * @param pseudoMasks the scored split's pseudo masks against its objects, or null
     * @param panelTitles the titles of the overlay PNGs' panels, left to right
     * @param overlays    the overlay PNGs, each a sibling's descendant of the report file
     * @param trainingMasks per self-training round (from round 0), its training masks against the
     *                    training split's objects; empty without rounds
     */
    record Content(String title, Map<String, Object> settings, Map<String, double[]> table, List<String> findings,
            PseudoMaskDiagnostics pseudoMasks, Map<String, Double> stageSeconds, List<String> panelTitles, List<Path> overlays,
            Map<String, PseudoMaskDiagnostics> trainingMasks) {
        /** Without self-training rounds. */
        Content(String title, Map<String, Object> settings, Map<String, double[]> table, List<String> findings,
                PseudoMaskDiagnostics pseudoMasks, Map<String, Double> stageSeconds, List<String> panelTitles,
                List<Path> overlays) {
            this(title, settings, table, findings, pseudoMasks, stageSeconds, panelTitles, overlays, Map.of());
        }
    }

    /**
     * What the table says about WISE's claim (the Mask R-CNN trained on pseudo masks beats the
     * pseudo masks) and about the gap to the fully supervised model, in AP50; the claim is
     * reported as it came out, held or not.
     */
    static List<String> findings(Map<String, double[]> table, String pseudoRow, String wiseRow, String upperRow) {
        List<String> out = new ArrayList<>();
        double pseudo = table.get(pseudoRow)[1], wise = table.get(wiseRow)[1];
        out.add(String.format(Locale.ROOT, "WISE's claim, %s beats its own training masks at AP50: %s (%.1f vs %.1f, %+.1f)",
                "the Mask R-CNN trained on pseudo masks", wise > pseudo ? "holds" : "does NOT hold here", wise, pseudo,
                wise - pseudo));
        if (upperRow != null) {
            double upper = table.get(upperRow)[1];
            out.add(String.format(Locale.ROOT,
                    "Gap to full supervision at AP50: %.1f (WISE %.1f vs the same Mask R-CNN on GT masks %.1f; %.0f%% of it)",
                    upper - wise, wise, upper, upper > 0 ? 100 * wise / upper : Double.NaN));
        }
        return out;
    }

    /**
     * What the split's proposals allow next to what the pseudo masks reached: object recall at IoU
     * 0.5 of a perfect picker among each image's first 100 proposals and among all of them, against
     * the pseudo masks' own (same IoU, the class required of the pseudo masks only).
     */
    static String proposalFinding(String split, List<ProposalRecall> ceiling, PseudoMaskDiagnostics pseudo) {
        ProposalRecall first = ceiling.get(0), all = ceiling.get(ceiling.size() - 1);
        return String.format(Locale.ROOT, "Proposals: %.1f%% of the %s objects have one at mask IoU >= %.1f among "
                + "their image's first %d (%.1f%% among all); the pseudo masks hit %.1f%% of them",
                100 * first.recall(), split, PseudoMaskDiagnostics.IOU, first.limit(), 100 * all.recall(),
                100 * pseudo.recall());
    }

    /** Whether the run's classifier names the split's objects when it sees each alone ({@link IsolatedObjects}). */
    static String classifierFinding(String split, IsolatedObjects alone) {
        return String.format(Locale.ROOT, "Classifier: shown alone (outside its box the mean colour), %.1f%% of the %s "
                + "objects get their class scored highest of all %d classes (chance %.1f%%), %.1f%% of their image's "
                + "labels (chance %.1f%%)", 100 * alone.accuracy(), split, alone.classes(), 100 * alone.chance(),
                100 * alone.accuracyAmongLabels(), 100 * alone.chanceAmongLabelsShare());
    }

    static void write(Path file, Content c) throws IOException {
        write(file, c, List.of());
    }

    /** With {@code sections}, HTML fragments (escaped by their makers), after the pseudo masks' section. */
    static void write(Path file, Content c, List<String> sections) throws IOException {
        StringBuilder h = new StringBuilder();
        h.append("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>").append(esc(c.title()))
                .append("</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:1400px}"
                        + "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 10px}"
                        + "td.n{text-align:right;font-variant-numeric:tabular-nums}img{max-width:100%}"
                        + ".panels{display:flex;gap:8px;font-size:90%;color:#444}</style></head><body>\n");
        h.append("<h1>").append(esc(c.title())).append("</h1>\n<table>\n");
        c.settings().forEach((k, v) -> h.append("<tr><th>").append(esc(k)).append("</th><td>").append(esc(String.valueOf(v)))
                .append("</td></tr>\n"));
        h.append("</table>\n<h2>Validation split, WISE reference protocol</h2>\n<table>\n"
                + "<tr><th></th><th>AP25</th><th>AP50</th><th>AP75</th><th>ABO</th></tr>\n");
        c.table().forEach((row, v) -> {
            h.append("<tr><td>").append(esc(row)).append("</td>");
            for (double x : v) {
                h.append("<td class=\"n\">").append(String.format(Locale.ROOT, "%.1f", x)).append("</td>");
            }
            h.append("</tr>\n");
        });
        h.append("</table>\n<ul>\n");
        c.findings().forEach(f -> h.append("<li>").append(esc(f)).append("</li>\n"));
        h.append("</ul>\n");
        if (c.pseudoMasks() != null) {
            h.append("<h2>Pseudo masks of the validation split</h2>\n<p>").append(esc(PseudoMaskDiagnostics.title()))
                    .append("</p>\n<table>\n");
            for (PseudoMaskDiagnostics.Row r : c.pseudoMasks().rows()) {
                h.append("<tr><td>").append(esc(r.name())).append("</td><td class=\"n\">").append(esc(r.value()))
                        .append("</td><td>").append(esc(r.what())).append("</td></tr>\n");
            }
            h.append("</table>\n");
        }
        if (!c.trainingMasks().isEmpty()) {
            h.append("<h2>Self-training: each round's training masks on the train split</h2>\n<p>")
                    .append(esc(PseudoMaskDiagnostics.title())).append("</p>\n<table>\n<tr><th></th>");
            c.trainingMasks().keySet().forEach(k -> h.append("<th>").append(esc(k)).append("</th>"));
            h.append("</tr>\n");
            List<List<PseudoMaskDiagnostics.Row>> columns = c.trainingMasks().values().stream()
                    .map(PseudoMaskDiagnostics::rows).toList();
            for (int i = 0; i < columns.get(0).size(); i++) {
                h.append("<tr><td>").append(esc(columns.get(0).get(i).name())).append("</td>");
                for (List<PseudoMaskDiagnostics.Row> col : columns) {
                    h.append("<td class=\"n\">").append(esc(col.get(i).value())).append("</td>");
                }
                h.append("</tr>\n");
            }
            h.append("</table>\n");
        }
        sections.forEach(h::append);
        h.append("<h2>Time per stage</h2>\n<p>In this invocation: a stage resumed from an earlier run's "
                + "results shows only the time to read them back.</p>\n<table>\n");
        c.stageSeconds().forEach((k, v) -> h.append("<tr><td>").append(esc(k)).append("</td><td class=\"n\">")
                .append(String.format(Locale.ROOT, "%.0f s", v)).append("</td></tr>\n"));
        h.append("</table>\n<h2>Overlays</h2>\n<p class=\"panels\">Panels, left to right: ")
                .append(esc(String.join(" | ", c.panelTitles())))
                .append(" (Mask R-CNN detections with score ≥ 0.5).</p>\n");
        Path base = file.toAbsolutePath().getParent();
        for (Path png : c.overlays()) {
            String rel = base.relativize(png.toAbsolutePath()).toString().replace('\\', '/');
            h.append("<p>").append(esc(png.getFileName().toString())).append("<br><img src=\"").append(esc(rel))
                    .append("\" alt=\"").append(esc(png.getFileName().toString())).append("\"></p>\n");
        }
        h.append("</body></html>\n");
        AtomicFiles.writeString(file, h);
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
