package org.segloss.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code segloss} command line; run through the {@code ./segloss} launcher at the repository root. */
@Command(name = "segloss", mixinStandardHelpOptions = true, version = "segloss " + org.segloss.Version.VALUE,
        description = "Loss functions for highly unbalanced 3-D segmentation, with a SIMD autograd.",
        subcommands = {CheckCommand.class, ConformCommand.class, EvaluateCommand.class, ExportMniCommand.class, LossesCommand.class,
                PredictCommand.class, StudyCommand.class, TrainCommand.class})
public final class Main implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }
}
