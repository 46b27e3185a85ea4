package org.segloss.loss;

import java.util.Arrays;
import java.util.List;
import org.segloss.autograd.Var;

/**
 * Focal Tversky loss: the Tversky loss of each item raised to a power, per class before the
 * mean (the paper's Eq. 4), with the authors' / SegLoss "mean, then power" form as a variant.
 *
 * <p>Paper: Abraham, Khan, "A novel focal Tversky loss function with improved attention U-Net for
 * lesion segmentation", ISBI 2019, arXiv 1810.07842, Eq. 3 (Tversky index) and Eq. 4
 * ({@code FTL = Σ_c (1 - TI_c)^(1/γ)}, γ ∈ [1, 3], experiments γ = 4/3). Adapted from
 * nabsabraham/focal-tversky-unet {@code losses.py} ({@code focal_tversky}) and JunMa11/SegLoss
 * {@code losses_pytorch/dice_loss.py} ({@code FocalTversky_loss}); the Tversky index is
 * {@link TverskyLoss}'s (MONAI's).
 *
 * <p>Per item (b, c), or per class with {@code batch}:
 * <pre>
 *   TI = (TP + smoothNr) / (TP + alpha·FP + beta·FN + smoothDr)                 (see TverskyLoss)
 *   Form.PER_CLASS (default, Eq. 4):    f[b,c] = max(1 - TI[b,c], MIN_BASE)^exponent,
 *                                      then weight[c]·f and the reduction (MEAN / SUM / NONE [B, C'])
 *   Form.MEAN_THEN_POWER (authors' code, SegLoss):  max(1 - mean_items TI, MIN_BASE)^exponent (a scalar)
 * </pre>
 * {@code exponent} is the power actually applied: default 0.75, the paper's γ = 4/3 (exponent
 * 1/γ). Paper Eq. 4 sums over classes: {@code reduction(SUM)}; the default MEAN divides that by
 * the number of items.
 *
 * <p><b>Naming.</b> {@code alpha} weighs false positives and {@code beta} false negatives, as in
 * {@link TverskyLoss} and MONAI; Abraham &amp; Khan's α = 0.7 weighs false negatives, so their
 * setting is {@code alpha(0.3f).beta(0.7f)} here, which is this loss's default.
 *
 * <p><b>Clamp.</b> For exponents below 1 the slope {@code exponent·(1 - TI)^(exponent - 1)}
 * diverges as TI → 1, and at an exactly perfect item (TI = 1, reached with smoothNr = smoothDr)
 * autograd would form ∞·0 = NaN (focal-tversky-unet #29, #10). The base {@code 1 - TI} is clamped
 * below at {@link #MIN_BASE} = 1e-7 (about the float32 resolution of TI near 1, so nothing
 * representable is lost): below it the gradient is exactly 0, above it bounded by
 * {@code exponent·MIN_BASE^(exponent - 1)} (≈ 42 for 0.75). The clamp lifts the value of a
 * perfect item from 0 to {@code MIN_BASE^exponent} (≈ 5.6e-6 for 0.75).
 *
 * <p>Presets: {@link #segLossBuilder()} reproduces SegLoss's {@code FocalTversky_loss} (mean
 * then power, alpha 0.3 / beta 0.7, smooth 1, exponent 0.75); the authors' Keras code computes one
 * global index over all channels, which is MEAN_THEN_POWER only when a single item is scored.
 *
 * <p>With SOFTMAX and hard targets TP, FP and FN come from one fused pass over the logits
 * ({@link RegionStatistics}), as in {@link TverskyLoss}: the
 * full-size probabilities are never stored. Other activations and soft labels use the composed
 * graph. The fused sums round differently from the composed ones (a few ulps).
 */
public final class FocalTverskyLoss extends SegmentationLoss {

    /** The lower clamp of {@code 1 - TI} before the power (see the class comment). */
    public static final float MIN_BASE = 1e-7f;

    /** Where the power is applied. */
    public enum Form {
        /** {@code (1 - TI_c)^exponent} per item, then the reduction (paper Eq. 4; smp #734/#737). */
        PER_CLASS,
        /** {@code (1 - mean TI)^exponent}: SegLoss {@code FocalTversky_loss}, the authors' code. */
        MEAN_THEN_POWER
    }

    private final float alpha, beta, smoothNr, smoothDr, exponent;
    private final boolean batch;
    private final Form form;

    private FocalTverskyLoss(Builder b) {
        super(b);
        this.alpha = b.alpha;
        this.beta = b.beta;
        this.smoothNr = b.smoothNr;
        this.smoothDr = b.smoothDr;
        this.exponent = b.exponent;
        this.batch = b.batch;
        this.form = b.form;
    }

    /** Defaults: alpha (FP) 0.3, beta (FN) 0.7, exponent 0.75, smoothing 1e-5, PER_CLASS, softmax, mean. */
    public static Builder builder() { return new Builder(); }

    /** {@code builder().build()}. */
    public static FocalTverskyLoss create() { return builder().build(); }

    /**
     * SegLoss's {@code FocalTversky_loss(gamma = 0.75)}: MEAN_THEN_POWER, alpha (FP) 0.3, beta (FN)
     * 0.7, smooth 1 in numerator and denominator. SegLoss's {@code gamma}, {@code do_bg} and
     * {@code batch_dice} are {@code exponent}, {@code includeBackground} and {@code batch}.
     */
    public static Builder segLossBuilder() {
        return builder().form(Form.MEAN_THEN_POWER).alpha(0.3f).beta(0.7f).smoothNr(1f).smoothDr(1f).exponent(0.75f);
    }

