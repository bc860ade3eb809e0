package io.wiseseg.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code wiseseg} command line: one subcommand per user task. */
@Command(name = "wiseseg", mixinStandardHelpOptions = true,
        versionProvider = VersionCommand.Provider.class,
        description = "Weakly supervised instance segmentation (WISE / PRM) on the JVM.",
        subcommands = {DemoCommand.class, RunCommand.class, VersionCommand.class, DeviceCommand.class, DatasetCommand.class, ShowCommand.class,
                TrainClassifierCommand.class, PeaksCommand.class, LocalisationCommand.class,
                ProposalsCommand.class, PseudoCommand.class, TrainMaskRcnnCommand.class, PredictCommand.class, ServeCommand.class,
                BenchCommand.class, EvaluateCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        // one short line per log record (e.g. which kernel library is active), on stderr
        System.setProperty("java.util.logging.SimpleFormatter.format", "wiseseg: %5$s%6$s%n");
        System.exit(commandLine().execute(args));
    }

    /** The configured command line (also used by tests). */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(new UserErrorHandler());
        cl.setExecutionStrategy(TraceOption.strategy()); // --trace FILE of the long commands
        return cl;
    }
}
