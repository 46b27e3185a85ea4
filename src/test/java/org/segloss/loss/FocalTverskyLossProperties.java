package org.segloss.loss;

import java.util.SplittableRandom;

/**
 * {@link LossPropertiesBase} for {@link FocalTverskyLoss}: both forms, exponents below and above
 * 1. A perfect prediction costs {@code MIN_BASE^exponent} per item (the clamp), well inside the
 * tolerance.
 */
class FocalTverskyLossProperties extends LossPropertiesBase {
    @Override
    protected Activation activation(SplittableRandom r) {
        return r.nextInt(4) == 0 ? Activation.NONE : Activation.SOFTMAX;
    }

    @Override
    protected Loss loss(SplittableRandom r, Options o) {
        FocalTverskyLoss.Builder b = FocalTverskyLoss.builder().activation(o.activation())
                .alpha(0.05f + 0.95f * (float) r.nextDouble()).beta((float) r.nextDouble())
                .exponent(0.5f + (float) r.nextDouble())
                .form(r.nextInt(3) == 0 ? FocalTverskyLoss.Form.MEAN_THEN_POWER : FocalTverskyLoss.Form.PER_CLASS)
                .includeBackground(r.nextBoolean());
        if (o.withIgnore()) b.ignoreIndex(IGNORE);
        return b.build();
    }
}
