package org.segloss.loss;

import java.util.Arrays;
import java.util.List;
import org.segloss.autograd.Var;
import org.segloss.tensor.Tensor;

/**
 * Generalized Dice loss, as MONAI's {@code GeneralizedDiceLoss} computes it (spec/losses/generalized-dice.md),
 * with the LIVIAETS and SegLoss implementations as named variants.
 *
 * <p>Paper: Sudre, Li, Vercauteren, Ourselin, Cardoso, "Generalised Dice overlap as a deep
 * learning loss function for highly unbalanced segmentations", DLMIA 2017, arXiv 1707.03237,
 * Sec. 2 (GDL, {@code w_l = 1 / (Σ_n r_ln)²}). Adapted from MONAI {@code monai/losses/dice.py}
 * ({@code GeneralizedDiceLoss}, after PRs #370, #3619, #6775), LIVIAETS/boundary-loss
 * {@code losses.py} ({@code GeneralizedDice}) and JunMa11/SegLoss
 * {@code losses_pytorch/dice_loss.py} ({@code GDiceLoss}, {@code GDiceLossV2}).
 *
 * <p>Per sample b (with {@code batch}: once, the sums also running over the batch), per kept class
 * c: {@code I = Σ p g}, {@code U = Σ p + Σ g}, {@code G = Σ g}; the weight {@code w_c} is a
 * function of G only (a constant: no gradient flows through it). The weighted terms are summed
 * over the classes <i>before</i> dividing (MONAI #369: dividing per class cancels the weights):
 * <pre>
 *   MONAI (default):  f = 1 - (2 Σ_c w_c I_c + smoothNr) / (Σ_c w_c U_c + smoothDr)
 *                     w = 1/G² (SQUARE), 1/G (SIMPLE), 1 (UNIFORM)
 *   LIVIAETS:         f = 1 - 2 (Σ w I + smoothNr) / (Σ w U + smoothDr),   w = 1/(G + 1e-10)^q
 *   SEGLOSS:          f =   - 2 (Σ w I + smoothNr) / (Σ w U + smoothDr),   w = 1/(G + 1e-10)^q  (GDiceLoss)
 *   SEGLOSS_V2:       f =   - 2 Σ w I / max(Σ w U, smoothDr),  w = 1/max(G^q, smoothDr), batch pooled (GDiceLossV2)
 * </pre>
 * (q = 2, 1, 0 for SQUARE, SIMPLE, UNIFORM.) One value per sample: NONE gives {@code [B]}, or a
 * scalar with {@code batch}; MEAN averages over B; SUM sums. Ranges: [0, 1] (MONAI, LIVIAETS),
 * [-1, 0] (SegLoss).
 *
 * <p><b>Empty-class rule (MONAI).</b> A class absent from a sample has G = 0 and an infinite
 * SQUARE / SIMPLE weight. Every infinite weight is replaced by the <i>largest finite weight of the
 * same sample</i> (with {@code batch}: of the pooled vector), so false positives on an absent class
 * still cost as much as on the rarest present one (MONAI #371). If every kept class of a sample is
 * absent (e.g. {@code includeBackground(false)} on a background-only sample), all weights become
 * 0: the value is {@code 1 - smoothNr / smoothDr} (0 with the defaults) with zero gradient, even
 * when the prediction has false positives — MONAI's own test expects 0 there (spec/reference-values.md R10). The
 * LIVIAETS / SegLoss variants instead give an absent class the weight 1e20 (its union term then
 * dominates and the loss carries almost no signal); SEGLOSS_V2 caps it at 1/smoothDr.
 *
 * <p><b>One kept channel.</b> With a single channel the weight is a common factor and cancels up to
 * the smoothing: the value is the Dice loss of that channel with smoothing {@code s·G^q} (exactly
 * the Dice loss for UNIFORM, or for smoothNr = smoothDr = 0). No warning is issued (segloss has no
 * logging); add a background channel to make the weights matter (ivadomed PR #257).
 *
 * <p><b>Scale.</b> With SQUARE weights and large classes ({@code G ≳ 1e5} voxels) {@code Σ w U}
 * is comparable to the default smoothDr = 1e-5, which then biases the ratio (spec/losses/generalized-dice.md#edge-cases);
 * scale the smoothing down or use SIMPLE weights for big volumes. smoothDr = 0 is allowed
 * (MONAI test R9) but a sample whose classes are all absent then gives 0/0 = NaN.
 *
 * <p>Gradient (spec/losses/generalized-dice.md#gradient): {@code ∂f/∂p[c,i] = w_c (Num - 2 g[c,i] Den) / Den²} with
 * {@code Num = 2 Σ w I + s_n}, {@code Den = Σ w U + s_d}. With {@code softLabel},
 * {@code I = (Σ p + Σ g - Σ |p - g|) / 2} as in {@link DiceLoss}. With SOFTMAX and hard targets,
 * I and Σ p come from one fused pass over the logits ({@link RegionStatistics}). Class {@code weight} is not
 * supported: the weights come from the target.
 */
