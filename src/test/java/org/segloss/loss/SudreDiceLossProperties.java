package org.segloss.loss;

import java.util.SplittableRandom;

/**
 * {@link LossPropertiesBase} for {@link SudreDiceLoss}, one foreground channel against the rest.
 * The range is [-1/2 - O(ε), 1] and a perfect prediction is worth 0 only when the foreground is
 * present (the documented discontinuity: -1/2 when it is absent), so only "no worse than random"
 * is checked there.
 */
class SudreDiceLossProperties extends LossPropertiesBase {
    @Override
    protected Activation activation(SplittableRandom r) {
        return r.nextInt(4) == 0 ? Activation.NONE : Activation.SOFTMAX;
    }

    @Override
    protected double lowerBound() { return -0.5 - 1e-5; }

    @Override
    protected double perfectValue() { return Double.NaN; }

    @Override
    protected Loss loss(SplittableRandom r, Options o) {
        SudreDiceLoss.Builder b = SudreDiceLoss.builder().activation(o.activation())
                .foregroundChannel(1 + r.nextInt(o.classes() - 1));
        if (o.withIgnore()) b.ignoreIndex(IGNORE);
        return b.build();
    }
}
