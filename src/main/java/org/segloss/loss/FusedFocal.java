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
 *   (Σ_n ℓ_n) / d,   ℓ_n = -a[y_n] · max(1 - p_{y_n}, floor)^γ · log p_{y_n}      (0 at ignored voxels)
 * </pre>
 * with {@code log p = logSoftmax_c(x)}, a the per-channel coefficient (α times the class weight;
 * 0 for a channel that does not enter) and d a divisor known before the pass (1 for SUM, the
 * counted voxels times the kept classes for MEAN). The forward pass writes the gradient at scale
 * 1 / d (the scale Div's backward would hand a sum op for an upstream 1) into the gradient's
 * array while each chunk's softmax is in the cache, so backward has nothing left to do for an
 * upstream 1 and scales in place otherwise ({@code Tensor.muli}). When the input's finiteness
 * check is pending it is made in the same pass. {@link FocalLoss} uses it for SOFTMAX with a
 * label map and reduction MEAN or SUM (STANDARD variant); the per-voxel map (NONE), one-hot or
 * soft targets and the MONAI variant keep the composed graph.
 */
final class FusedFocal extends Function {
    private final LabelTensor labels;
    private final int ignoreIndex;
    private final float[] coef;
    private final float gamma, floor;
    private final float divisor;
    private final String finiteCheck;

    /** The sum (divisor 1), without a finiteness check. */
    FusedFocal(LabelTensor labels, int ignoreIndex, float[] coef, float gamma, float floor) {
        this(labels, ignoreIndex, coef, gamma, floor, 1f, null);
    }

    /**
     * @param divisor     d &gt; 0, finite: the op is the sum divided by d
     * @param finiteCheck null, or the loss's name under which NaN or infinite logits are rejected in the pass
     */
    FusedFocal(LabelTensor labels, int ignoreIndex, float[] coef, float gamma, float floor, float divisor, String finiteCheck) {
        if (!(divisor > 0f) || Float.isInfinite(divisor)) {
            throw new IllegalArgumentException("FusedFocal: divisor must be finite and > 0, got " + divisor);
        }
        this.labels = labels;
        this.ignoreIndex = ignoreIndex;
        this.coef = coef.clone();
        this.gamma = gamma;
        this.floor = floor;
        this.divisor = divisor;
        this.finiteCheck = finiteCheck;
    }

    /** {@code Σ_n ℓ_n} of the logits against the labels, as a differentiable scalar. */
    static Var sum(Var logits, LabelTensor labels, int ignoreIndex, float[] coef, float gamma, float floor) {
        return new FusedFocal(labels, ignoreIndex, coef, gamma, floor).apply(logits);
    }

    /**
     * {@code (Σ_n ℓ_n) / divisor} on the prepared input of {@code loss} (labels, ignore value): the
     * value and, for an upstream 1, the gradient of {@code sum(...).div(divisor)} to float32
     * rounding (the value the same bits); the pending finiteness check made in the same pass.
     */
    static Var mean(SegmentationLoss loss, Prepared p, float[] coef, float gamma, float floor, float divisor) {
        String check = p.finiteCheckPending() ? loss.name() : null;
        Var s = new FusedFocal(p.labels(), loss.ignoreIndex(), coef, gamma, floor, divisor, check).apply(p.input());
        p.finiteChecked();
        return s;
    }

    @Override
    protected Tensor forward(Ctx ctx, Tensor... in) {
        Tensor x = in[0];
        Tensor grad = ctx.needsInputGrad(0) ? ctx.gradientOutput(0) : null;
        // 1f / divisor: the gradient Div's backward hands a sum op for an upstream 1
        double total = SoftmaxFocal.sum(x, labels, ignoreIndex, coef, gamma, floor, grad, 1f / divisor, finiteCheck);
        if (grad != null) ctx.saveForBackward(grad);
        return Tensor.scalar(divisor == 1f ? (float) total : (float) total / divisor);
    }

    @Override
    protected Tensor[] backward(Ctx ctx, Tensor g) {
        if (!ctx.needsInputGrad(0)) return new Tensor[] {null};
        ctx.handOverGradient(0);   // gradientOutput's array: new or recycled, nobody else holds it
        return new Tensor[] {ctx.saved(0).muli(g.item())};   // written by forward at the scale of an upstream 1
    }
}
