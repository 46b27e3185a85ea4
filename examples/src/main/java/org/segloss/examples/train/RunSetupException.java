package org.segloss.examples.train;

/**
 * A run that cannot start as configured: its output folder cannot be made or used, or a resume
 * does not fit the checkpoint (missing, unreadable, written with other parameters). The message
 * names the parameter and the path, e.g. {@code --out runs/x: exists and is not a directory}.
 * Thrown before any weight is trained.
 */
public final class RunSetupException extends IllegalArgumentException {
    public RunSetupException(String message) { super(message); }

    public RunSetupException(String message, Throwable cause) { super(message, cause); }
}
