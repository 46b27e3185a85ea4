package org.segloss.loss;

import java.util.SplittableRandom;
import org.segloss.tensor.Tensor;

/** {@link LossPropertiesBase} for {@link SensitivitySpecificityLoss} (per-class form, random λ and ε). */
class SensitivitySpecificityLossProperties extends LossPropertiesBase {
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

    @Override
    protected Loss loss(SplittableRandom r, Options o) {
        SensitivitySpecificityLoss.Builder b = SensitivitySpecificityLoss.builder().activation(o.activation())
                .sensitivityWeight((float) r.nextDouble()).epsilon(r.nextBoolean() ? 1e-5f : 1f)
                .includeBackground(r.nextBoolean());
        if (o.withIgnore()) b.ignoreIndex(IGNORE);
        return b.build();
    }
}
