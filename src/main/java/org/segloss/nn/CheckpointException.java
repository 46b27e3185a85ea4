package org.segloss.nn;

import java.io.IOException;

/**
 * A checkpoint file that cannot be used: not a checkpoint, a newer format version, corrupt or
 * truncated, or not matching the model or optimizer it is restored into. The message names the
 * file and says what differs.
 */
public final class CheckpointException extends IOException {
    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
