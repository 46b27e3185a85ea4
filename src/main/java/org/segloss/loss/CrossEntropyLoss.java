package org.segloss.loss;

import java.util.Arrays;
import java.util.List;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;

/**
 * Multi-class cross-entropy on logits with PyTorch {@code nn.CrossEntropyLoss} semantics: class
 * weights, an ignore index and label smoothing. Spec page: {@code spec/losses/cross-entropy.md}.
 *
 * <p>Adapted from PyTorch {@code torch.nn.CrossEntropyLoss} (the class-index, probability-target
 * and label-smoothing paths of {@code aten/src/ATen/native/LossNLL.cpp}), as used by MONAI
 * {@code DiceCELoss} and nnU-Net {@code RobustCrossEntropyLoss}; spec/losses/cross-entropy.md.
 *
 * <p>Per voxel n (sample b, spatial index i), with {@code log p = logSoftmax(z)} over the class
 * axis (the log-sum-exp form, finite for logits of any magnitude; never {@code log(softmax)}),
 * true class y, class weights w (all 1 when none are given) and smoothing ε:
 * <pre>
 *   ℓ_n = (1 - ε) · w[y] · (-log p_y)  +  (ε / C) · Σ_c w_c · (-log p_c)
 *       = -Σ_c w_c · t'_c · log p_c,        t' = (1 - ε) · onehot(y) + ε / C
 * </pre>
 * and ℓ_n = 0 at ignored voxels. Reductions: MEAN {@code Σ_n ℓ_n / Σ_n w[y_n]} over the voxels
 * that are not ignored (a weighted mean, not a division by the voxel count: pytorch#40560); SUM
 * {@code Σ_n ℓ_n}; NONE the per-voxel map {@code [B, *spatial]}, 0 at ignored voxels. With
 * ε &gt; 0 and weights, the smoothing term is weighted by w_c and shares the denominator
 * {@code Σ w[y_n]}, as PyTorch's {@code cross_entropy_loss_label_smoothing} does; without weights
 * it is MONAI's form {@code mean_n[(1-ε)(-log p_y) + ε/C Σ_c(-log p_c)]}.
 *
 * <p>Targets. A label map {@code [B, *spatial]} takes the log-probability at the label
 * ({@code gather}; ignored voxels read a safe index and are masked to 0). A one-hot target
 * {@code [B, C, *spatial]} ({@code softLabel=false}) gives exactly the same loss: it uses the
 * same weighted-mean denominator {@code Σ_n Σ_c w_c t_nc = Σ_n w[y_n]}; voxels whose column is
 * all zero are the ignored ones when {@code ignoreIndex} is set. With {@code softLabel=true} a
 * target tensor is a probability target (PyTorch's second mode): {@code ℓ_n = -Σ_c w_c t'_c log p_c}
 * with {@code t' = (1-ε) t + ε/C}, and MEAN divides by the number of counted voxels
 * ({@code B·S} when nothing is ignored) whatever the weights, as PyTorch does; so with weights a
 * label map and its one-hot tensor differ in that mode, as they do in PyTorch.
 *
 * <p>Gradient (label map, one voxel): {@code ∂ℓ_n/∂z_k = w[y]·(p_k - [k = y])} (ε = 0), divided by
 * {@code Σ w[y_n]} for MEAN; ignored voxels get exactly 0.
 *
 * <p>Edge cases: every voxel ignored (or every counted voxel of weight 0) with MEAN gives 0 with
 * zero gradient; PyTorch returns NaN there by design (0/0, pytorch#70348, #116349). An
 * {@code ignoreIndex} inside [0, C) removes those voxels, but that class stays in the softmax
 * denominator of the others (pytorch#63004).
 *
 * <p>Options: the input is always logits and the activation is fixed to SOFTMAX (others are
 * rejected); {@code includeBackground} must stay true (CE has no background switch; MONAI's
 * DiceCE applies it to the Dice part only), so {@code weight} has C entries, background
 * included. {@code labelSmoothing} ε in [0, 1), default 0; {@code reduction} MEAN.
 */
