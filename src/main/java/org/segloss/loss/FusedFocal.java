package org.segloss.loss;

import org.segloss.autograd.Ctx;
import org.segloss.autograd.Function;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.SoftmaxFocal;
import org.segloss.tensor.Tensor;

/**
 * The softmax focal sum against a label map as one differentiable op (a custom {@link Function}
 * over {@link SoftmaxFocal}): input logits {@code x [B, C, *spatial]}, constant labels
 * {@code y [B, *spatial]}, output the scalar
 * <pre>
 *   Σ_n ℓ_n,   ℓ_n = -a[y_n] · max(1 - p_{y_n}, floor)^γ · log p_{y_n}      (0 at ignored voxels)
 * </pre>
 * with {@code log p = logSoftmax_c(x)} and a the per-channel coefficient (α times the class
 * weight; 0 for a channel that does not enter). Backward from the scalar g: the chain rule of the
 * composed graph, written at scale 1 into the gradient's array by the forward pass (from its own
 * log-softmax and factor) and multiplied by g there ({@code Tensor.muli}): the bits
 * of {@link SoftmaxFocal#sumBackward}, one log-softmax per step. {@link FocalLoss} uses
 * it for SOFTMAX with a label map and reduction MEAN or SUM (STANDARD variant); the per-voxel map
 * (NONE), one-hot or soft targets and the MONAI variant keep the composed graph.
 */
final class FusedFocal extends Function {
    private final LabelTensor labels;
    private final int ignoreIndex;
    private final float[] coef;
    private final float gamma, floor;

    FusedFocal(LabelTensor labels, int ignoreIndex, float[] coef, float gamma, float floor) {
        this.labels = labels;
        this.ignoreIndex = ignoreIndex;
        this.coef = coef.clone();
        this.gamma = gamma;
        this.floor = floor;
    }

    /** {@code Σ_n ℓ_n} of the logits against the labels, as a differentiable scalar. */
    static Var sum(Var logits, LabelTensor labels, int ignoreIndex, float[] coef, float gamma, float floor) {
        return new FusedFocal(labels, ignoreIndex, coef, gamma, floor).apply(logits);
    }

    @Override
    protected Tensor forward(Ctx ctx, Tensor... in) {
        Tensor x = in[0];
        if (!ctx.needsInputGrad(0)) return Tensor.scalar((float) SoftmaxFocal.sum(x, labels, ignoreIndex, coef, gamma, floor));
        // the gradient at scale 1 is written into the gradient's array by this pass (its log-softmax
        // and factor at hand); backward only scales it: one log-softmax per step instead of two
        Tensor grad = ctx.gradientOutput(0);
        double total = SoftmaxFocal.sum(x, labels, ignoreIndex, coef, gamma, floor, grad);
        ctx.saveForBackward(grad);
        return Tensor.scalar((float) total);
    }

    @Override
    protected Tensor[] backward(Ctx ctx, Tensor g) {
        if (!ctx.needsInputGrad(0)) return new Tensor[] {null};
        ctx.handOverGradient(0);   // gradientOutput's array: new or recycled, nobody else holds it
        return new Tensor[] {ctx.saved(0).muli(g.item())};   // written at scale 1 by forward
    }
}
