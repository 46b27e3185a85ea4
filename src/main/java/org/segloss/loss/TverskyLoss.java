package org.segloss.loss;

import java.util.List;
import org.segloss.autograd.Var;

/**
 * Tversky loss, as MONAI's {@code TverskyLoss} computes it, with SegLoss's negated form and the
 * asymmetric-similarity (F-beta) weighting as named presets.
 *
 * <p>Papers: Salehi, Erdogmus, Gholipour, "Tversky loss function for image segmentation using 3D
 * fully convolutional deep networks", MLMI 2017, arXiv 1706.05721 (Eqs. 3-4: α weighs false
 * positives, β false negatives; best α = 0.3, β = 0.7); Hashemi et al., "Asymmetric loss
 * functions and deep densely connected networks for highly imbalanced medical image
 * segmentation", IEEE Access 2018, arXiv 1803.11078 (F-beta). Adapted from MONAI
 * {@code monai/losses/tversky.py} ({@code TverskyLoss}) and JunMa11/SegLoss
 * {@code losses_pytorch/dice_loss.py} ({@code TverskyLoss}, {@code AsymLoss}).
 *
 * <p>Per item (sample b, class c; with {@code batch} one item per class, the sums running over
 * the batch too), with FP and FN computed directly (spec/losses/tversky.md):
 * <pre>
 *   TP = Σ p g,   FP = Σ p (1 - g),   FN = Σ (1 - p) g
 *   TI = (TP + smoothNr) / (TP + alpha·FP + beta·FN + smoothDr)
 *   f  = 1 - TI          (Form.ONE_MINUS, MONAI; range [0, 1])
 *   f  = -TI             (Form.NEGATIVE, SegLoss; range [-1, 0], same gradient)
 * </pre>
 * then {@code weight[c] * f}, then the reduction (MEAN over the B x C' items, SUM, or NONE:
 * {@code [B, C']}, or {@code [C']} with {@code batch}). α = β = 0.5 gives the Dice loss and
 * α = β = 1 the Jaccard (soft IoU) loss, each equal to MONAI's {@link DiceLoss} (plain /
 * {@code jaccard}) with twice the smoothing: {@code TI(½, ½) = (2I + 2s_n)/(P + G + 2s_d)}.
 *
 * <p><b>Naming.</b> {@code alpha} (alias {@link Builder#weightFP}) is the weight of the false
 * positives, {@code beta} ({@link Builder#weightFN}) of the false negatives: Salehi, MONAI,
 * NiftyNet and SegLoss use this order. Abraham &amp; Khan 2018 (focal Tversky, arXiv 1810.07842
 * Eq. 3) swap the letters: their "α = 0.7" weighs false negatives, i.e. {@code beta(0.7f)} here.
 *
 * <p>With {@code softLabel}, {@code TP = (Σ p + Σ g - Σ |p - g|) / 2}, {@code FP = Σ p - TP},
 * {@code FN = Σ g - TP} (MONAI's soft-label form): equal to the direct sums for one-hot targets,
 * and zero FP, FN at {@code p = g} for soft ones (MONAI #8094).
 *
 * <p>Epsilon placement: smoothNr in the numerator, smoothDr in the denominator (default 1e-5
 * each, MONAI). An empty item predicted empty scores TI = smoothNr / smoothDr (loss 0 with the
 * defaults); with {@code smoothNr = 0} it costs 1 with zero gradient, and a perfect non-empty item
 * costs {@code smoothDr / (TP + smoothDr)}. Ignored voxels are removed from p and g first.
 *
 * <p>With SOFTMAX and hard targets the sums come from one fused pass over the logits
 * ({@link RegionStatistics}): {@code TP = Σ p g}, {@code FP = Σ p - TP}, {@code FN = Σ g - TP}
 * (equal to the direct sums for one-hot targets); other activations and soft labels use the
 * composed graph.
 *
 * <p>Gradient (spec/losses/tversky.md#gradient): {@code ∂TI/∂p_i = [g_i·Den - (TP + s_n)(g_i(1 - β) + α(1 - g_i))] / Den²};
 * the autograd graph produces it.
 */
public final class TverskyLoss extends SegmentationLoss {

