package org.segloss.loss;

import org.segloss.autograd.Ctx;
import org.segloss.autograd.Function;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.SoftmaxExpLog;
import org.segloss.tensor.Tensor;

/**
 * The sum of the exp-log cross-entropy terms against a label map as one differentiable op (a
 * custom {@link Function} over {@link SoftmaxExpLog}): input logits {@code x [B, C, *spatial]},
 * constant labels {@code y [B, *spatial]}, output the scalar
 * <pre>
 *   Σ_n a[y_n] · max(-log p_{y_n}, minLog)^γ      (0 at ignored voxels)
 * </pre>
 * with {@code log p = logSoftmax_c(x)} and a the per-class weight looked up at each voxel's label
 * (0 for a class that does not enter). Backward from the scalar g:
 * {@code gx_k = g · a[y] · h'(ℓ) · (p_k − [k = y])}, {@code h'(ℓ) = γ ℓ^(γ-1)} at or above the
 * clamp and 0 below it, from the softmax the forward pass kept in the gradient's array and the
 * per-voxel slope {@code a[y] · h'(ℓ)} it kept beside it ({@link SoftmaxExpLog#sumBackwardFromSoftmax}:
 * the bits of {@link SoftmaxExpLog#sumBackward}, one softmax per step, no exponential in backward).
 * {@link ExpLogLoss}
 * uses it for the PAPER form's L_Cross with SOFTMAX on a label map; NONE and one-hot tensor targets
 * keep the composed graph.
 */
final class FusedExpLog extends Function {
    private final LabelTensor labels;
    private final int ignoreIndex;
    private final float[] coef;
    private final float gamma, minLog;
    /** The per-voxel slope a[y] · h'(ℓ) [B · S] of the forward pass, for backward. */
    private float[] slope;

    /** Where slope comes from and goes back to after backward (null: a new array per forward). */
    private final SpareBuffer spare;

    FusedExpLog(LabelTensor labels, int ignoreIndex, float[] coef, float gamma, float minLog, SpareBuffer spare) {
        this.spare = spare;
        this.labels = labels;
        this.ignoreIndex = ignoreIndex;
        this.coef = coef.clone();
        this.gamma = gamma;
        this.minLog = minLog;
    }

    /** {@code Σ_n a[y_n] · max(-log p_{y_n}, minLog)^γ} of the logits against the labels, as a differentiable scalar. */
    static Var sum(Var logits, LabelTensor labels, int ignoreIndex, float[] coef, float gamma, float minLog) {
        return sum(logits, labels, ignoreIndex, coef, gamma, minLog, null);
    }

    /** As {@link #sum(Var, LabelTensor, int, float[], float, float)}, the slope array taken from and handed back to spare (null: none). */
    static Var sum(Var logits, LabelTensor labels, int ignoreIndex, float[] coef, float gamma, float minLog, SpareBuffer spare) {
        return new FusedExpLog(labels, ignoreIndex, coef, gamma, minLog, spare).apply(logits);
    }

    @Override
    protected Tensor forward(Ctx ctx, Tensor... in) {
        Tensor x = in[0];
        if (!ctx.needsInputGrad(0)) return Tensor.scalar((float) SoftmaxExpLog.sum(x, labels, ignoreIndex, coef, gamma, minLog));
        // the softmax is kept in the gradient's array and turned into the gradient there by backward
        Tensor p = ctx.gradientOutput(0);
        int voxels = x.dim(0) * (x.size() / (x.dim(0) * x.dim(1)));   // [B, *spatial]
        slope = spare != null ? spare.take(voxels) : new float[voxels];    // sum writes every element
        double total = SoftmaxExpLog.sum(x, labels, ignoreIndex, coef, gamma, minLog, p, slope);
        ctx.saveForBackward(p);
        return Tensor.scalar((float) total);
    }

    @Override
    protected Tensor[] backward(Ctx ctx, Tensor g) {
        if (!ctx.needsInputGrad(0)) return new Tensor[] {null};
        ctx.handOverGradient(0);   // gradientOutput's array: new or recycled, nobody else holds it
        Tensor gx = SoftmaxExpLog.sumBackwardFromSoftmax(ctx.saved(0), labels, slope, g.item());
        if (spare != null) spare.give(slope);   // backward runs once per graph: nothing reads slope again
        slope = null;
        return new Tensor[] {gx};
    }
}
