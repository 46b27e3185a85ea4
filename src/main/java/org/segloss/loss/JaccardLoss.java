package org.segloss.loss;

import java.util.List;
import org.segloss.autograd.Var;

/**
 * Soft Jaccard (IoU) loss in its direct form, {@code 1 - (I + smoothNr) / (P + G - I + smoothDr)}.
 *
 * <p>Paper: Rahman and Wang, "Optimizing intersection-over-union in deep neural networks for
 * image segmentation", ISVC 2016. Per item (sample b and kept class c; with {@code batch}, per
 * class over the whole batch), {@code I = Σ p g}, {@code P = Σ p}, {@code G = Σ g},
 * {@code U = P + G - I}:
 * <pre>
 *   J = (I + smoothNr) / (U + smoothDr),   f = 1 - J
 *   dJ/dp_i = [g_i (U + smoothDr) - (I + smoothNr)(1 - g_i)] / (U + smoothDr)^2
 * </pre>
 * NOTE: MONAI's {@code DiceLoss(jaccard=True)} (here {@code DiceLoss.builder().jaccard(true)})
 * computes {@code 1 - (2I + s_n) / (2U + s_d)}, i.e. the same loss with the smoothing terms
 * halved; the two agree exactly when the smoothing terms are doubled here (tested). Options and
 * defaults as {@link DiceLoss} (including the fused SOFTMAX path): smoothNr = smoothDr = 1e-5, batch false, MEAN.
 */
public final class JaccardLoss extends SegmentationLoss {
    private final float smoothNr, smoothDr;
    private final boolean batch;

    private JaccardLoss(Builder b) {
        super(b);
        this.smoothNr = b.smoothNr;
        this.smoothDr = b.smoothDr;
        this.batch = b.batch;
    }

    public static Builder builder() { return new Builder(); }

    public static JaccardLoss create() { return builder().build(); }

    @Override
    protected Var compute(Prepared p) {
        // I = Σ p g (also for soft labels), P = Σ p, G = Σ g: fused or composed
        RegionStatistics.Sums s = RegionStatistics.of(this, p, false, batch, false);
        Var inter = s.intersection();
        Var union = s.predSum().add(s.targetSum()).sub(inter);
        return weightAndReduce(inter.add(smoothNr).div(union.add(smoothDr)).rsub(1f), p, batch);   // all-ignored samples left out
    }

    // ---- options (LossOption): declared once; the builder's defaults come from here ----

    public static final LossOption<SegmentationLoss.Builder<?>, Boolean> INCLUDE_BACKGROUND =
            SegmentationLoss.includeBackground(true, "library/MONAI default");
    public static final LossOption<Builder, Boolean> BATCH = LossOption.bool("batch", false, RegionLossBuilder.BATCH_ITEMS_DOC,
            Builder::batch);
    /** Every option, in the order they are listed (smooth-nr is added to the intersection, smooth-dr to the union). */
    public static final List<LossOption<?, ?>> OPTIONS = List.of(INCLUDE_BACKGROUND, BATCH, RegionLossBuilder.SMOOTH_NR,
            RegionLossBuilder.SMOOTH_DR, SegmentationLoss.WEIGHT, SegmentationLoss.IGNORE_INDEX, SegmentationLoss.REDUCTION);

    /** Options of {@link JaccardLoss} ({@link #OPTIONS}); smoothNr is added to the intersection, smoothDr to the union. */
    public static final class Builder extends RegionLossBuilder<Builder> {
        boolean batch = BATCH.defaultBoolean();

        public Builder() {
            super("JaccardLoss");
            includeBackground = INCLUDE_BACKGROUND.defaultBoolean();
        }

        /** Pool the statistics over the batch (default false). */
        public Builder batch(boolean v) { batch = v; return this; }

        public JaccardLoss build() {
            requirePositiveSmoothDr("with 0 an empty class gives 0/0 = NaN");
            return new JaccardLoss(this);
        }
    }
}
