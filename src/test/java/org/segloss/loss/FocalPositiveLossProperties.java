package org.segloss.loss;

import java.util.SplittableRandom;

/** {@link LossPropertiesBase} for {@link FocalPositiveLoss}: range [0, ∞), 0 at a perfect prediction. */
class FocalPositiveLossProperties extends LossPropertiesBase {
    @Override
    protected Loss loss(SplittableRandom r, Options o) {
        float[] gammas = {0f, 0.5f, 1f, 2f, 3f};
        FocalPositiveLoss.Builder b = FocalPositiveLoss.builder().gamma(gammas[r.nextInt(gammas.length)]);
        if (o.withIgnore()) b.ignoreIndex(IGNORE);
        return b.build();
    }

    @Override
    protected double upperBound() { return Double.POSITIVE_INFINITY; }
}
