package org.segloss.loss;

import java.util.SplittableRandom;
import org.segloss.tensor.Tensor;

/** {@link LossPropertiesBase} for the per-sample {@link GeneralizedDiceLoss} (MONAI variant, every weight type). */
class GeneralizedDiceLossProperties extends LossPropertiesBase {
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
