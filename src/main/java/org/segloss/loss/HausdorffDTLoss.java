package org.segloss.loss;

import java.util.Arrays;
import java.util.List;
import org.segloss.autograd.Var;
import org.segloss.distance.SignedDistanceMaps;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;

/**
 * Hausdorff-distance loss via distance transforms (HD_DT): squared errors weighted by how far
 * each voxel lies from the predicted and the true contours, so that errors far from the
 * boundaries, the ones that make the Hausdorff distance large, cost most. Spec page:
 * {@code spec/losses/hausdorff-dt.md}.
 *
 * <p>Paper: Karimi, Salcudean, "Reducing the Hausdorff distance in medical image segmentation with
 * convolutional neural networks", IEEE TMI 39(2), 2020, arXiv 1904.10030, Eq. 8. Adapted from
 * MONAI {@code HausdorffDTLoss} ({@code monai/losses/hausdorff_loss.py} @ d388d1c); spec/losses/hausdorff-dt.md.
 *
 * <p>Per item (sample b, kept class c; with {@code batch} one item per class, the mean running
 * over the batch too), with probabilities p (after the activation) and target g:
 * <pre>
 *   d_p = field(p > 0.5),  d_g = field(g > 0.5)     field(m) = edt(m) + edt(¬m), 0 if m is empty or full
 *   f   = (1/|Ω|) Σ_q (p_q − g_q)² · (d_p,q^α + d_g,q^α)                       (Eq. 8, α = 2)
 *   ∂f/∂p_q = 2 (p_q − g_q)(d_p,q^α + d_g,q^α) / |Ω|                           (maps constant)
 * </pre>
 * then {@code weight[c]·f} and the reduction over the items (MEAN, SUM, or NONE: {@code [B, C']},
 * {@code [C']} with batch); with {@code log}, MONAI's {@code LogHausdorffDTLoss}:
 * {@code log(1 + reduced)}. The fields are {@link SignedDistanceMaps#hausdorffField}: every voxel
 * gets its distance to the nearest voxel on the other side of the contour (1 on both sides of a
 * straight contour at unit spacing). d_p is recomputed on every call from the values of the
 * thresholded prediction, outside the autograd graph: a constant, so p's gradient flows only
 * through (p − g)².
 *
 * <p>Options: {@code alpha} 2 (> 0); {@code includeBackground} <b>false</b> by default, as MONAI's
 * HausdorffDTLoss (unlike {@link DiceLoss}, whose default is true); {@code activation} SOFTMAX
 * (library default; MONAI's default is no activation, i.e. NONE), SIGMOID or NONE; {@code batch}
 * false; {@code spacing} voxel size per spatial axis for the EDT (default unit, MONAI's only
 * mode); {@code reduction} MEAN; {@code log} false; soft targets with {@code softLabel}
 * (thresholded at 0.5 for d_g). {@code ignoreIndex} is rejected: an ignored voxel would still
 * shape the distance fields around it.
 */
public final class HausdorffDTLoss extends SegmentationLoss {
    private static final float THRESHOLD = 0.5f;
    private final float alpha;
    private final boolean batch, log;
    private final double[] spacing;

    private HausdorffDTLoss(Builder b) {
        super(b);
        this.alpha = b.alpha;
        this.batch = b.batch;
        this.log = b.log;
        this.spacing = b.spacing == null ? null : b.spacing.clone();
    }

    public static Builder builder() { return new Builder(); }

    /** MONAI's defaults except the activation: α = 2, background excluded, softmax, mean. */
    public static HausdorffDTLoss create() { return builder().build(); }

    public float alpha() { return alpha; }
    public boolean batch() { return batch; }
    public boolean log() { return log; }
    public double[] spacing() { return spacing == null ? null : spacing.clone(); }

    @Override
    protected boolean supportsIgnoreIndex() { return false; }