    /** What the loss returns from the Tversky index TI. */
    public enum Form {
        /** {@code 1 - TI} (MONAI, Salehi): range [0, 1]. */
        ONE_MINUS,
        /** {@code -TI} (SegLoss {@code TverskyLoss}, {@code AsymLoss}): range [-1, 0], same gradient. */
        NEGATIVE
    }

    private final float alpha, beta, smoothNr, smoothDr;
    private final boolean batch;
    private final Form form;

    private TverskyLoss(Builder b) {
        super(b);
        this.alpha = b.alpha;
        this.beta = b.beta;
        this.smoothNr = b.smoothNr;
        this.smoothDr = b.smoothDr;
        this.batch = b.batch;
        this.form = b.form;
    }

    /** MONAI's defaults: alpha = beta = 0.5 (the Dice loss), smoothing 1e-5, softmax, mean. */
    public static Builder builder() { return new Builder(); }

    /** {@code builder().build()}. */
    public static TverskyLoss create() { return builder().build(); }

    /**
     * SegLoss's {@code TverskyLoss} (and Salehi's best setting): alpha (FP) 0.3, beta (FN) 0.7,
     * smooth 1 in numerator and denominator, returning {@code -TI}. SegLoss's {@code do_bg} and
     * {@code batch_dice} are {@code includeBackground} and {@code batch}.
     */
    public static Builder segLossBuilder() {
        return builder().alpha(0.3f).beta(0.7f).smoothNr(1f).smoothDr(1f).form(Form.NEGATIVE);
    }

    /**
     * The asymmetric similarity loss of Hashemi et al. 2018 (F-beta): weightFP = 1 / (1 + β²),
     * weightFN = β² / (1 + β²); SegLoss's {@code AsymLoss} uses β = 1.5 and {@link Form#NEGATIVE}.
     */
    public static Builder asymmetricSimilarityBuilder(float fBeta) {
        return builder().fBeta(fBeta);
    }

    public float alpha() { return alpha; }
    public float beta() { return beta; }

    @Override
    protected Var compute(Prepared p) {
        Var ti = index(RegionStatistics.of(this, p, false, batch), alpha, beta, smoothNr, smoothDr);   // [B, C'] or [C']
        Var f = form == Form.ONE_MINUS ? ti.rsub(1f) : ti.neg();
        return weightAndReduce(f, p, batch);   // samples with every voxel ignored left out
    }

    /**
     * The Tversky index per item from the region statistics ({@code [B, C']}, or {@code [C']}
     * when pooling the batch): TP = I, FP = P - TP, FN = G - TP. For a hard g these are
     * Σ p (1 - g) and Σ (1 - p) g; p and g are already zero at ignored voxels, so no term counts
     * them. With soft labels I is MONAI's soft-label form (see {@link RegionStatistics#composed}). Shared with
     * {@link FocalTverskyLoss}.
     */
    static Var index(RegionStatistics.Sums s, float wFP, float wFN, float smoothNr, float smoothDr) {
        Var tp = s.intersection();
        return index(tp, s.predSum().sub(tp), Var.constant(s.targetSum()).sub(tp), wFP, wFN, smoothNr, smoothDr);
    }

    /** TI = (TP + smoothNr) / (TP + wFP·FP + wFN·FN + smoothDr), elementwise. */
    private static Var index(Var tp, Var fp, Var fn, float wFP, float wFN, float smoothNr, float smoothDr) {
        Var den = tp.add(fp.mul(wFP)).add(fn.mul(wFN)).add(smoothDr);
        return tp.add(smoothNr).div(den);
    }

    // ---- options (LossOption): declared once; the builder's defaults come from here ----

