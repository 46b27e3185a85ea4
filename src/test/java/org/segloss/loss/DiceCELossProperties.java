package org.segloss.loss;

import java.util.SplittableRandom;

/** DiceCE: range [0, ∞) (the CE part is unbounded), 0 at a perfect prediction. */
class DiceCELossProperties extends LossPropertiesBase {
    @Override
    protected Loss loss(SplittableRandom r, Options o) {
        DiceCELoss.Builder b = DiceCELoss.builder().includeBackground(r.nextBoolean())
                .lambdaDice(0.5f + r.nextFloat()).lambdaCe(0.5f + r.nextFloat());
        if (o.withIgnore()) b.ignoreIndex(IGNORE);
        return b.build();
    }

    @Override
    protected double upperBound() { return Double.POSITIVE_INFINITY; }
}
