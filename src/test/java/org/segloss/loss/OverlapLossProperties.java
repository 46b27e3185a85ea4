package org.segloss.loss;

import java.util.SplittableRandom;

/** {@link LossPropertiesBase} for {@link OverlapLoss}: range [0, 0.5], 0 at a crisp prediction. */
class OverlapLossProperties extends LossPropertiesBase {
    @Override
    protected Activation activation(SplittableRandom r) {
        return r.nextBoolean() ? Activation.NONE : Activation.SOFTMAX;
    }

    @Override
    protected Loss loss(SplittableRandom r, Options o) {
        OverlapLoss.Builder b = OverlapLoss.builder().activation(o.activation()).includeBackground(r.nextBoolean());
        if (o.withIgnore()) b.ignoreIndex(IGNORE);
        return b.build();
    }

    @Override
    protected double upperBound() { return 0.5; }
}
