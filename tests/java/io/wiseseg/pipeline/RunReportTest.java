package io.wiseseg.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.eval.PseudoMaskDiagnostics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunReportTest {
    private static Map<String, double[]> table(double pseudo, double wise, double upper) {
        Map<String, double[]> t = new LinkedHashMap<>();
        t.put("pseudo", new double[] {0, pseudo, 0, 0});
        t.put("wise", new double[] {0, wise, 0, 0});
        t.put("upper <gt>", new double[] {0, upper, 0, 0});
        return t;
    }

    @Test
    void findingsSayWhetherTheClaimHeldAndTheGap() {
        List<String> held = RunReport.findings(table(36.3, 74.7, 89.4), "pseudo", "wise", "upper <gt>");
        assertEquals(2, held.size());
        assertTrue(held.get(0).contains("holds (74.7 vs 36.3, +38.4)"), held.get(0));
        assertTrue(held.get(1).contains("Gap to full supervision at AP50: 14.7"), held.get(1));
        assertTrue(held.get(1).contains("84% of it"), held.get(1));
        List<String> failed = RunReport.findings(table(20, 20, 30), "pseudo", "wise", null);
        assertEquals(1, failed.size());
        assertTrue(failed.get(0).contains("does NOT hold here (20.0 vs 20.0, +0.0)"), failed.get(0));
    }

    @Test
    void writesTheTableAndLinksTheOverlaysRelatively(@TempDir Path tmp) throws Exception {
        Path png = tmp.resolve("overlays").resolve("a.png");
        Files.createDirectories(png.getParent());
        Files.write(png, new byte[] {1});
        Path report = tmp.resolve("report.html");
        RunReport.write(report, new RunReport.Content("t & <u>", Map.of("k", "v"), table(1, 2, 3), List.of("f"),
                new PseudoMaskDiagnostics(2, 7, 3, 3, 1, 3, 2, 1, 1.4,
                        io.wiseseg.data.BySize.NONE, io.wiseseg.data.BySize.NONE), Map.of("stage", 12.4), List.of("ground truth", "x"), List.of(png)));
        String html = Files.readString(report);
        assertTrue(html.contains("<title>t &amp; &lt;u&gt;</title>"), html);
        assertTrue(html.contains("<td>upper &lt;gt&gt;</td><td class=\"n\">0.0</td><td class=\"n\">3.0</td>"), html);
        assertTrue(html.contains("src=\"overlays/a.png\""), html);
        assertTrue(html.contains("12 s"), html);
        assertTrue(html.contains("<tr><td>precision</td><td class=\"n\">42.9 %</td><td>3 of 7 pseudo masks hit an object</td></tr>"), html);
        assertTrue(html.contains("a hit: same class, mask IoU &gt;= 0.5"), html);
        try (var files = Files.list(tmp)) {
            assertEquals(2, files.count(), "no temporary file left behind");
        }
    }
}