public final class CrossEntropyLoss extends SegmentationLoss {
    private final float labelSmoothing;

    private CrossEntropyLoss(Builder b) {
        super(b);
        this.labelSmoothing = b.labelSmoothing;
    }

    public static Builder builder() { return new Builder(); }

    /** PyTorch's defaults: no weights, no ignore index, no smoothing, mean. */
    public static CrossEntropyLoss create() { return builder().build(); }

    public float labelSmoothing() { return labelSmoothing; }

    @Override
    protected Var compute(Prepared p) {
        if (p.labels() != null && reduction != Reduction.NONE) return fusedFromLabels(p);
        Var logp = p.input().logSoftmax(1);   // [B, C, *spatial], stable log-sum-exp form
        return p.labels() != null ? fromLabels(p.labels(), logp) : fromTarget(p, logp);
    }

    /**
     * Label map [B, *spatial] with MEAN or SUM: the fused softmax cross-entropy
     * ({@link FusedCrossEntropy}, one pass over the logits each way), the same value as
     * {@link #fromLabels} within float rounding.
     */
    private Var fusedFromLabels(Prepared p) {
        // the divisor from the labels before the pass (the pass checks their range on its way)
        double divisor = reduction == Reduction.SUM ? 1.0 : countedWeight(p);
        // without smoothing the pass then writes the gradient too
        if (labelSmoothing == 0f && divisor > 0) return FusedCrossEntropy.mean(this, p, weight, divisor);
        return reduceVoxels(FusedCrossEntropy.sum(this, p, weight, labelSmoothing), divisor);
    }

    /**
     * MEAN's denominator Σ w[y_n] over the counted voxels, from the labels alone: without weights the
     * voxels whose label is not the ignore value (one vector count; labels outside [0, C) are
     * rejected by the pass that follows), with weights from the class counts.
     */
    private double countedWeight(Prepared p) {
        LabelTensor y = p.labels();
        if (weight == null) return y.size() - y.count(ignoreIndex);
        int c = p.input().shape().dim(1);
        Tensor counts = y.classCounts(c, ignoreIndex);   // [B, C], exact
        double wsum = 0;
        for (int i = 0; i < counts.size(); i++) wsum += weight[i % c] * (double) counts.at(i);
        return wsum;
    }

    /** Label map [B, *spatial], composed path (reduction NONE): gather -log p at the label. */
    private Var fromLabels(LabelTensor y, Var logp) {
        int c = logp.shape().dim(1);
        int n = y.size();
        int[] safe = new int[n];          // ignored voxels read class 0 and are masked below
        float[] wv = new float[n];        // w[y_n], 0 at ignored voxels
        float[] valid = new float[n];
        double wsum = 0;
        for (int i = 0; i < n; i++) {
            int v = y.at(i);
            if (v == ignoreIndex) continue;
            safe[i] = v;
            wv[i] = weight == null ? 1f : weight[v];
            valid[i] = 1f;
            wsum += wv[i];
        }
        int[] s1 = y.shape().insert(1, 1).dims();   // [B, 1, *spatial]
        Var l = logp.gather(1, LabelTensor.of(safe, s1)).neg().mul(Tensor.wrap(wv, s1));
        if (labelSmoothing > 0f) {
            // (ε / C) Σ_c w_c (-log p_c), only at counted voxels
            Var all = weight == null ? logp : logp.mul(classVector(c, logp.shape().rank()));
            Var smooth = all.sum(new int[] {1}, true).neg().mul(Tensor.wrap(valid, s1));
            l = l.mul(1f - labelSmoothing).add(smooth.mul(labelSmoothing / c));
        }
        return reduceVoxels(l, wsum);
    }

