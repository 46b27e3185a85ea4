package org.segloss.loss;

import org.segloss.autograd.Ctx;
import org.segloss.autograd.MultiFunction;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
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
 * in that order (the general constructor takes any number of constant maps in place of g).
 * Backward from dI, dP, dQ: {@code gp_c = m (dI_c g_c + dP_c + 2 dQ_c p_c)},
 * {@code gx = p ⊙ (gp - Σ_c p_c gp_c)}, p recomputed from x. The full-size probabilities are
 * never stored, which is what makes the Dice-family losses a few passes over memory instead of a
 * dozen. Statistics cover all C channels: callers drop the background afterwards.
 */
final class SoftmaxRegionStats extends MultiFunction {
    private final Tensor[] maps;
    private final LabelTensor labels;   // null: the first map is a tensor
    private final int ignoreIndex;
    private final Tensor mask;
    private final boolean plain, squares;

    /**
     * @param target  the one-hot target {@code [B, C, *spatial]} (all channels)
     * @param mask    {@code [B, 1, *spatial]} 0/1, or null when nothing is ignored
     */
    SoftmaxRegionStats(Tensor target, Tensor mask, boolean plain, boolean squares) {
        this(new Tensor[] {target}, mask, plain, squares);
    }

    /** The general form: one weighted sum {@code Σ_i m p w_k} per map (in order), then P, then Q. */
    SoftmaxRegionStats(Tensor[] maps, Tensor mask, boolean plain, boolean squares) {
        this.maps = maps.clone();
        this.labels = null;
        this.ignoreIndex = SegmentationLoss.NO_IGNORE;
        this.mask = mask;
        this.plain = plain;
        this.squares = squares;
    }

    /**
     * The target as a label map {@code [B, *spatial]} (g its one-hot, ignoreIndex counting for no
     * class): the one-hot tensor is never made.
     */
    SoftmaxRegionStats(LabelTensor labels, int ignoreIndex, Tensor mask, boolean plain, boolean squares) {
        this.maps = new Tensor[0];
        this.labels = labels;
        this.ignoreIndex = ignoreIndex;
        this.mask = mask;
        this.plain = plain;
        this.squares = squares;
    }

    /** As {@link #of(Var, Tensor, Tensor, boolean, boolean)} with the target as a label map. */
    static Var[] of(Var logits, LabelTensor labels, int ignoreIndex, Tensor mask, boolean plain, boolean squares) {
        return new SoftmaxRegionStats(labels, ignoreIndex, mask, plain, squares).applyAll(logits);
    }

    /** I, then P (when plain), then Q (when squares), each {@code [B, C]}. */
    static Var[] of(Var logits, Tensor target, Tensor mask, boolean plain, boolean squares) {
        return new SoftmaxRegionStats(target, mask, plain, squares).applyAll(logits);
    }

    /**
     * {@code Σ_i softmax_c(x)[b, c, i] · w[b, c, i]} as {@code [B, C]}, for a constant map w of the
     * logits' shape (the boundary loss's φ). Gradient: {@code gx = p ⊙ (dS·w - Σ_c p_c dS_c w_c)}.
     */
    static Var weightedSum(Var logits, Tensor map) {
        return new SoftmaxRegionStats(new Tensor[] {map}, null, false, false).applyAll(logits)[0];
    }

    @Override
    protected Tensor[] forward(Ctx ctx, Tensor... in) {
        Tensor x = in[0];
        ctx.saveForBackward(x);
        Tensor all = labels != null
                ? x.softmaxClassSums(labels, ignoreIndex, maps, mask, plain, squares)
                : x.softmaxClassSums(maps, mask, plain, squares);      // [M, B, C]
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
        Tensor grads = Tensor.wrap(g, m, b, c);
        return new Tensor[] {labels != null
                ? x.softmaxClassSumsBackward(labels, ignoreIndex, maps, mask, plain, squares, grads)
                : x.softmaxClassSumsBackward(maps, mask, plain, squares, grads)};
    }
}
