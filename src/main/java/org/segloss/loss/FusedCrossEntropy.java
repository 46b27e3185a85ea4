package org.segloss.loss;

import org.segloss.autograd.Ctx;
import org.segloss.autograd.Function;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.SoftmaxCrossEntropy;
import org.segloss.tensor.Tensor;

/**
 * The label-map cross-entropy sum as one differentiable op (a custom {@link Function} over
 * {@link SoftmaxCrossEntropy}): input logits {@code x [B, C, *spatial]}, constant labels
 * {@code y [B, *spatial]}, output the scalar
 * <pre>
 *   Σ_n ℓ_n,   ℓ_n = (1 - ε) w[y_n] (-log p_{y_n}) + (ε / C) Σ_c w_c (-log p_c)   (0 at ignored voxels)
 * </pre>
 * with {@code log p = logSoftmax_c(x)}. Backward from the scalar g:
 * {@code gx_k = g · (p_k A_n − t_{n,k})}, {@code t = (1-ε) w[y] onehot(y) + (ε/C) w},
 * {@code A_n = Σ_k t_{n,k}}, p kept by forward in the gradient's array (from the exponentials of
 * its log-softmax) and turned into the gradient there. The cross-entropy losses use it for a label map
 * with reduction MEAN or SUM; the per-voxel map (NONE) and dense targets keep the composed path.
 */
final class FusedCrossEntropy extends Function {
    private final LabelTensor labels;
    private final int ignoreIndex;
    /** The class weights: given, or chosen by weightsOf in forward (then read by backward). */
    private float[] weight;
    private final float smoothing;
    /** Null, or how the weights follow from the pass's predicted volumes (no smoothing then). */
    private final PredictedWeights weightsOf;
    /** &gt; 0: the op is the sum divided by this (known before the pass; no smoothing), its gradient written by forward. */
    private final double divisor;
    private final String finiteCheck;
    /** Null, or [B · C] to receive the labels' class counts from the forward pass. */
    private final long[] classCounts;

    /**
     * @param weight      class weights (C entries) or null
     * @param ignoreIndex the label of ignored voxels (any value outside [0, C) when none)
     * @param smoothing   ε in [0, 1)
     * @param finiteCheck null, or the loss's name under which NaN or infinite logits are rejected in the pass
     */
    FusedCrossEntropy(LabelTensor labels, int ignoreIndex, float[] weight, float smoothing, String finiteCheck, long[] classCounts) {
        this(labels, ignoreIndex, weight, smoothing, finiteCheck, classCounts, null, 0);
    }

    private FusedCrossEntropy(LabelTensor labels, int ignoreIndex, float[] weight, float smoothing, String finiteCheck,
                              long[] classCounts, PredictedWeights weightsOf, double divisor) {
        this.labels = labels;
        this.ignoreIndex = ignoreIndex;
        this.weight = weight;
        this.smoothing = smoothing;
        this.finiteCheck = finiteCheck;
        this.classCounts = classCounts;
        this.weightsOf = weightsOf;
        this.divisor = divisor;
    }

    /**
     * {@code (Σ_n w[y_n] (-log p_{y_n})) / divisor} (no smoothing), for a divisor known before the
     * pass (&gt; 0: 1 for SUM, Σ w[y_n] over the counted voxels for MEAN, from the labels): the
     * forward pass writes the gradient at scale 1 / divisor into the gradient's array while each
     * chunk's softmax is in the cache, so backward has nothing left to do for an upstream gradient
     * of 1 (a loss's own backward) and scales in place otherwise. The value and, for an upstream
     * 1, the gradient are the bits of {@code sum(...).div((float) divisor)}.
     */
    static Var mean(SegmentationLoss loss, Prepared p, float[] weight, double divisor) {
        if (!(divisor > 0)) throw new IllegalArgumentException("FusedCrossEntropy.mean: divisor must be > 0, got " + divisor);
        String check = p.finiteCheckPending() ? loss.name() : null;
        Var s = new FusedCrossEntropy(p.labels(), loss.ignoreIndex(), weight, 0f, check, null, null, divisor).apply(p.input());
        p.finiteChecked();
        return s;
    }

    /**
     * Class weights chosen from the prediction of the same pass, as constants (stop-gradient):
     * from the number of counted voxels N and the predicted volume {@code V_c = Σ_n p_c(n)} of
     * each class over the batch (counted voxels only); C weights.
     */
    @FunctionalInterface
    interface PredictedWeights {
        float[] of(double counted, double[] predictedVolume);
    }

