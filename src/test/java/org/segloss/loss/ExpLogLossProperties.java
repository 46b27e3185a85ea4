package org.segloss.loss;

import java.util.SplittableRandom;
import org.segloss.tensor.Tensor;

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

    /** Probabilities kept >= 0.1/C for NONE, so GradCheck's steps stay inside [0, 1]. */
    @Override
    protected Tensor input(SplittableRandom r, Activation a, int[] shape) {
        Tensor x = super.input(r, a, shape);
        return a == Activation.NONE ? x.mul(0.9f).add(0.1f / shape[1]) : x;
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
