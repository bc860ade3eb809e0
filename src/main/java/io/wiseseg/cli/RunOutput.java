package io.wiseseg.cli;

import io.wiseseg.pipeline.Evaluation;
import io.wiseseg.pipeline.RunListener;
import io.wiseseg.pipeline.WiseRun;
import java.io.PrintWriter;
import java.util.Map;

/** How {@code run} and {@code demo} show a pipeline run: progress bars on stderr, stage lines and the table on stdout. */
final class RunOutput {
    private RunOutput() {}

    /** Stage summaries go to {@code out} as they come; progress to {@code bars}. */
    static RunListener listener(PrintWriter out, ProgressBarListener bars) {
        return RunListener.of(bars, line -> {
            bars.close(); // a finished stage's bar must not be redrawn under its summary
            out.println(line);
            out.flush();
        });
    }

    /** The results table (AP25, AP50, AP75, ABO per row), the pseudo masks against the objects, and the findings. */
    static void print(PrintWriter w, WiseRun.Result r) {
        w.println();
        w.printf("%-42s %7s %7s %7s %7s%n", r.evalSplit() + " (" + r.evalImages() + " images)", "AP25", "AP50", "AP75", "ABO");
        for (Map.Entry<String, Evaluation> row : r.table().entrySet()) {
            Evaluation e = row.getValue();
            w.printf("%-42s %7.1f %7.1f %7.1f %7.1f%n", row.getKey(), e.ap25(), e.ap50(), e.ap75(), e.abo());
        }
        w.println();
        w.print(r.pseudoMasks().toText());
        w.println();
        r.findings().forEach(w::println);
        w.println();
        w.flush();
    }
}