public final class GeneralizedDiceLoss extends SegmentationLoss {

    /** The class weight as a function of the reference volume G (MONAI {@code w_type}). */
    public enum WeightType {
        /** 1 / G² (Sudre's paper; default). */
        SQUARE,
        /** 1 / G. */
        SIMPLE,
        /** 1: the Dice of the classes pooled. */
        UNIFORM
    }

    /** Which implementation's formula (see the class comment). */
    public enum Variant { MONAI, LIVIAETS, SEGLOSS, SEGLOSS_V2 }

    /** The offset added to G by the LIVIAETS / SegLoss weights. */
    static final double COUNT_OFFSET = 1e-10;

    private final WeightType weightType;
    private final Variant variant;
    private final float smoothNr, smoothDr;
    private final boolean batch;

    private GeneralizedDiceLoss(Builder b) {
        super(b);
        this.weightType = b.weightType;
        this.variant = b.variant;
        this.smoothNr = b.smoothNr;
        this.smoothDr = b.smoothDr;
        this.batch = b.batch;
    }

    /** MONAI's defaults: SQUARE weights, smoothing 1e-5, softmax, background included, per sample, mean. */
    public static Builder builder() { return new Builder(); }

    /** {@code builder().build()}. */
    public static GeneralizedDiceLoss create() { return builder().build(); }

    public WeightType weightType() { return weightType; }
    public Variant variant() { return variant; }

    @Override
    protected Var compute(Prepared p) {
        // I = Σ p g (soft-label I with softLabel), P = Σ p, G = Σ g: fused or composed
        RegionStatistics.Sums s = RegionStatistics.of(this, p, false, batch);
        Tensor gSum = s.targetSum();                          // G: [B, C'] or [C']
        Var inter = s.intersection();
        Var union = s.predSum().add(gSum);
        Tensor w = weights(gSum);                             // constant, same shape as G
        int classAxis = gSum.rank() - 1;
        Var wi = inter.mul(w).sum(classAxis);                 // Σ_c w I: [B] or scalar
        Var wu = union.mul(w).sum(classAxis);                 // Σ_c w U
        Var f = switch (variant) {
            case MONAI -> wi.mul(2f).add(smoothNr).div(wu.add(smoothDr)).rsub(1f);
            case LIVIAETS -> wi.add(smoothNr).mul(2f).div(wu.add(smoothDr)).rsub(1f);
            case SEGLOSS -> wi.add(smoothNr).mul(-2f).div(wu.add(smoothDr));
            case SEGLOSS_V2 -> wi.mul(-2f).div(wu.clamp(smoothDr, Float.POSITIVE_INFINITY));
        };
        return reduceItems(f, p, batch);   // samples with every voxel ignored left out
    }

    /** The weights of G ([B, C'] or [C']) under this variant's rule, as a plain tensor. */
    private Tensor weights(Tensor gSum) {
        int rank = gSum.rank();
        int items = rank == 2 ? gSum.dim(0) : 1;              // samples (1 when pooled)
        int c = gSum.dim(rank - 1);
        float[] w = new float[gSum.size()];
        int q = switch (weightType) { case SQUARE -> 2; case SIMPLE -> 1; case UNIFORM -> 0; };
        for (int b = 0; b < items; b++) {
            double maxFinite = 0;
            boolean anyInfinite = false;
            for (int k = 0; k < c; k++) {
                double gv = gSum.at(b * c + k);
                double wv = switch (variant) {
                    case MONAI -> q == 0 ? 1.0 : 1.0 / Math.pow(gv, q);
                    case LIVIAETS, SEGLOSS -> 1.0 / Math.pow(gv + COUNT_OFFSET, q);
                    case SEGLOSS_V2 -> 1.0 / Math.max(Math.pow(gv, q), smoothDr);
                };
                float wf = (float) wv;
                if (Float.isInfinite(wf)) {
                    anyInfinite = true;
                    wf = Float.POSITIVE_INFINITY;
                } else {
                    maxFinite = Math.max(maxFinite, wf);
                }
                w[b * c + k] = wf;
            }
            if (anyInfinite) {
                // MONAI's empty-class rule: the largest finite weight of the sample (0 if none);
                // the other variants never produce an infinite weight for G >= 0
                for (int k = 0; k < c; k++) if (Float.isInfinite(w[b * c + k])) w[b * c + k] = (float) maxFinite;
            }
        }
        return Tensor.wrap(w, gSum.shape().dims());
    }

