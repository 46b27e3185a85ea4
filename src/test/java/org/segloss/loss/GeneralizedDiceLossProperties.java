package org.segloss.loss;

import java.util.SplittableRandom;

/** {@link LossPropertiesBase} for the per-sample {@link GeneralizedDiceLoss} (MONAI variant, every weight type). */
class GeneralizedDiceLossProperties extends LossPropertiesBase {
    @Override
    protected Activation activation(SplittableRandom r) {
        return r.nextInt(4) == 0 ? Activation.NONE : Activation.SOFTMAX;
    }

    /** Whether the statistics are pooled over the batch. */
    protected boolean pooled() { return false; }

    @Override
    protected Loss loss(SplittableRandom r, Options o) {
        GeneralizedDiceLoss.WeightType[] types = GeneralizedDiceLoss.WeightType.values();
        GeneralizedDiceLoss.Builder b = GeneralizedDiceLoss.builder().activation(o.activation())
                .weightType(types[r.nextInt(types.length)]).includeBackground(r.nextBoolean()).batch(pooled());
        if (o.withIgnore()) b.ignoreIndex(IGNORE);
        return b.build();
    }
}
