package org.segloss.examples.train;

import java.nio.file.Path;

/**
 * What a {@link Trainer} reports while it runs; every method has an empty default. Calls come
 * from the training thread, in this order: {@link #onReplacing} or {@link #onResuming}, then
 * {@link #onStart}, then per epoch {@link #onEpochStart}, {@link #onStep} per step,
 * {@link #onStepsDone}, {@link #onEpochEnd}; {@link #onWarning} at any time.
 */
public interface TrainingListener {
    /** A fresh run found the checkpoint of an earlier one in its folder and deletes it now. */
    default void onReplacing(Path out) {}

    /** A resumed run continues after {@code epoch} of {@code epochs}, read from {@code checkpoint}. */
    default void onResuming(Path checkpoint, int epoch, int epochs) {}

    /** The run starts (or continues); the model and the sampler are built. */
    default void onStart(RunStart start) {}

    /** Epoch {@code epoch} (0-based) of {@code epochs} starts, {@code steps} optimizer steps. */
    default void onEpochStart(int epoch, int epochs, int steps) {}

    /**
     * Step {@code step} (0-based) of epoch {@code epoch} is done: the mean loss of the epoch so far
     * and the training speed in voxels per second since the epoch began.
     */
    default void onStep(int epoch, int step, double meanLoss, double voxelsPerSecond) {}

    /** The optimizer steps of epoch {@code epoch} are over (also when the run diverged in it); validation follows. */
    default void onStepsDone(int epoch) {}

    /** An epoch ended and was validated; its outputs (metrics.csv, checkpoint, pictures, NIfTI) are written right after. */
    default void onEpochEnd(EpochResult result) {}

    /** A problem that does not stop the run (e.g. the pictures could not be drawn). */
    default void onWarning(String message) {}

    /**
     * The run as it starts.
     *
     * @param config     the configuration
     * @param firstEpoch 0 for a fresh run; the checkpoint's epoch when resumed
     * @param threads    threads of the parallel kernels during the run
     * @param parameters the model's parameter count
     * @param scales     outputs of the model (more than 1 with deep supervision)
     */
    record RunStart(RunConfig config, int firstEpoch, int threads, long parameters, int scales) {}
}