    /**
     * {@code Σ_n w[y_n] (-log p_{y_n})} with the weights w chosen by {@code weightsOf} from this
     * pass's own softmax (no smoothing): one pass over the logits instead of a softmax pass for
     * the volumes and another for the sum. The class counts of the pass come with it.
     */
    static Counted weightedByPrediction(SegmentationLoss loss, Prepared p, PredictedWeights weightsOf) {
        String check = p.finiteCheckPending() ? loss.name() : null;
        long[] counts = new long[p.labels().shape().dim(0) * p.input().shape().dim(1)];
        Var s = new FusedCrossEntropy(p.labels(), loss.ignoreIndex(), null, 0f, check, counts, weightsOf, 0).apply(p.input());
        p.finiteChecked();
        return new Counted(s, counts);
    }

    /** {@code Σ_n ℓ_n} of the logits against the labels, as a differentiable scalar. */
    static Var sum(Var logits, LabelTensor labels, int ignoreIndex, float[] weight, float smoothing) {
        return new FusedCrossEntropy(labels, ignoreIndex, weight, smoothing, null, null).apply(logits);
    }

    /**
     * {@link #sum(Var, LabelTensor, int, float[], float)} for the loss {@code loss} on the prepared
     * operands {@code p}: when the input's finiteness check is pending it is made in this pass.
     */
    static Var sum(SegmentationLoss loss, Prepared p, float[] weight, float smoothing) {
        String check = p.finiteCheckPending() ? loss.name() : null;
        Var s = new FusedCrossEntropy(p.labels(), loss.ignoreIndex(), weight, smoothing, check, null).apply(p.input());
        p.finiteChecked();
        return s;
    }

    /**
     * The sum and the labels' class counts {@code [B · C]} (as {@link LabelTensor#classCounts},
     * flattened), counted by the same pass.
     */
    record Counted(Var sum, long[] classCounts) {}

    @Override
    protected Tensor forward(Ctx ctx, Tensor... in) {
        Tensor x = in[0];
        if (divisor > 0) {
            float d = (float) divisor;
            if (!ctx.needsInputGrad(0)) {
                return Tensor.scalar((float) SoftmaxCrossEntropy.sum(x, labels, ignoreIndex, weight, 0f, finiteCheck) / d);
            }
            // 1f / d: the gradient Div's backward hands a sum op for an upstream 1
            Tensor grad = ctx.gradientOutput(0);
            double total = SoftmaxCrossEntropy.sumWithGradient(x, labels, ignoreIndex, weight, finiteCheck, grad, 1f / d, null);
            ctx.saveForBackward(grad);
            return Tensor.scalar((float) total / d);
        }
        if (weightsOf != null) {
            // one pass: the picked log-probabilities and the predicted volumes per class, then the weights
            int c = x.dim(1);
            double[] picked = new double[c], volume = new double[c];
            Tensor p = ctx.needsInputGrad(0) ? ctx.gradientOutput(0) : null;
            SoftmaxCrossEntropy.pickedSums(x, labels, ignoreIndex, finiteCheck, p, picked, volume, classCounts);
            double counted = 0;
            for (long n : classCounts) counted += n;
            weight = weightsOf.of(counted, volume);
            double total = 0;
            for (int ch = 0; ch < c; ch++) total -= weight[ch] * picked[ch];
            if (p != null) ctx.saveForBackward(p);
            return Tensor.scalar((float) total);
        }
        if (!ctx.needsInputGrad(0)) {
            return Tensor.scalar((float) SoftmaxCrossEntropy.sum(x, labels, ignoreIndex, weight, smoothing, finiteCheck, null,
                    classCounts));
        }
        // the softmax is kept in the gradient's array (from the log-probabilities' own exponentials)
        // and turned into the gradient there by backward
        Tensor p = ctx.gradientOutput(0);
        double total = SoftmaxCrossEntropy.sum(x, labels, ignoreIndex, weight, smoothing, finiteCheck, p, classCounts);
        ctx.saveForBackward(p);
        return Tensor.scalar((float) total);
    }

    @Override
    protected Tensor[] backward(Ctx ctx, Tensor g) {
        if (!ctx.needsInputGrad(0)) return new Tensor[] {null};
        ctx.handOverGradient(0);   // p's array came from gradientOutput: new or recycled, nobody else holds it
        if (divisor > 0) return new Tensor[] {ctx.saved(0).muli(g.item())};   // written by forward at the scale of an upstream 1
        return new Tensor[] {SoftmaxCrossEntropy.sumBackwardFromSoftmax(ctx.saved(0), labels, ignoreIndex, weight, smoothing, g.item())};
    }
}
