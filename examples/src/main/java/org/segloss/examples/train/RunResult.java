package org.segloss.examples.train;

import java.util.List;

/**
 * How a run ended ({@link Trainer#run()}, {@link Trainer#resume()}).
 *
 * @param status     see {@link Status}
 * @param epochs     the epochs this call trained, in order (empty for {@link Status#ALREADY_DONE})
 * @param divergence where the loss stopped being finite, for {@link Status#DIVERGED}; else null
 * @param seconds    wall time of this call's epochs
 */
public record RunResult(Status status, List<EpochResult> epochs, Divergence divergence, double seconds) {
    public RunResult {
        epochs = List.copyOf(epochs);
        if ((status == Status.DIVERGED) != (divergence != null)) {
            throw new IllegalArgumentException("RunResult: a divergence goes with status DIVERGED and only with it, got " + status);
        }
    }

    /** How the run ended. */
    public enum Status {
        /** Every epoch of the configuration trained; the last checkpoint is final. */
        COMPLETED,
        /** Stopped after the epoch given to {@link Trainer#stopAfterEpoch}; resume continues it. */
        STOPPED,
        /** Resumed from a checkpoint that already covers every epoch: nothing was trained. */
        ALREADY_DONE,
        /**
         * The loss (or the network's output) was NaN or infinite at a step: the run ended there,
         * before that step's update.
         * The checkpoint and metrics.csv hold the last finished epoch (none for a divergence in the
         * first epoch). A study records this as the run's result and goes on with the next run.
         */
        DIVERGED
    }

    /**
     * The step where the run diverged: epoch and step 1-based, the loss's value (NaN when the
     * network's output was not finite, before any loss) and the cause.
     */
    public record Divergence(int epoch, int step, float value, Cause cause) {
        /** What was not finite. */
        public enum Cause {
            /** The loss value. */
            LOSS,
            /** The network's output (logits), so no loss was computed. */
            OUTPUT
        }
    }

    /** The last finished epoch, or null when none was trained. */
    public EpochResult last() { return epochs.isEmpty() ? null : epochs.get(epochs.size() - 1); }
}
