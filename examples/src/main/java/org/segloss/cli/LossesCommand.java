package org.segloss.cli;

import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * {@code segloss losses}: prints {@link LossCatalog#help()}, every loss name that
 * {@code segloss train --loss} accepts with its paper and options. A command of its own because
 * the list (about 20 losses with their options) is too long for the {@code train --help} screen.
 */
@Command(name = "losses", mixinStandardHelpOptions = true,
        description = "Lists the losses of segloss train --loss with their options, types and defaults.")
final class LossesCommand implements Callable<Integer> {
    PrintStream outStream = System.out;

    @Override
    public Integer call() {
        outStream.print(LossCatalog.help());
        return 0;
    }
}
