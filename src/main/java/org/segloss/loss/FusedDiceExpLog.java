package org.segloss.loss;

import org.segloss.autograd.Ctx;
import org.segloss.autograd.MultiFunction;
import org.segloss.autograd.Var;
import org.segloss.tensor.SoftmaxDiceExpLog;
import org.segloss.tensor.SoftmaxSums.Terms;
import org.segloss.tensor.Tensor;

/**
 * The exp-log loss's Dice statistics and cross-entropy sum from one softmax, as one
 * differentiable op (a custom {@link MultiFunction} over {@link SoftmaxDiceExpLog}): input
 * logits {@code x [B, C, *spatial]}, outputs the slabs of {@link RegionStatistics.FusedSums} for
 * the same terms ({@code [B, C]} each, in the same order; the label counts' slab constant) and,
 * last, the scalar {@code Σ_n a[y_n] · max(-log p_{y_n}, minLog)^γ} of {@link FusedExpLog}. The
 * values are those two ops' bits, and the gradient with respect to x is their two gradients
 * added, bit for bit; but per step the softmax is computed once, kept once (in the gradient's
 * array, {@link Ctx#gradientOutput}), and turned into the whole gradient by one backward pass
 * in place, so the autograd has no second gradient of x to add. Only for terms that
 * {@link SoftmaxDiceExpLog#applies} (a label map, no mask, an ignore value outside [0, C));
 * {@link ExpLogLoss} keeps the two ops otherwise.
 */
final class FusedDiceExpLog extends MultiFunction {
    private final Terms terms;
    private final float[] coef;
    private final float gamma, minLog;
    /** The per-voxel slope a[y] · h'(ℓ) [B · S] of the forward pass, for backward. */
    private float[] slope;

    /** Where slope comes from and goes back to after backward (null: a new array per forward). */
    private final SpareBuffer spare;

    private FusedDiceExpLog(Terms terms, float[] coef, float gamma, float minLog, SpareBuffer spare) {
        this.spare = spare;
        this.terms = terms;
        this.coef = coef.clone();
        this.gamma = gamma;
        this.minLog = minLog;
    }

    /** The slabs of terms ({@code [B, C]} each), then the exp-log cross-entropy sum (a scalar). */
    static Var[] of(Var logits, Terms terms, float[] coef, float gamma, float minLog) {
        return of(logits, terms, coef, gamma, minLog, null);
    }

    /** As {@link #of(Var, Terms, float[], float, float)}, the slope array taken from and handed back to spare (null: none). */
    static Var[] of(Var logits, Terms terms, float[] coef, float gamma, float minLog, SpareBuffer spare) {
        return new FusedDiceExpLog(terms, coef, gamma, minLog, spare).applyAll(logits);
    }

    @Override
    protected Tensor[] forwardAll(Ctx ctx, Tensor... in) {
        Tensor x = in[0];
        SoftmaxDiceExpLog.Sums s;
        if (ctx.needsInputGrad(0)) {
            // the softmax is kept in the gradient's array and turned into the gradient there by backward
            Tensor p = ctx.gradientOutput(0);
            int voxels = x.dim(0) * (x.size() / (x.dim(0) * x.dim(1)));   // [B, *spatial]
            slope = spare != null ? spare.take(voxels) : new float[voxels];    // sums writes every element
            s = SoftmaxDiceExpLog.sums(x, terms, coef, gamma, minLog, p, slope);
            ctx.saveForBackward(p);
        } else {
            s = SoftmaxDiceExpLog.sums(x, terms, coef, gamma, minLog, null, null);
        }
        Tensor[] out = RegionStatistics.FusedSums.slabOutputs(ctx, terms, s.classSums(), 1);   // [B, C] slabs, then the sum
        out[out.length - 1] = Tensor.scalar((float) s.crossSum());
        return out;
    }

    @Override
    protected Tensor[] backwardAll(Ctx ctx, Tensor... gradOutputs) {
        if (!ctx.needsInputGrad(0)) return new Tensor[] {null};
        Tensor p = ctx.saved(0);                               // softmax of the logits, [B, C, *spatial]
        int m = gradOutputs.length - 1;
        Tensor grads = RegionStatistics.FusedSums.slabGradients(gradOutputs, m, p.dim(0), p.dim(1));
        float scale = gradOutputs[m].item();
        ctx.handOverGradient(0);   // p's array came from gradientOutput: new or recycled, nobody else holds it
        Tensor gx = SoftmaxDiceExpLog.backwardFromSoftmax(p, terms, grads, slope, scale);
        if (spare != null) spare.give(slope);   // backward runs once per graph: nothing reads slope again
        slope = null;
        return new Tensor[] {gx};
    }
}
