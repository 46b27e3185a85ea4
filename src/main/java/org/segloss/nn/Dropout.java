package org.segloss.nn;

import java.util.SplittableRandom;
import org.segloss.autograd.Var;
import org.segloss.tensor.Tensor;

/**
 * Inverted dropout, as PyTorch's {@code Dropout(p)}: in training, y = x m / (1 - p) with
 * m ~ Bernoulli(1 - p) drawn afresh on every forward; dx = dy m / (1 - p). In evaluation, the
 * identity. The masks come from a {@link SplittableRandom} seeded at construction, so a run is
 * reproducible.
 */
public final class Dropout extends Module {
    private final float p;
    private final SplittableRandom rng;

    public Dropout(float p, long seed) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("Dropout: p must be in [0, 1), got " + p);
        this.p = p;
        this.rng = new SplittableRandom(seed);
    }

    @Override
    public Var forward(Var x) {
        if (!isTraining() || p == 0) return x;
        float keep = 1f / (1f - p);
        float[] m = new float[x.shape().size()];
        for (int i = 0; i < m.length; i++) m[i] = rng.nextDouble() >= p ? keep : 0f;
        return x.mul(Tensor.wrap(m, x.shape().dims()));
    }
}
