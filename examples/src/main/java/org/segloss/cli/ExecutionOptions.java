package org.segloss.cli;

import picocli.CommandLine.Option;

/** How a command runs, shared by {@code segloss train}, {@code study} and {@code predict} (a picocli mixin). */
final class ExecutionOptions {
    @Option(names = "--threads", description = "Threads for parallel kernels (default: all cores); results do not depend on it.")
    Integer threads;

    @Option(names = "--no-progress", description = "No progress bar.")
    boolean noProgress;
}
