package org.segloss.loss;

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
        return weightAndReduce(inter.add(smoothNr).div(union.add(smoothDr)).rsub(1f));
    }

    /** Options of {@link JaccardLoss}. */
    public static final class Builder extends SegmentationLoss.Builder<Builder> {
        float smoothNr = 1e-5f, smoothDr = 1e-5f;
        boolean batch;

        /** Added to the intersection (default 1e-5). */
        public Builder smoothNr(float v) { requireNonNegative("JaccardLoss", "smoothNr", v); smoothNr = v; return this; }

        /** Added to the union (default 1e-5; must be > 0). */
        public Builder smoothDr(float v) { requireNonNegative("JaccardLoss", "smoothDr", v); smoothDr = v; return this; }

        /** Pool the statistics over the batch (default false). */
        public Builder batch(boolean v) { batch = v; return this; }

        public JaccardLoss build() {
            if (!(smoothDr > 0f)) {
                throw new IllegalArgumentException("JaccardLoss: smoothDr must be > 0 (with 0 an empty class gives 0/0 = NaN), got " + smoothDr);
            }
            return new JaccardLoss(this);
        }
    }
}
