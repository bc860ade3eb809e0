package io.wiseseg.cli;

import io.wiseseg.util.Trace;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code --trace FILE.json} of the long commands: the command runs under a {@link Trace}
 * recording, written as a Chrome trace-event file when it ends (also when it fails, and at JVM
 * shutdown on SIGTERM or Ctrl-C). {@link #strategy} does the recording for every command that
 * mixes this option in, so the commands themselves do nothing for it.
 */
final class TraceOption {
    static final String NAME = "--trace";

    @Option(names = NAME, paramLabel = "FILE.json",
            description = "Write a Chrome trace-event file of where the time went (one span per stage and image, "
                    + "per thread); open it in https://ui.perfetto.dev or chrome://tracing.")
    Path file;

    /** Runs the parsed command; with {@code --trace} under a recording that is then written. */
    static CommandLine.IExecutionStrategy strategy() {
        return parsed -> {
            CommandLine.ParseResult last = parsed;
            while (last.subcommand() != null) {
                last = last.subcommand();
            }
            Path file = last.hasMatchedOption(NAME) ? last.matchedOptionValue(NAME, (Path) null) : null;
            if (file == null || last.isUsageHelpRequested() || last.isVersionHelpRequested()) {
                return new CommandLine.RunLast().execute(parsed);
            }
            CommandLine cl = last.commandSpec().commandLine();
            Path dir = file.toAbsolutePath().getParent();
            if (!Files.isDirectory(dir)) { // before hours of work, not after
                cl.getErr().println("wiseseg: " + NAME + " " + file + ": no such folder " + dir);
                return 2;
            }
            return traced(parsed, file, cl.getErr());
        };
    }

    private static int traced(CommandLine.ParseResult parsed, Path file, PrintWriter err) {
        Trace.Recording recording = Trace.start();
        AtomicBoolean written = new AtomicBoolean();
        // SIGTERM or Ctrl-C of a command that does not catch them: the trace so far
        Thread hook = new Thread(() -> write(recording, file, written, err), "wiseseg-trace-writer");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return new CommandLine.RunLast().execute(parsed);
        } finally {
            recording.stop();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs (or ran) already
            }
            write(recording, file, written, err);
        }
    }

    private static void write(Trace.Recording recording, Path file, AtomicBoolean written, PrintWriter err) {
        if (!written.compareAndSet(false, true)) {
            return;
        }
        try {
            recording.write(file);
            err.printf("wiseseg: wrote %s (%d spans on %d thread%s%s); open it in https://ui.perfetto.dev or "
                            + "chrome://tracing%n", file, recording.eventCount(), recording.threadCount(),
                    recording.threadCount() == 1 ? "" : "s",
                    recording.droppedCount() == 0 ? "" : ", " + recording.droppedCount() + " more dropped");
        } catch (IOException | RuntimeException e) {
            err.println("wiseseg: " + NAME + " " + file + ": cannot write (" + e.getMessage() + ")");
        }
        err.flush();
    }
}
