package org.segloss.loss;

import java.util.List;
import org.segloss.autograd.Var;
import org.segloss.tensor.Tensor;

/**
 * Soft Dice loss, as MONAI's {@code DiceLoss} computes it, with batch Dice as an option.
 *
 * <p>Papers: Milletari, Navab, Ahmadi, "V-Net: Fully convolutional neural networks for
 * volumetric medical image segmentation", 3DV 2016, arXiv 1606.04797, Eqs. 1-2 (the squared
 * form); Sudre et al., "Generalised Dice overlap as a deep learning loss function for highly
 * unbalanced segmentations", DLMIA 2017, arXiv 1707.03237; batch Dice: Kodym, Španěl, Herout,
 * "Segmentation of head and neck organs at risk using CNN with batch Dice loss", GCPR 2018,
 * arXiv 1812.02427. Adapted from MONAI {@code monai/losses/dice.py} (Dice, Jaccard, squared and
 * soft-label forms).
 *
 * <p>Per item (sample b, class c; with {@code batch} one item per class, the sums running over
 * the batch too), with {@code I = Σ p g}, {@code P = Σ p^q}, {@code G = Σ g^q}, q = 2 when
 * {@code squaredPred} else 1:
 * <pre>
 *   f = 1 - (2 I + smoothNr) / (P + G + smoothDr)                  (Dice)
 *   f = 1 - (2 I + smoothNr) / (2 (P + G - I) + smoothDr)          (jaccard)
 * </pre>
 * then {@code weight[c] * f}, then the reduction (MEAN over the B x C' items, SUM, or NONE:
 * {@code [B, C']}, or {@code [C']} with batch). With {@code softLabel},
 * {@code I = (Σ p^q + Σ g^q - Σ |p - g|^q) / 2}, which equals Σ p g for one-hot targets and makes
 * {@code p = g} the minimum for soft ones (MONAI #8094).
 *
 * <p>Epsilon placement: smoothNr in the numerator, smoothDr in the denominator (default 1e-5
 * each, MONAI). An empty class predicted empty scores Dice 1, loss 0; with {@code smoothNr = 0}
 * it scores loss 1 with zero gradient. Ignored voxels are removed from p and g before the sums.
 *
 * <p>With SOFTMAX and hard targets the statistics come from one fused pass over the logits
 * ({@link RegionStatistics}); other activations and soft labels use the composed graph.
 *
 * <p>Input {@code [B, C, *spatial]} logits (SOFTMAX, SIGMOID) or probabilities (NONE); target a
 * label map {@code [B, *spatial]} or one-hot {@code [B, C, *spatial]}.
 */
public final class DiceLoss extends SegmentationLoss {
    private final float smoothNr, smoothDr;
    private final boolean squaredPred, jaccard, batch;

    private DiceLoss(Builder b) {
        super(b);
        this.smoothNr = b.smoothNr;
        this.smoothDr = b.smoothDr;
        this.squaredPred = b.squaredPred;
        this.jaccard = b.jaccard;
        this.batch = b.batch;
    }

    public static Builder builder() { return new Builder(); }

    /** MONAI's defaults: softmax, background included, smoothing 1e-5, mean. */
    public static DiceLoss create() { return builder().build(); }

    @Override
    protected Var compute(Prepared p) {
        // I = Σ p g, P = Σ p^q, G = Σ g^q (soft-label I with softLabel): fused or composed
        RegionStatistics.Sums s = RegionStatistics.of(this, p, squaredPred, batch);
        Var inter = s.intersection(), predSum = s.predSum();
        Tensor targetSum = s.targetSum();
        Var numer = inter.mul(2f).add(smoothNr);
        Var denom = jaccard
                ? predSum.add(targetSum).sub(inter).mul(2f).add(smoothDr)
                : predSum.add(targetSum).add(smoothDr);
        Var f = numer.div(denom).rsub(1f);   // [B, C'] or [C']
        return weightAndReduce(f, p, batch);   // samples with every voxel ignored left out
    }

    // ---- options (LossOption): declared once; the builder's defaults come from here ----

    public static final LossOption<SegmentationLoss.Builder<?>, Boolean> INCLUDE_BACKGROUND =
            SegmentationLoss.includeBackground(true, "library/MONAI default");
    public static final LossOption<Builder, Boolean> BATCH = LossOption.bool("batch", false, RegionLossBuilder.BATCH_ITEMS_DOC,
            Builder::batch);
    public static final LossOption<Builder, Boolean> SQUARED_PRED = LossOption.bool("squared-pred", false,
            "Squared terms in the denominator (V-Net form).", Builder::squaredPred);
    public static final LossOption<Builder, Boolean> JACCARD = LossOption.bool("jaccard", false,
            "MONAI's Jaccard form 1 - (2I + s)/(2U + s) (see also the jaccard loss).", Builder::jaccard);
    /** Every option, in the order they are listed. */
    public static final List<LossOption<?, ?>> OPTIONS = List.of(INCLUDE_BACKGROUND, BATCH, RegionLossBuilder.SMOOTH_NR,
            RegionLossBuilder.SMOOTH_DR, SQUARED_PRED, JACCARD, SegmentationLoss.WEIGHT, SegmentationLoss.IGNORE_INDEX,
            SegmentationLoss.REDUCTION);

    /** Options of {@link DiceLoss}, with MONAI's defaults ({@link #OPTIONS}). */
    public static final class Builder extends RegionLossBuilder<Builder> {
        boolean squaredPred = SQUARED_PRED.defaultBoolean(), jaccard = JACCARD.defaultBoolean(), batch = BATCH.defaultBoolean();

        public Builder() {
            super("DiceLoss");
            includeBackground = INCLUDE_BACKGROUND.defaultBoolean();
        }

        /** Square p and g in the denominator (V-Net form; default false). */
        public Builder squaredPred(boolean v) { squaredPred = v; return this; }

        /** The Jaccard (IoU) form instead of Dice (default false). */
        public Builder jaccard(boolean v) { jaccard = v; return this; }

        /** Pool the statistics over the batch: batch Dice (Kodym 2018; nnU-Net batch_dice). Default false. */
        public Builder batch(boolean v) { batch = v; return this; }

        public DiceLoss build() {
            requirePositiveSmoothDr("with 0 an empty class gives 0/0 = NaN");
            return new DiceLoss(this);
        }
    }
}
