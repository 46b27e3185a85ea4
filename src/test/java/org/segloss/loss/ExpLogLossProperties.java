package org.segloss.loss;

import java.util.SplittableRandom;

/**
 * {@link LossPropertiesBase} for {@link ExpLogLoss}: both forms, pooled and per-sample Dice. The
 * cross-entropy part is unbounded ([0, ∞)); the frequency weights and the pooled Dice depend on
 * the whole batch (not per sample); a perfect prediction costs the clamp's floor
 * {@code MIN_LOG^γ} per term, not 0.
 */
class ExpLogLossProperties extends LossPropertiesBase {
    @Override
    protected Activation activation(SplittableRandom r) {
        return r.nextInt(4) == 0 ? Activation.NONE : Activation.SOFTMAX;
    }

    @Override
    protected double upperBound() { return Double.POSITIVE_INFINITY; }

    @Override
    protected boolean perSampleMean() { return false; }

    @Override
    protected double perfectValue() { return Double.NaN; }

    @Override
    protected Loss loss(SplittableRandom r, Options o) {
        ExpLogLoss.Builder b = r.nextInt(3) == 0 ? ExpLogLoss.segLossBuilder() : ExpLogLoss.builder();
        b.activation(o.activation()).gamma(0.3f + (float) r.nextDouble()).batch(r.nextBoolean()).includeBackground(r.nextBoolean());
        if (o.withIgnore()) b.ignoreIndex(IGNORE);
        return b.build();
    }
}
