package org.segloss.loss;

import java.util.Arrays;
import java.util.List;
import org.segloss.autograd.Var;
import org.segloss.tensor.Tensor;

/**
 * Focal loss with MONAI {@code FocalLoss} semantics (softmax and sigmoid forms, scalar or
 * per-class α, class weights). Spec page: {@code spec/losses/focal.md}.
 *
 * <p>Paper: Lin, Goyal, Girshick, He, Dollár, "Focal loss for dense object detection", ICCV 2017,
 * arXiv 1708.02002, Eq. 5: {@code FL(p_t) = -α_t (1 - p_t)^γ log p_t} (Eq. 4 without α; γ = 0 is
 * (α-balanced) cross-entropy). Adapted from MONAI {@code monai/losses/focal_loss.py}
 * ({@code softmax_focal_loss}, {@code sigmoid_focal_loss}); spec/losses/focal.md.
 *
 * <p>Per element (sample b, kept channel c, voxel i), target t (one-hot, or soft with
 * {@code softLabel}):
 * <pre>
 *   SOFTMAX:  ℓ = -(1 - p_c)^γ · log p_c · t_c,        log p = logSoftmax(z) over the channels
 *   SIGMOID:  ℓ = (x - x·t - log σ(x)) · exp(γ · log σ(-x·(2t - 1)))
 *               = BCE-with-logits(x, t) · (1 - p_t)^γ
 * </pre>
 * then × the α factor, × {@code weight[c]}, then the reduction. α: a scalar in SOFTMAX mode
 * multiplies channel 0 (background) by 1 - α and every other channel by α (MONAI); in SIGMOID mode
 * it is {@code α·t + (1 - α)(1 - t)} per element (paper's α_t). A per-class α array (one entry
 * per kept class, each in [0, 1]) multiplies channel c by α_c (SOFTMAX) or gives
 * {@code α_c·t + (1 - α_c)(1 - t)} (SIGMOID).
 *
 * <p>Reductions: MEAN over the {@code B·C'·S} elements (MONAI; in SOFTMAX mode this also divides
 * the per-voxel loss by C'); with ignored voxels the divisor is {@code C'·N_valid}, so the value
 * equals the loss on the image with those voxels cut out. SUM: the sum of the elements. NONE: the
 * elements {@code [B, C', *spatial]}, 0 at ignored voxels.
 *
 * <p>Variants ({@link Variant}). STANDARD (default): the softmax runs over all C channels and
 * {@code includeBackground=false} drops channel 0 afterwards. MONAI reproduces two non-standard
 * choices of MONAI's FocalLoss (spec/losses/focal.md#variants, the vectors' {@code reference_specific} cases):
 * with {@code includeBackground=false} channel 0 is removed before the softmax (a softmax over the
 * foreground channels only), and SUM averages over the spatial axes first (then sums over B and
 * C'; with ignored voxels, over the sample's counted voxels). MONAI silently drops a scalar α in
 * that softmax-without-background case (MONAI#8117); here that combination is rejected.
 *
 * <p>Numerics: log p comes from logSoftmax (or the stable log-sigmoid), never log of a
 * probability, so logits of any magnitude are fine. The factor {@code (1 - p)^γ} is computed as
 * {@code max(1 - exp(log p), 1e-12)^γ}: for γ &lt; 1 the derivative {@code γ (1 - p)^(γ-1)} is
 * infinite at p = 1 and autodiff would give 0·∞ = NaN at a perfect prediction; the clamp gives
 * that voxel zero gradient through the factor instead (the exact limit, since
 * {@code -log p → 0} there). In float32, {@code 1 - p} is either 0 or at least 6e-8, so the clamp
 * touches exactly the saturated voxels. γ = 0 skips the factor ({@code 0^0 = 1}). The sigmoid
 * factor is computed in log space ({@code exp(γ log σ(·))}) and needs no clamp.
 *
 * <p>Input: logits {@code [B, C, *spatial]} (activation SOFTMAX, the segloss default, or SIGMOID,
 * MONAI's default {@code use_softmax=False}); NONE is rejected. {@code weight} has one entry per
 * kept class.
 */
