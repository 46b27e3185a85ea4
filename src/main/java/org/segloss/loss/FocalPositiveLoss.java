package org.segloss.loss;

import java.util.List;
import org.segloss.autograd.Var;
import org.segloss.tensor.Tensor;

/**
 * Focal Positive loss of Yang et al.'s left-atrium composite: a focal cross-entropy over the
 * foreground voxels only.
 *
 * <p><b>Reconstructed from the paper's description; equations not verified against the paper.</b>
 * Paper: Yang et al., "Combating uncertainty with novel losses for automatic left atrium
 * segmentation", STACOM 2018, arXiv 1812.05807: the proposed loss "guides the learning of a
 * voxel-specific threshold and emphasises the foreground". This project's reading (spec/losses/left-atrium.md):
 * <pre>
 *   FPL = -(1 / |F|) Σ_{i ∈ F} (1 - p[y_i, i])^γ log p[y_i, i]
 * </pre>
 * with F the voxels of the batch whose label is a foreground class (not 0, not ignored) and
 * {@code log p} from a log-softmax of the logits (log-sum-exp, stable). |F| = 0 gives 0 with zero
 * gradient. γ (default 2) >= 0; for γ &lt; 1 the factor (1 - p)^γ is clamped below at 1e-12 so the
 * gradient stays finite at p = 1. Input: logits (SOFTMAX only). Background never enters F, so
 * {@code includeBackground} stays false.
 */
public final class FocalPositiveLoss extends SegmentationLoss {
    private final float gamma;

    private FocalPositiveLoss(Builder b) {
        super(b);
        this.gamma = b.gamma;
    }

    public static Builder builder() { return new Builder(); }

    public float gamma() { return gamma; }

    @Override
    protected Var compute(Prepared p) {
        int c = p.input().shape().dim(1);
        Var logp = p.input().logSoftmax(1).slice(1, 1, c);       // foreground channels: [B, C-1, *]
        Tensor g = p.target();                                     // [B, C-1, *], 0 at ignored voxels
        float count = (float) g.sumDouble();                        // |F|: g is one-hot on F, 0 elsewhere
        if (count == 0f) return p.input().mul(0f).sum();          // no foreground voxel: 0, zero gradient
        Var logPy = logp.mul(g).sum(new int[] {1}, true);          // log p of the true class on F, 0 elsewhere
        Var oneMinus = logPy.exp().rsub(1f).clamp(1e-12f, 1f);
        Var focal = gamma == 0f ? logPy : oneMinus.pow(gamma).mul(logPy);
        return focal.sum().mul(-1f / count);                      // focal is 0 off F: logPy is
    }

    // ---- options (LossOption): declared once; the builder's defaults come from here ----

    public static final LossOption<Builder, Float> GAMMA = LossOption.number("gamma", "2", LossOption.Range.NON_NEG, "Focusing exponent.",
            Builder::gamma);
    /** Every option, in the order they are listed (the background is never supervised: no include-background). */
    public static final List<LossOption<?, ?>> OPTIONS = List.of(GAMMA, SegmentationLoss.IGNORE_INDEX);

    /** Options of {@link FocalPositiveLoss}. */
    public static final class Builder extends SegmentationLoss.Builder<Builder> {
        float gamma = GAMMA.defaultFloat();

        Builder() { includeBackground = false; }

        /** The focusing exponent γ >= 0 (default 2). */
        public Builder gamma(float v) {
            requireNonNegative("FocalPositiveLoss", "gamma", v);
            gamma = v;
            return this;
        }

        public FocalPositiveLoss build() {
            if (activation != Activation.SOFTMAX) {
                throw new IllegalArgumentException("FocalPositiveLoss: activation must be SOFTMAX (the input is logits), got " + activation);
            }
            if (includeBackground) {
                throw new IllegalArgumentException("FocalPositiveLoss: includeBackground must be false: background voxels are never in F");
            }
            if (weight != null) {
                throw new IllegalArgumentException("FocalPositiveLoss: weight is not supported (F is averaged unweighted)");
            }
            if (reduction != Reduction.MEAN) {
                throw new IllegalArgumentException("FocalPositiveLoss: reduction must be MEAN (the mean over F), got " + reduction);
            }
            return new FocalPositiveLoss(this);
        }
    }
}
