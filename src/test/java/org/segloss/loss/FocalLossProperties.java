package org.segloss.loss;

import java.util.SplittableRandom;

/** {@link LossPropertiesBase} for {@link FocalLoss} with random options: range [0, ∞), 0 at saturated logits. */
class FocalLossProperties extends LossPropertiesBase {
    static final float[] GAMMAS = {0f, 0.5f, 1f, 2f, 3f};

    @Override
    protected Activation activation(SplittableRandom r) {
        return r.nextBoolean() ? Activation.SOFTMAX : Activation.SIGMOID;
    }

    @Override
    protected double upperBound() { return Double.POSITIVE_INFINITY; }

    @Override
    protected Loss loss(SplittableRandom r, Options o) {
        boolean background = r.nextBoolean();
        FocalLoss.Variant variant = r.nextBoolean() ? FocalLoss.Variant.STANDARD : FocalLoss.Variant.MONAI;
        FocalLoss.Builder b = FocalLoss.builder().activation(o.activation()).gamma(GAMMAS[r.nextInt(GAMMAS.length)])
                .includeBackground(background).variant(variant);
        int kept = background ? o.classes() : o.classes() - 1;
        switch (r.nextInt(3)) {
            case 0 -> { }
            case 1 -> {
                if (background || variant == FocalLoss.Variant.STANDARD || o.activation() == Activation.SIGMOID) {
                    b.alpha(0.1f + 0.8f * r.nextFloat());
                }
            }
            default -> {
                float[] a = new float[kept];
                for (int k = 0; k < kept; k++) a[k] = 0.1f + 0.8f * r.nextFloat();
                b.alphaPerClass(a);
            }
        }
        if (r.nextBoolean()) {
            float[] w = new float[kept];
            for (int k = 0; k < kept; k++) w[k] = 0.2f + 1.8f * r.nextFloat();
            b.weight(w);
        }
        if (o.withIgnore()) b.ignoreIndex(IGNORE);
        return b.build();
    }
}
