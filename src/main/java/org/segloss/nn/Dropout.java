package org.segloss.nn;

import org.segloss.autograd.Var;
import org.segloss.tensor.Tensor;

/**
 * Inverted dropout, as PyTorch's {@code Dropout(p)}: in training, y = x m / (1 - p) with
 * m ~ Bernoulli(1 - p) drawn afresh on every forward; dx = dy m / (1 - p). In evaluation, the
 * identity. The masks come from the stream of {@code SplittableRandom(seed).nextDouble()}
 * (SplitMix64), so a run is reproducible.
 *
 * <p>The generator is written out here rather than held as a {@code SplittableRandom}, whose
 * state cannot be read, so that it can be a buffer ({@link Module#namedBuffers()}) and a
 * {@link Checkpoint} resumes the mask stream exactly. Its 64-bit state is the buffer
 * {@code rng_state}: four float32 values holding 16 bits each (bits 0–15 first), integers in
 * [0, 65535] and so exact in float32.
 */
public final class Dropout extends Module {
    /** SplittableRandom's GOLDEN_GAMMA, the increment of its default stream. */
    private static final long GAMMA = 0x9e3779b97f4a7c15L;

    private final float p;
    private final float[] state;

    public Dropout(float p, long seed) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("Dropout: p must be in [0, 1), got " + p);
        this.p = p;
        this.state = new float[4];
        store(seed);
        registerBuffer("rng_state", Tensor.wrap(state, 4));
    }

    @Override
    public Var forward(Var x) {
        if (!isTraining() || p == 0) return x;
        float keep = 1f / (1f - p);
        float[] m = new float[x.shape().size()];
        long seed = load();
        for (int i = 0; i < m.length; i++) {
            seed += GAMMA;
            double u = (mix64(seed) >>> 11) * 0x1.0p-53; // SplittableRandom.nextDouble()
            m[i] = u >= p ? keep : 0f;
        }
        store(seed);
        return x.mul(Tensor.wrap(m, x.shape().dims()));
    }

    /** SplittableRandom.mix64 (Stafford's variant 13). */
    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    private long load() {
        long s = 0;
        for (int k = 0; k < 4; k++) {
            float f = state[k];
            if (!(f >= 0 && f <= 0xffff && f == Math.rint(f))) {
                throw new IllegalStateException("Dropout: rng_state[" + k + "] must be an integer in [0, 65535], got " + f);
            }
            s |= ((long) f) << (16 * k);
        }
        return s;
    }

    private void store(long s) {
        for (int k = 0; k < 4; k++) state[k] = (float) ((s >>> (16 * k)) & 0xffff);
    }
}
