package io.wiseseg.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code wiseseg dataset ...}: make and inspect datasets. */
@Command(name = "dataset", mixinStandardHelpOptions = true,
        description = "Generate the synthetic benchmark or summarise a VOC-layout dataset.",
        subcommands = {DatasetSynthCommand.class, DatasetInfoCommand.class})
final class DatasetCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
