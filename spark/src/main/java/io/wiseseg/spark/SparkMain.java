package io.wiseseg.spark;

import picocli.CommandLine;

/** Runs a job's command line: a wrong flag or input is one line on stderr and exit code 2, as in the CLI. */
final class SparkMain {
    private SparkMain() {}

    static int execute(Object command, String[] args) {
        CommandLine cl = new CommandLine(command);
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            if (e instanceof IllegalArgumentException || e instanceof java.io.FileNotFoundException) {
                line.getErr().println(line.getCommandName() + ": " + e.getMessage());
                return 2;
            }
            throw e;
        });
        return cl.execute(args);
    }
}