    // ---- options (LossOption): declared once; the builder's defaults come from here ----

    public static final LossOption<SegmentationLoss.Builder<?>, Boolean> INCLUDE_BACKGROUND =
            SegmentationLoss.includeBackground(true, "library/MONAI default");
    public static final LossOption<Builder, WeightType> WEIGHT_TYPE = LossOption.choice("weight-type", WeightType.SQUARE,
            "Class weight 1/G^2, 1/G or 1.", Builder::weightType);
    public static final LossOption<Builder, Variant> VARIANT = LossOption.choice("variant", Variant.MONAI,
            "Which implementation's formula (see GeneralizedDiceLoss); segloss-v2 needs batch=true.", Builder::variant);
    /** smooth-dr as for every region loss; 0 is allowed except for segloss-v2. */
    public static final LossOption<RegionLossBuilder<?>, Float> SMOOTH_DR = RegionLossBuilder.SMOOTH_DR.shown("1e-5 (> 0 for segloss-v2)");
    public static final LossOption<Builder, Boolean> BATCH = LossOption.bool("batch", false,
            "Pool the statistics over the batch (one value).", Builder::batch);
    /** Every option, in the order they are listed (GDL computes its class weights: no weight option). */
    public static final List<LossOption<?, ?>> OPTIONS = List.of(INCLUDE_BACKGROUND, WEIGHT_TYPE, VARIANT, RegionLossBuilder.SMOOTH_NR,
            SMOOTH_DR, BATCH, SegmentationLoss.IGNORE_INDEX, SegmentationLoss.REDUCTION);

    /** Options of {@link GeneralizedDiceLoss}, with MONAI's defaults ({@link #OPTIONS}). */
    public static final class Builder extends RegionLossBuilder<Builder> {
        WeightType weightType = WEIGHT_TYPE.defaultChoice(WeightType.class);
        Variant variant = VARIANT.defaultChoice(Variant.class);
        boolean batch = BATCH.defaultBoolean();

        public Builder() {
            super("GeneralizedDiceLoss");
            includeBackground = INCLUDE_BACKGROUND.defaultBoolean();
        }

        /** SQUARE (default), SIMPLE or UNIFORM (MONAI {@code w_type}). */
        public Builder weightType(WeightType t) {
            if (t == null) throw new IllegalArgumentException("GeneralizedDiceLoss: weightType must be one of " + Arrays.toString(WeightType.values()) + ", got null");
            weightType = t;
            return this;
        }

        /** MONAI (default), LIVIAETS, SEGLOSS or SEGLOSS_V2 (see the class comment). */
        public Builder variant(Variant v) {
            if (v == null) throw new IllegalArgumentException("GeneralizedDiceLoss: variant must be one of " + Arrays.toString(Variant.values()) + ", got null");
            variant = v;
            return this;
        }

        /**
         * Both smoothing terms ({@link #smoothNr}: LIVIAETS/SEGLOSS add it to Σ w I before the factor 2;
         * {@link #smoothDr}: SEGLOSS_V2's clamp of weight and denominator). Both terms (SegLoss / LIVIAETS use one {@code smooth}). */
        public Builder smooth(float v) { return smoothNr(v).smoothDr(v); }

        /** Pool the statistics over the batch: one value for the whole batch. Default false. */
        public Builder batch(boolean v) { batch = v; return this; }

        public GeneralizedDiceLoss build() {
            if (weight != null) {
                throw new IllegalArgumentException("GeneralizedDiceLoss: weight is not supported (the class weights are computed"
                        + " from the target, see weightType), got " + Arrays.toString(weight));
            }
            if (variant == Variant.SEGLOSS_V2 && !batch) {
                throw new IllegalArgumentException("GeneralizedDiceLoss: variant SEGLOSS_V2 pools the batch (SegLoss flattens N"
                        + " into the voxels), so batch must be true, got false");
            }
            if (variant == Variant.SEGLOSS_V2) requirePositiveSmoothDr("variant SEGLOSS_V2 clamps weights at smoothDr");
            return new GeneralizedDiceLoss(this);
        }
    }
}