    /** One-hot or (softLabel) probability target [B, C, *spatial]. */
    private Var fromTarget(Prepared p, Var logp) {
        int c = logp.shape().dim(1);
        int rank = logp.shape().rank();
        Tensor t = p.target();                 // zero columns at ignored voxels
        Tensor valid = p.valid();              // [B, 1, *spatial] or null (nothing ignored)
        Tensor wt = weight == null ? null : classVector(c, rank);
        // denominator: Σ w_c t_c (= Σ w[y_n], the label path's) for one-hot; counted voxels for soft
        double denom;
        if (softLabel) {
            denom = valid == null ? (double) t.size() / c : valid.sumDouble();
        } else {
            denom = (wt == null ? t : t.mul(wt)).sumDouble();
        }
        Tensor coef = t;
        if (labelSmoothing > 0f) {
            Tensor uniform = valid == null ? Tensor.scalar(labelSmoothing / c) : valid.mul(labelSmoothing / c);
            coef = t.mul(1f - labelSmoothing).add(uniform);
        }
        if (wt != null) coef = coef.mul(wt);
        Var l = logp.mul(coef).sum(new int[] {1}, true).neg();   // [B, 1, *spatial]
        return reduceVoxels(l, denom);
    }

    /** The weight vector shaped [1, C, 1, ...] to broadcast against [B, C, *spatial]. */
    private Tensor classVector(int c, int rank) {
        int[] d = new int[rank];
        Arrays.fill(d, 1);
        d[1] = c;
        return Tensor.of(weight, d);
    }

    /** Reduces per-voxel values [B, 1, *spatial] (or their scalar sum: MEAN and SUM only); MEAN divides by {@code denom}. */
    private Var reduceVoxels(Var l, double denom) {
        return switch (reduction) {
            case MEAN -> denom > 0 ? l.sum().div((float) denom)
                    : l.sum().mul(0f);   // nothing counted: 0 with zero gradient (PyTorch: NaN, #70348)
            case SUM -> l.sum();
            case NONE -> l.reshape(l.shape().remove(1).dims());
        };
    }

    // ---- options (LossOption): declared once; the builder's defaults come from here ----

    public static final LossOption<Builder, float[]> WEIGHT = LossOption.numbers("weight", "C entries", LossOption.Range.NON_NEG,
            "Class weights, background included.", Builder::weight);
    public static final LossOption<Builder, Float> LABEL_SMOOTHING = LossOption.number("label-smoothing", "0", LossOption.Range.UNIT_OPEN,
            "Target (1 - eps) onehot + eps / C.", Builder::labelSmoothing);
    /** Every option, in the order they are listed (always over every class: no include-background). */
    public static final List<LossOption<?, ?>> OPTIONS = List.of(WEIGHT, LABEL_SMOOTHING, SegmentationLoss.IGNORE_INDEX,
            SegmentationLoss.REDUCTION);

    /** Options of {@link CrossEntropyLoss}, with PyTorch's defaults. */
    public static final class Builder extends SegmentationLoss.Builder<Builder> {
        float labelSmoothing = LABEL_SMOOTHING.defaultFloat();

        /** ε in [0, 1): the target becomes (1 - ε) onehot + ε / C (default 0). */
        public Builder labelSmoothing(float eps) {
            if (!(eps >= 0f && eps < 1f)) {
                throw new IllegalArgumentException("CrossEntropyLoss: labelSmoothing must be in [0, 1), got " + eps);
            }
            labelSmoothing = eps;
            return this;
        }

        public CrossEntropyLoss build() {
            if (activation != Activation.SOFTMAX) {
                throw new IllegalArgumentException("CrossEntropyLoss: activation must be SOFTMAX (the input is logits;"
                        + " log-softmax is applied inside), got " + activation);
            }
            if (!includeBackground) {
                throw new IllegalArgumentException("CrossEntropyLoss: includeBackground must be true (cross-entropy"
                        + " always uses every class; weight the background with weight[0] instead), got false");
            }
            return new CrossEntropyLoss(this);
        }
    }
}
