package org.segloss.loss;

import org.segloss.autograd.Ctx;
import org.segloss.autograd.MultiFunction;
import org.segloss.autograd.Var;
import org.segloss.tensor.Tensor;

/**
 * Region statistics of softmax probabilities as one differentiable op (a custom
 * {@link MultiFunction} over {@link Tensor#softmaxClassSums}): input logits
 * {@code x [B, C, *spatial]}, outputs {@code [B, C]} each, with {@code p = softmax_c(x)} and
 * {@code m} the valid mask:
 * <pre>
 *   I = Σ_i m p g      (the intersection; g the constant one-hot target, all C channels)
 *   P = Σ_i m p        (when plain)
 *   Q = Σ_i (m p)²     (when squares)
 * </pre>
 * in that order. Backward from dI, dP, dQ: {@code gp_c = m (dI_c g_c + dP_c + 2 dQ_c p_c)},
 * {@code gx = p ⊙ (gp - Σ_c p_c gp_c)}, p recomputed from x. The full-size probabilities are
 * never stored, which is what makes the Dice-family losses a few passes over memory instead of a
 * dozen. Statistics cover all C channels: callers drop the background afterwards.
 */
final class SoftmaxRegionStats extends MultiFunction {
    private final Tensor[] maps;
    private final Tensor mask;
    private final boolean plain, squares;

    /**
     * @param target  the one-hot target {@code [B, C, *spatial]} (all channels)
     * @param mask    {@code [B, 1, *spatial]} 0/1, or null when nothing is ignored
     */
    SoftmaxRegionStats(Tensor target, Tensor mask, boolean plain, boolean squares) {
        this.maps = new Tensor[] {target};
        this.mask = mask;
        this.plain = plain;
        this.squares = squares;
    }

    /** I, then P (when plain), then Q (when squares), each {@code [B, C]}. */
    static Var[] of(Var logits, Tensor target, Tensor mask, boolean plain, boolean squares) {
        return new SoftmaxRegionStats(target, mask, plain, squares).applyAll(logits);
    }

    @Override
    protected Tensor[] forward(Ctx ctx, Tensor... in) {
        Tensor x = in[0];
        ctx.saveForBackward(x);
        Tensor all = x.softmaxClassSums(maps, mask, plain, squares);   // [M, B, C]
        int m = all.dim(0), b = all.dim(1), c = all.dim(2);
        Tensor[] out = new Tensor[m];
        for (int q = 0; q < m; q++) out[q] = all.slice(0, q, q + 1).reshape(b, c);
        return out;
    }

    @Override
    protected Tensor[] backward(Ctx ctx, Tensor... gradOutputs) {
        if (!ctx.needsInputGrad(0)) return new Tensor[] {null};
        Tensor x = ctx.saved(0);
        int m = gradOutputs.length, b = x.dim(0), c = x.dim(1);
        float[] g = new float[m * b * c];
        for (int q = 0; q < m; q++) {
            for (int i = 0; i < b * c; i++) g[q * b * c + i] = gradOutputs[q].at(i);
        }
        return new Tensor[] {x.softmaxClassSumsBackward(maps, mask, plain, squares, Tensor.wrap(g, m, b, c))};
    }
}