    public static final LossOption<Builder, Float> ALPHA = LossOption.number("alpha", "0.5", LossOption.Range.NON_NEG,
            "Weight of the false positives.", Builder::alpha);
    public static final LossOption<Builder, Float> BETA = LossOption.number("beta", "0.5", LossOption.Range.NON_NEG,
            "Weight of the false negatives.", Builder::beta);
    public static final LossOption<Builder, Boolean> BATCH = LossOption.bool("batch", false, RegionLossBuilder.BATCH_ITEMS_DOC,
            Builder::batch);
    public static final LossOption<Builder, Form> FORM = LossOption.choice("form", Form.ONE_MINUS,
            "one-minus: 1 - TI (MONAI); negative: -TI (SegLoss), same gradient.", Builder::form);
    public static final LossOption<SegmentationLoss.Builder<?>, Boolean> INCLUDE_BACKGROUND =
            SegmentationLoss.includeBackground(true, "library/MONAI default");
    /** Every option, in the order they are listed. */
    public static final List<LossOption<?, ?>> OPTIONS = List.of(ALPHA, BETA, RegionLossBuilder.SMOOTH_NR, RegionLossBuilder.SMOOTH_DR,
            BATCH, FORM, INCLUDE_BACKGROUND, SegmentationLoss.WEIGHT, SegmentationLoss.IGNORE_INDEX, SegmentationLoss.REDUCTION);
    /** The F-beta parameter b of {@link #asymmetricSimilarityBuilder(float)}. */
    public static final LossOption<Builder, Float> F_BETA = LossOption.number("f-beta", "1.5", LossOption.Range.POS,
            "The F-beta parameter b (SegLoss AsymLoss: 1.5).", (b, v) -> b.fBeta(v));
    /** The options of {@link #asymmetricSimilarityBuilder(float)}: alpha, beta and form follow from b. */
    public static final List<LossOption<?, ?>> ASYMMETRIC_SIMILARITY_OPTIONS = List.of(F_BETA, RegionLossBuilder.SMOOTH_NR,
            RegionLossBuilder.SMOOTH_DR, BATCH, INCLUDE_BACKGROUND, SegmentationLoss.WEIGHT, SegmentationLoss.IGNORE_INDEX,
            SegmentationLoss.REDUCTION);

    /** Options of {@link TverskyLoss}, with MONAI's defaults ({@link #OPTIONS}). */
    public static final class Builder extends RegionLossBuilder<Builder> {
        float alpha = ALPHA.defaultFloat(), beta = BETA.defaultFloat();
        boolean batch = BATCH.defaultBoolean();
        Form form = FORM.defaultChoice(Form.class);

        public Builder() {
            super("TverskyLoss");
            includeBackground = INCLUDE_BACKGROUND.defaultBoolean();
        }

        /** Weight of the false positives (MONAI/Salehi alpha; default 0.5); finite and >= 0. */
        public Builder alpha(float v) { requireNonNegative("TverskyLoss", "alpha (weight of false positives)", v); alpha = v; return this; }

        /** Weight of the false negatives (MONAI/Salehi beta; default 0.5); finite and >= 0. */
        public Builder beta(float v) { requireNonNegative("TverskyLoss", "beta (weight of false negatives)", v); beta = v; return this; }

        /**
         * The asymmetric similarity (F-beta) weights of {@link #asymmetricSimilarityBuilder(float)}:
         * alpha = 1/(1 + b²), beta = b²/(1 + b²); b finite and > 0.
         */
        public Builder fBeta(float fBeta) {
            if (!(fBeta > 0f) || Float.isInfinite(fBeta)) {
                throw new IllegalArgumentException("TverskyLoss: asymmetric similarity beta must be finite and > 0, got " + fBeta);
            }
            float b2 = fBeta * fBeta;
            return alpha(1f / (1f + b2)).beta(b2 / (1f + b2));
        }

        /** Same as {@link #alpha(float)}: the weight of the false positives. */
        public Builder weightFP(float v) { return alpha(v); }

        /** Same as {@link #beta(float)}: the weight of the false negatives. */
        public Builder weightFN(float v) { return beta(v); }

        /** Pool the statistics over the batch (one item per class). Default false. */
        public Builder batch(boolean v) { batch = v; return this; }

        /** ONE_MINUS (default, {@code 1 - TI}) or NEGATIVE ({@code -TI}, SegLoss). */
        public Builder form(Form f) {
            if (f == null) throw new IllegalArgumentException("TverskyLoss: form must be one of " + java.util.Arrays.toString(Form.values()) + ", got null");
            form = f;
            return this;
        }

        public TverskyLoss build() {
            if (alpha == 0f && beta == 0f) {
                throw new IllegalArgumentException("TverskyLoss: alpha (FP weight) and beta (FN weight) must not both be 0"
                        + " (the index would ignore every error), got alpha=0.0, beta=0.0");
            }
            requirePositiveSmoothDr("with 0 an empty item gives 0/0 = NaN");
            return new TverskyLoss(this);
        }
    }
}
