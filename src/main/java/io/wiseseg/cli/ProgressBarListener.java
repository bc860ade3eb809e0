package io.wiseseg.cli;

import io.wiseseg.data.ProgressListener;
import java.io.PrintStream;
import java.time.temporal.ChronoUnit;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Renders progress reports as a bar with rate and ETA on stderr, one bar per task. */
final class ProgressBarListener implements ProgressListener, AutoCloseable {
    private final PrintStream out;
    private ProgressBar bar;
    private String task;

    ProgressBarListener() {
        this(System.err);
    }

    ProgressBarListener(PrintStream out) {
        this.out = out;
    }

    @Override
    public void progress(String task, long done, long total) {
        if (bar == null || !task.equals(this.task)) {
            close();
            this.task = task;
            bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
                    .setSpeedUnit(ChronoUnit.SECONDS).showSpeed()
                    // a log file (no terminal) gets a line every few seconds, not a redraw per step
                    .setUpdateIntervalMillis(System.console() == null ? 5000 : 100).setConsumer(new ConsoleProgressBarConsumer(out, 100))
                    .build();
        }
        bar.stepTo(done);
        if (done >= total) {
            close();
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
