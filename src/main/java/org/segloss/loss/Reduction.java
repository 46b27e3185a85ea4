package org.segloss.loss;

/** How per-item loss values are combined (MONAI names). */
public enum Reduction {
    /** The arithmetic mean of the items (per-sample-per-class values, or per class with {@code batch}). */
    MEAN,
    /** The sum of the items. */
    SUM,
    /** No reduction: the items themselves, [B, C'] (or [C'] with {@code batch}), see each loss. */
    NONE
}