public final class FocalLoss extends SegmentationLoss {
    /** Which reference conventions to follow where they differ from the standard definition. */
    public enum Variant {
        /** Background removed after the softmax; SUM is the plain sum. */
        STANDARD,
        /** MONAI: background removed before the softmax; SUM averages over space first. */
        MONAI
    }

    /** Lower bound of 1 - p in the modulating factor (see the class comment). */
    static final float FACTOR_FLOOR = 1e-12f;

    private final float gamma;
    private final float alpha;          // NaN: no scalar alpha
    private final float[] alphaPerClass; // null: none
    private final Variant variant;

    private FocalLoss(Builder b) {
        super(b);
        this.gamma = b.gamma;
        this.alpha = b.alpha;
        this.alphaPerClass = b.alphaPerClass == null ? null : b.alphaPerClass.clone();
        this.variant = b.variant;
    }

    public static Builder builder() { return new Builder(); }

    /** Softmax, γ = 2, no α, no weights, background included, mean, STANDARD. */
    public static FocalLoss create() { return builder().build(); }

    public float gamma() { return gamma; }
    public Variant variant() { return variant; }

    @Override
    protected Var compute(Prepared p) {
        Var x = p.input();                    // [B, C, *spatial] logits
        int c = x.shape().dim(1);
        int off = p.channelOffset();
        int kept = c - off;
        int rank = x.shape().rank();
        if (alphaPerClass != null && alphaPerClass.length != kept) {
            throw new IllegalArgumentException("FocalLoss: alphaPerClass must have one entry per kept class: " + kept
                    + (off == 0 ? " (C = " + c + ", background included)"
                                : " (C - 1, background excluded; " + c + " with includeBackground=true)")
                    + ", got " + alphaPerClass.length);
        }
        Tensor valid = p.valid();             // [B, 1, *spatial] or null
        if (fused(p)) {
            // one pass over the logits each way (FusedFocal): the same terms as the graph below
            // the divisor is known before the pass, so the pass writes the gradient at its final scale
            float[] coefficients = softmaxCoefficients(c, off);
            if (reduction == Reduction.SUM) return FusedFocal.mean(this, p, coefficients, gamma, FACTOR_FLOOR, 1f);
            int b = x.shape().dim(0), perSample = x.shape().size() / (b * c);
            double n = valid == null ? (double) b * perSample : valid.sumDouble();
            if (n > 0) return FusedFocal.mean(this, p, coefficients, gamma, FACTOR_FLOOR, (float) (n * kept));
            return FusedFocal.mean(this, p, coefficients, gamma, FACTOR_FLOOR, 1f).mul(0f);   // all ignored: 0, zero gradient
        }
        Tensor t = p.target();                // [B, C', *spatial], zero columns at ignored voxels
        Var l;
        if (activation == Activation.SOFTMAX) {
            Var logp = off == 1 && variant == Variant.MONAI
                    ? x.slice(1, 1, c).logSoftmax(1)      // MONAI: softmax over the foreground channels only
                    : x.logSoftmax(1);
            if (off == 1 && variant == Variant.STANDARD) logp = logp.slice(1, 1, c);
            l = logp.mul(t).neg();                        // -t log p; 0 off the true channel and at ignored voxels
            if (gamma != 0f) {
                Var factor = logp.exp().rsub(1f).clamp(FACTOR_FLOOR, 1f).pow(gamma);
                l = l.mul(factor);
            }
            Tensor a = softmaxAlpha(c, off, rank);
            if (a != null) l = l.mul(a);
        } else {
            Var xs = off == 1 ? x.slice(1, 1, c) : x;
            Var bce = xs.sub(xs.mul(t)).sub(LogSigmoid.of(xs));          // BCE with logits
            l = bce;
            if (gamma != 0f) {
                Tensor sign = t.mul(-2f).add(1f);                        // -(2t - 1)
                l = l.mul(LogSigmoid.of(xs.mul(sign)).mul(gamma).exp()); // (1 - p_t)^γ in log space
            }
            Tensor a = sigmoidAlpha(t, kept, rank);
            if (a != null) l = l.mul(a);
            if (valid != null) l = l.mul(valid);          // a zero target column still has a BCE term
        }
        if (weight != null) l = l.mul(classVector(weight, rank));
        return reduceElements(l, valid);
    }

