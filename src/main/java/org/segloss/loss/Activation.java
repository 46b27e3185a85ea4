package org.segloss.loss;

/**
 * What a loss applies to its input before computing probabilities. One option instead of
 * MONAI's three flags ({@code sigmoid}, {@code softmax}, {@code other_act}), so contradictory
 * combinations cannot be written.
 */
public enum Activation {
    /** Softmax over the class axis: mutually exclusive classes; the input is logits. */
    SOFTMAX,
    /** A sigmoid per channel: independent (multi-label or single-channel) outputs; the input is logits. */
    SIGMOID,
    /** None: the input already holds probabilities in [0, 1]. */
    NONE
}
