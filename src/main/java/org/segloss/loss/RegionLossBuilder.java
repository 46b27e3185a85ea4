package org.segloss.loss;

/**
 * The builder part the overlap (region) losses share: the smoothing terms {@code smoothNr} (added
 * to the numerator) and {@code smoothDr} (added to the denominator), MONAI's names, default 1e-5
 * each ({@link #SMOOTH_NR}, {@link #SMOOTH_DR}). The setters reject negative and non-finite
 * values; a loss whose denominator can be 0 calls {@link #requirePositiveSmoothDr} when it is built.
 *
 * @param <B> the concrete builder, for chaining
 */
public abstract class RegionLossBuilder<B extends RegionLossBuilder<B>> extends SegmentationLoss.Builder<B> {
    /** {@code smooth-nr}: added to the numerator. */
    public static final LossOption<RegionLossBuilder<?>, Float> SMOOTH_NR = LossOption.number("smooth-nr", "1e-5",
            LossOption.Range.NON_NEG, "Added to the numerator.", (b, v) -> b.smoothNr(v));

    /** {@code smooth-dr}: added to the denominator (> 0 where an empty item would give 0/0). */
    public static final LossOption<RegionLossBuilder<?>, Float> SMOOTH_DR = LossOption.number("smooth-dr", "1e-5",
            LossOption.Range.POS, "Added to the denominator.", (b, v) -> b.smoothDr(v));

    /** The doc of the batch option of the Dice-like losses. */
    public static final String BATCH_ITEMS_DOC =
            "Pool the sums over the batch, one item per class (batch Dice, Kodym et al. 2018), instead of per sample.";

    private final String lossName;
    float smoothNr = SMOOTH_NR.defaultFloat(), smoothDr = SMOOTH_DR.defaultFloat();

    /** @param lossName the loss's class name, for messages */
    protected RegionLossBuilder(String lossName) {
        this.lossName = lossName;
    }

    /** Added to the numerator (default 1e-5); finite and >= 0. */
    public B smoothNr(float v) {
        requireNonNegative(lossName, "smoothNr", v);
        smoothNr = v;
        return self();
    }

    /** Added to the denominator (default 1e-5); finite and >= 0 here, > 0 where the loss needs it at build time. */
    public B smoothDr(float v) {
        requireNonNegative(lossName, "smoothDr", v);
        smoothDr = v;
        return self();
    }

    /** Rejects smoothDr = 0 for a loss where {@code why} (e.g. "with 0 an empty class gives 0/0 = NaN"). */
    protected void requirePositiveSmoothDr(String why) {
        if (!(smoothDr > 0f)) throw new IllegalArgumentException(lossName + ": smoothDr must be > 0 (" + why + "), got " + smoothDr);
    }
}
