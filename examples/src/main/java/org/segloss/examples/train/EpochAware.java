package org.segloss.examples.train;

/**
 * A loss that changes with the epoch (e.g. the boundary loss's schedule): the {@link Trainer}
 * calls {@link #onEpoch} at the start of every epoch, before its first step.
 */
public interface EpochAware {
    /**
     * The epoch about to be trained, 0-based, {@code 0 <= epoch < epochs}.
     */
    void onEpoch(int epoch, int epochs);
}
