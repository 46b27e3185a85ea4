package org.segloss.loss;

import java.util.SplittableRandom;

/** {@link LossPropertiesBase} for {@link TverskyLoss} with random FP / FN weights and options. */
class TverskyLossProperties extends LossPropertiesBase {
    @Override
    protected Activation activation(SplittableRandom r) {
        return r.nextInt(4) == 0 ? Activation.NONE : Activation.SOFTMAX;
    }

    @Override
    protected Loss loss(SplittableRandom r, Options o) {
        TverskyLoss.Builder b = TverskyLoss.builder().activation(o.activation())
                .alpha(0.05f + 0.95f * (float) r.nextDouble()).beta((float) r.nextDouble())
                .includeBackground(r.nextBoolean());
        if (o.withIgnore()) b.ignoreIndex(IGNORE);
        return b.build();
    }
}
