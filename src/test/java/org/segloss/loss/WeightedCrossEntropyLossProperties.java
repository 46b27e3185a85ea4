package org.segloss.loss;

import java.util.SplittableRandom;

/**
 * {@link LossPropertiesBase} for {@link WeightedCrossEntropyLoss}: range [0, ∞), 0 at saturated
 * logits. The weight comes from the target (REFERENCE): with PREDICTION the weight is a
 * stop-gradient function of the input, so finite differences of the value would include its
 * derivative and cannot be compared with the gradient (that mode's gradient is checked in
 * {@code WeightedCrossEntropyLossTest.theWeightIsAConstant}). C = 3 exercises the multi-class extension.
 */
class WeightedCrossEntropyLossProperties extends LossPropertiesBase {
    @Override
    protected double upperBound() { return Double.POSITIVE_INFINITY; }

    @Override
    protected Loss loss(SplittableRandom r, Options o) {
        WeightedCrossEntropyLoss.Builder b = WeightedCrossEntropyLoss.builder()
                .weightSource(WeightedCrossEntropyLoss.WeightSource.REFERENCE);
        if (o.withIgnore()) b.ignoreIndex(IGNORE);
        return b.build();
    }
}
