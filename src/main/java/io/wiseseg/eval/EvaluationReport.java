package io.wiseseg.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The numbers of one protocol: a table of classes × columns (e.g. AP at IoU 0.25 / 0.5 / 0.75,
 * or ABO), the mean row, breakdowns (a named row of means per column, e.g. "area small") and
 * single numbers (e.g. COCO's AP@[.50:.95]). Values are fractions in [0, 1]; NaN marks a class
 * or breakdown the protocol could not score (no ground truth), written as null in JSON and "-"
 * in the text table.
 */
public record EvaluationReport(String protocol, List<String> columns, List<String> classNames,
        double[][] perClass, double[] mean, Map<String, double[]> breakdowns, Map<String, Double> scalars) {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public EvaluationReport {
        columns = List.copyOf(columns);
        classNames = List.copyOf(classNames);
        breakdowns = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(breakdowns));
        scalars = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(scalars));
        if (perClass.length != classNames.size() || mean.length != columns.size()) {
            throw new IllegalArgumentException("report shape: " + perClass.length + " rows for "
                    + classNames.size() + " classes, " + mean.length + " means for " + columns.size() + " columns");
        }
    }

    /** The mean over classes for one column, e.g. {@code mean("AP50")}. */
    public double mean(String column) {
        int i = columns.indexOf(column);
        if (i < 0) {
            throw new IllegalArgumentException("no column " + column + " in " + columns);
        }
        return mean[i];
    }

    public double classValue(String className, String column) {
        int k = classNames.indexOf(className), c = columns.indexOf(column);
        if (k < 0 || c < 0) {
            throw new IllegalArgumentException("no cell (" + className + ", " + column + ")");
        }
        return perClass[k][c];
    }

    public ObjectNode toJsonNode() {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("protocol", protocol);
        ArrayNode cols = root.putArray("columns");
        columns.forEach(cols::add);
        ObjectNode meanNode = root.putObject("mean");
        for (int c = 0; c < columns.size(); c++) {
            putNumber(meanNode, columns.get(c), mean[c]);
        }
        ObjectNode classes = root.putObject("perClass");
        for (int k = 0; k < classNames.size(); k++) {
            ObjectNode row = classes.putObject(classNames.get(k));
            for (int c = 0; c < columns.size(); c++) {
                putNumber(row, columns.get(c), perClass[k][c]);
            }
        }
        ObjectNode bd = root.putObject("breakdowns");
        for (var e : breakdowns.entrySet()) {
            ObjectNode row = bd.putObject(e.getKey());
            for (int c = 0; c < columns.size(); c++) {
                putNumber(row, columns.get(c), e.getValue()[c]);
            }
        }
        ObjectNode sc = root.putObject("scalars");
        for (var e : scalars.entrySet()) {
            putNumber(sc, e.getKey(), e.getValue());
        }
        return root;
    }

    public String toJson() {
        try {
            return MAPPER.writeValueAsString(toJsonNode());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a report", e);
        }
    }

    /** A fixed-width table in percent, classes first, then the mean and the breakdowns. */
    public String toText() {
        int nameWidth = "mean".length();
        for (String n : classNames) {
            nameWidth = Math.max(nameWidth, n.length());
        }
        for (String n : breakdowns.keySet()) {
            nameWidth = Math.max(nameWidth, n.length());
        }
        StringBuilder sb = new StringBuilder();
        sb.append(protocol).append('\n');
        String fmt = "%-" + nameWidth + "s";
        sb.append(String.format(Locale.ROOT, fmt, ""));
        for (String c : columns) {
            sb.append(String.format(Locale.ROOT, " %8s", c));
        }
        sb.append('\n');
        for (int k = 0; k < classNames.size(); k++) {
            row(sb, fmt, classNames.get(k), perClass[k]);
        }
        row(sb, fmt, "mean", mean);
        for (var e : breakdowns.entrySet()) {
            row(sb, fmt, e.getKey(), e.getValue());
        }
        for (var e : scalars.entrySet()) {
            sb.append(e.getKey()).append(": ").append(percent(e.getValue()).strip()).append('\n');
        }
        return sb.toString();
    }

    private void row(StringBuilder sb, String fmt, String name, double[] values) {
        sb.append(String.format(Locale.ROOT, fmt, name));
        for (double v : values) {
            sb.append(' ').append(percent(v));
        }
        sb.append('\n');
    }

    private static String percent(double v) {
        return Double.isNaN(v) ? String.format(Locale.ROOT, "%8s", "-")
                : String.format(Locale.ROOT, "%8.2f", 100 * v);
    }

    private static void putNumber(ObjectNode n, String field, double v) {
        if (Double.isNaN(v)) {
            n.putNull(field);
        } else {
            n.put(field, v);
        }
    }

    @Override
    public String toString() {
        return toText();
    }
}