    @Override
    protected Var compute(Prepared p) {
        Var ti = TverskyLoss.index(RegionStatistics.of(this, p, false, batch), alpha, beta, smoothNr, smoothDr);   // [B, C'] or [C']
        if (form == Form.MEAN_THEN_POWER) {
            if (nothingCounts(p)) return ti.sum().mul(0f);   // no voxel counts: 0, zero gradient
            return power(meanItems(ti, p, batch).rsub(1f));   // all-ignored samples left out
        }
        return weightAndReduce(power(ti.rsub(1f)), p, batch);
    }

    /** max(base, MIN_BASE)^exponent; the clamp keeps the slope finite at a perfect score. */
    private Var power(Var base) {
        Var b = base.clamp(MIN_BASE, Float.POSITIVE_INFINITY);
        return exponent == 1f ? b : b.pow(exponent);
    }

    // ---- options (LossOption): declared once; the builder's defaults come from here ----

    public static final LossOption<Builder, Float> ALPHA = LossOption.number("alpha", "0.3", LossOption.Range.NON_NEG,
            "Weight of the false positives.", Builder::alpha);
    public static final LossOption<Builder, Float> BETA = LossOption.number("beta", "0.7", LossOption.Range.NON_NEG,
            "Weight of the false negatives.", Builder::beta);
    public static final LossOption<Builder, Float> EXPONENT = LossOption.number("exponent", "0.75", LossOption.Range.POS,
            "The power applied to 1 - TI (1/gamma of the paper).", Builder::exponent);
    public static final LossOption<Builder, Boolean> BATCH = LossOption.bool("batch", false, RegionLossBuilder.BATCH_ITEMS_DOC,
            Builder::batch);
    public static final LossOption<Builder, Form> FORM = LossOption.choice("form", Form.PER_CLASS,
            "per-class (paper Eq. 4) or mean-then-power (authors' code, SegLoss).", Builder::form);
    public static final LossOption<SegmentationLoss.Builder<?>, Boolean> INCLUDE_BACKGROUND =
            SegmentationLoss.includeBackground(true, "library/MONAI default");
    /** Every option, in the order they are listed. */
    public static final List<LossOption<?, ?>> OPTIONS = List.of(ALPHA, BETA, EXPONENT, RegionLossBuilder.SMOOTH_NR,
            RegionLossBuilder.SMOOTH_DR, BATCH, FORM, INCLUDE_BACKGROUND, SegmentationLoss.WEIGHT, SegmentationLoss.IGNORE_INDEX,
            SegmentationLoss.REDUCTION);

    /** Options of {@link FocalTverskyLoss} ({@link #OPTIONS}). */
    public static final class Builder extends RegionLossBuilder<Builder> {
        float alpha = ALPHA.defaultFloat(), beta = BETA.defaultFloat(), exponent = EXPONENT.defaultFloat();
        boolean batch = BATCH.defaultBoolean();
        Form form = FORM.defaultChoice(Form.class);

        public Builder() {
            super("FocalTverskyLoss");
            includeBackground = INCLUDE_BACKGROUND.defaultBoolean();
        }

        /** Weight of the false positives (default 0.3); finite and >= 0. */
        public Builder alpha(float v) { requireNonNegative("FocalTverskyLoss", "alpha (weight of false positives)", v); alpha = v; return this; }

        /** Weight of the false negatives (default 0.7, Abraham &amp; Khan's "α = 0.7"); finite and >= 0. */
        public Builder beta(float v) { requireNonNegative("FocalTverskyLoss", "beta (weight of false negatives)", v); beta = v; return this; }

        /** Same as {@link #alpha(float)}. */
        public Builder weightFP(float v) { return alpha(v); }

        /** Same as {@link #beta(float)}. */
        public Builder weightFN(float v) { return beta(v); }

        /** The power applied to 1 - TI (default 0.75 = 1/γ with the paper's γ = 4/3); finite and > 0. */
        public Builder exponent(float v) {
            if (!(v > 0f) || Float.isInfinite(v)) {
                throw new IllegalArgumentException("FocalTverskyLoss: exponent must be finite and > 0 (the power actually applied,"
                        + " 1/γ in the paper), got " + v);
            }
            exponent = v;
            return this;
        }

        /** Pool the statistics over the batch (one item per class). Default false. */
        public Builder batch(boolean v) { batch = v; return this; }

        /** PER_CLASS (default, paper Eq. 4) or MEAN_THEN_POWER (SegLoss, the authors' code). */
        public Builder form(Form f) {
            if (f == null) throw new IllegalArgumentException("FocalTverskyLoss: form must be one of " + Arrays.toString(Form.values()) + ", got null");
            form = f;
            return this;
        }

        public FocalTverskyLoss build() {
            if (alpha == 0f && beta == 0f) {
                throw new IllegalArgumentException("FocalTverskyLoss: alpha (FP weight) and beta (FN weight) must not both be 0,"
                        + " got alpha=0.0, beta=0.0");
            }
            requirePositiveSmoothDr("with 0 an empty item gives 0/0 = NaN");
            if (form == Form.MEAN_THEN_POWER && reduction != Reduction.MEAN) {
                throw new IllegalArgumentException("FocalTverskyLoss: form MEAN_THEN_POWER yields one value (the power of the mean"
                        + " index), so reduction must be MEAN, got " + reduction);
            }
            if (form == Form.MEAN_THEN_POWER && weight != null) {
                throw new IllegalArgumentException("FocalTverskyLoss: weight needs form PER_CLASS (class weights multiply"
                        + " per-class terms), got form MEAN_THEN_POWER with weight " + Arrays.toString(weight));
            }
            return new FocalTverskyLoss(this);
        }
    }
}