    /**
     * Whether the fused softmax focal sum ({@link FusedFocal}) gives this loss: SOFTMAX on a
     * label map (hard labels), reduction MEAN or SUM, the STANDARD variant (softmax over all C).
     */
    private boolean fused(Prepared p) {
        return activation == Activation.SOFTMAX && p.labels() != null && !softLabel && reduction != Reduction.NONE
                && variant == Variant.STANDARD;
    }

    /**
     * The focal term's coefficient of each of the C channels for {@link FusedFocal}: the α factor
     * times the class weight of kept class c - off (1 without either); 0 for a dropped background.
     */
    private float[] softmaxCoefficients(int c, int off) {
        float[] coef = new float[c];
        for (int ch = off; ch < c; ch++) {
            int k = ch - off;
            float a = alphaPerClass != null ? alphaPerClass[k] : Float.isNaN(alpha) ? 1f : ch == 0 ? 1f - alpha : alpha;
            coef[ch] = a * (weight == null ? 1f : weight[k]);
        }
        return coef;
    }

    /** MONAI's softmax α factor [1, C', 1, ...], or null. */
    private Tensor softmaxAlpha(int c, int off, int rank) {
        if (alphaPerClass != null) return classVector(alphaPerClass, rank);
        if (Float.isNaN(alpha)) return null;
        float[] f = new float[c - off];
        for (int k = 0; k < f.length; k++) f[k] = k + off == 0 ? 1f - alpha : alpha;
        return classVector(f, rank);
    }

    /** α·t + (1 - α)(1 - t) per element, or null. */
    private Tensor sigmoidAlpha(Tensor t, int kept, int rank) {
        if (alphaPerClass != null) {
            Tensor a = classVector(alphaPerClass, rank);
            return t.mul(a).add(t.mul(-1f).add(1f).mul(a.mul(-1f).add(1f)));
        }
        if (Float.isNaN(alpha)) return null;
        return t.mul(2f * alpha - 1f).add(1f - alpha);
    }

    private static Tensor classVector(float[] v, int rank) {
        int[] d = new int[rank];
        Arrays.fill(d, 1);
        d[1] = v.length;
        return Tensor.of(v, d);
    }

    /** MEAN over B·C'·N_valid, SUM (MONAI variant: mean over space first), NONE. */
    private Var reduceElements(Var l, Tensor valid) {
        int b = l.shape().dim(0), kept = l.shape().dim(1);
        int perSample = l.shape().size() / (b * kept);
        switch (reduction) {
            case NONE:
                return l;
            case MEAN: {
                double n = valid == null ? (double) b * perSample : valid.sumDouble();
                return n > 0 ? l.sum().div((float) (n * kept)) : l.sum().mul(0f);   // all ignored: 0, zero gradient
            }
            default: {   // SUM
                if (variant == Variant.STANDARD) return l.sum();
                // MONAI: mean over the spatial axes, then the sum over B and C'
                float[] inv = new float[b];
                for (int bi = 0; bi < b; bi++) {
                    double nb = perSample;
                    if (valid != null) {
                        nb = 0;
                        for (int i = 0; i < perSample; i++) nb += valid.at(bi * perSample + i);
                    }
                    inv[bi] = nb > 0 ? (float) (1.0 / nb) : 0f;
                }
                int[] d = new int[l.shape().rank()];
                Arrays.fill(d, 1);
                d[0] = b;
                return l.mul(Tensor.wrap(inv, d)).sum();
            }
        }
    }

    // ---- options (LossOption): declared once; the builder's defaults come from here ----

