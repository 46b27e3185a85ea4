package org.segloss.loss;

import java.util.SplittableRandom;

/** {@link LossPropertiesBase} for {@link SensitivitySpecificityLoss} (per-class form, random λ and ε). */
class SensitivitySpecificityLossProperties extends LossPropertiesBase {
    @Override
    protected Activation activation(SplittableRandom r) {
        return r.nextInt(4) == 0 ? Activation.NONE : Activation.SOFTMAX;
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