    @Override
    protected Var compute(Prepared p) {
        Var probs = p.probs();                              // [B, C', *spatial]
        Tensor target = p.target();                          // [B, C', *spatial]
        Shape s = probs.shape();
        if (spacing != null && spacing.length != s.rank() - 2) {
            throw new IllegalArgumentException(name() + ": spacing must have one entry per spatial axis (" + (s.rank() - 2)
                    + " for input " + p.input().shape() + "), got " + spacing.length + " " + Arrays.toString(spacing));
        }
        // the distance fields: constants computed from values (the prediction's under no gradient, as MONAI's .detach())
        Tensor dp = SignedDistanceMaps.hausdorffField(probs.value(), THRESHOLD, spacing);
        Tensor dg = SignedDistanceMaps.hausdorffField(target, THRESHOLD, spacing);
        Tensor weightMap = alpha == 2f ? dp.square().add(dg.square()) : dp.pow(alpha).add(dg.pow(alpha));
        Var err = probs.sub(target).square().mul(weightMap);
        Var items = err.mean(p.statisticAxes(batch));       // [B, C'] or [C']
        Var reduced = weightAndReduce(items);
        return log ? reduced.add(1f).log() : reduced;
    }

    // ---- options (LossOption): declared once; the builder's defaults come from here ----

    public static final LossOption<Builder, Float> ALPHA = LossOption.number("alpha", "2", LossOption.Range.POS, "Exponent of the distances.",
            Builder::alpha);
    public static final LossOption<SegmentationLoss.Builder<?>, Boolean> INCLUDE_BACKGROUND =
            SegmentationLoss.includeBackground(false, "MONAI HausdorffDTLoss default");
    public static final LossOption<Builder, Boolean> BATCH = LossOption.bool("batch", false,
            "Average over the batch too (one item per class).", Builder::batch);
    public static final LossOption<Builder, Boolean> LOG = LossOption.bool("log", false, "log(1 + loss), MONAI's LogHausdorffDTLoss.",
            Builder::log);
    public static final LossOption<Builder, double[]> SPACING = BoundaryLoss.SPACING.on(Builder::spacing);
    /** Every option, in the order they are listed. */
    public static final List<LossOption<?, ?>> OPTIONS = List.of(ALPHA, INCLUDE_BACKGROUND, BATCH, LOG, SPACING, SegmentationLoss.WEIGHT,
            SegmentationLoss.REDUCTION);

    /** Options of {@link HausdorffDTLoss}, with MONAI's defaults (activation aside). */
    public static final class Builder extends SegmentationLoss.Builder<Builder> {
        private static final String N = "HausdorffDTLoss";
        float alpha = ALPHA.defaultFloat();
        boolean batch = BATCH.defaultBoolean(), log = LOG.defaultBoolean();
        double[] spacing;

        Builder() { includeBackground = INCLUDE_BACKGROUND.defaultBoolean(); }

        /** The exponent of the distances (default 2, the paper's; finite and > 0). */
        public Builder alpha(float a) {
            if (!(a > 0f) || Float.isInfinite(a)) throw new IllegalArgumentException(N + ": alpha must be finite and > 0, got " + a);
            alpha = a;
            return this;
        }

        /** Average over the batch too: one item per class (default false). */
        public Builder batch(boolean v) { batch = v; return this; }

        /** Return log(1 + loss), MONAI's LogHausdorffDTLoss (default false). */
        public Builder log(boolean v) { log = v; return this; }

        /** Voxel size per spatial axis for the distance fields (default unit); each finite and > 0. */
        public Builder spacing(double... s) {
            spacing = SegmentationLoss.Builder.validSpacing(N, s);
            return this;
        }

        public HausdorffDTLoss build() {
            if (ignoreIndex != NO_IGNORE) {
                throw new IllegalArgumentException(N + ": ignoreIndex is not supported (ignored voxels would still shape the distance"
                        + " fields), got " + ignoreIndex);
            }
            return new HausdorffDTLoss(this);
        }
    }
}