    public static final LossOption<Builder, Float> GAMMA = LossOption.number("gamma", "2", LossOption.Range.NON_NEG,
            "Focusing exponent; 0 gives cross-entropy.", Builder::gamma);
    /** No default: without alpha no class balance. */
    public static final LossOption<Builder, Float> ALPHA = LossOption.number("alpha", null, LossOption.Range.UNIT, "Scalar class balance.",
            Builder::alpha);
    public static final LossOption<Builder, float[]> ALPHA_PER_CLASS = LossOption.numbers("alpha-per-class", "one per kept class",
            LossOption.Range.UNIT, "Class balance per class (not with alpha).", Builder::alphaPerClass);
    public static final LossOption<SegmentationLoss.Builder<?>, Boolean> INCLUDE_BACKGROUND =
            SegmentationLoss.includeBackground(true, "library/MONAI default");
    public static final LossOption<Builder, Variant> VARIANT = LossOption.choice("variant", Variant.STANDARD,
            "monai: softmax over the foreground channels only when the background is excluded.", Builder::variant);
    /** Every option, in the order they are listed. */
    public static final List<LossOption<?, ?>> OPTIONS = List.of(GAMMA, ALPHA, ALPHA_PER_CLASS, INCLUDE_BACKGROUND, VARIANT,
            SegmentationLoss.WEIGHT, SegmentationLoss.IGNORE_INDEX, SegmentationLoss.REDUCTION);

    /** Options of {@link FocalLoss}: MONAI's names and defaults, except the segloss-wide SOFTMAX default. */
    public static final class Builder extends SegmentationLoss.Builder<Builder> {
        float gamma = GAMMA.defaultFloat();
        float alpha = Float.NaN;   // none (ALPHA has no default)
        float[] alphaPerClass;
        Variant variant = VARIANT.defaultChoice(Variant.class);

        public Builder() { includeBackground = INCLUDE_BACKGROUND.defaultBoolean(); }

        /** The focusing exponent γ >= 0 (default 2; 0 gives cross-entropy / BCE). */
        public Builder gamma(float v) {
            requireNonNegative("FocalLoss", "gamma", v);
            gamma = v;
            return this;
        }

        /** A scalar α in [0, 1] (MONAI's alpha); none by default. */
        public Builder alpha(float v) {
            if (!(v >= 0f && v <= 1f)) throw new IllegalArgumentException("FocalLoss: alpha must be in [0, 1], got " + v);
            alpha = v;
            alphaPerClass = null;
            return this;
        }

        /** One α per kept class, each in [0, 1]; replaces a scalar α. */
        public Builder alphaPerClass(float... v) {
            if (v == null || v.length == 0) {
                throw new IllegalArgumentException("FocalLoss: alphaPerClass needs one entry per kept class, got "
                        + (v == null ? "null" : "none"));
            }
            for (float a : v) {
                if (!(a >= 0f && a <= 1f)) {
                    throw new IllegalArgumentException("FocalLoss: alphaPerClass entries must be in [0, 1], got " + Arrays.toString(v));
                }
            }
            alphaPerClass = v.clone();
            alpha = Float.NaN;
            return this;
        }

        /** STANDARD (default) or MONAI (see {@link Variant}). */
        public Builder variant(Variant v) {
            if (v == null) throw new IllegalArgumentException("FocalLoss: variant must be one of " + Arrays.toString(Variant.values()) + ", got null");
            variant = v;
            return this;
        }

        public FocalLoss build() {
            if (activation == Activation.NONE) {
                throw new IllegalArgumentException("FocalLoss: activation must be SOFTMAX or SIGMOID (the input is logits), got NONE");
            }
            if (variant == Variant.MONAI && activation == Activation.SOFTMAX && !includeBackground && !Float.isNaN(alpha)) {
                throw new IllegalArgumentException("FocalLoss: a scalar alpha has no effect with variant MONAI, SOFTMAX and"
                        + " includeBackground=false (MONAI drops it with a warning); expected no alpha, alphaPerClass, or"
                        + " variant STANDARD, got alpha=" + alpha);
            }
            return new FocalLoss(this);
        }
    }
}
