package org.segloss.loss;

import java.util.SplittableRandom;

/** {@link LossPropertiesBase} for {@link CrossEntropyLoss}: range [0, ∞), 0 at saturated logits. */
class CrossEntropyLossProperties extends LossPropertiesBase {
    @Override
    protected double upperBound() { return Double.POSITIVE_INFINITY; }

    @Override
    protected Loss loss(SplittableRandom r, Options o) {
        // no label smoothing here: with ε > 0 saturated logits are not the minimum (tested in CrossEntropyLossTest)
        CrossEntropyLoss.Builder b = CrossEntropyLoss.builder();
        if (r.nextBoolean()) {
            float[] w = new float[o.classes()];
            for (int k = 0; k < w.length; k++) w[k] = 0.2f + 1.8f * r.nextFloat();
            b.weight(w);
        } else {
            b.softLabel(r.nextBoolean());   // unweighted: the probability-target mode agrees with the label path
        }
        if (o.withIgnore()) b.ignoreIndex(IGNORE);
        return b.build();
    }
}
