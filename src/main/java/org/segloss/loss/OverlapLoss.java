package org.segloss.loss;

import java.util.List;
import org.segloss.autograd.Var;
import org.segloss.tensor.Tensor;

/**
 * Overlap loss of Yang et al.'s left-atrium composite: the soft overlap between each class's
 * probability map and its complement, which is zero only when every voxel is crisp.
 *
 * <p><b>Reconstructed from the paper's description; equations not verified against the paper.</b>
 * Paper: Yang, Wang, Wang, Wang, Nezafat, Ni, Heng, "Combating uncertainty with novel losses for
 * automatic left atrium segmentation", STACOM 2018 (LNCS 11395), arXiv 1812.05807. The abstract
 * says the (adopted) overlap loss reduces the overlap between the foreground and background
 * predictions to sharpen ambiguous boundaries; the formula below is this project's reading
 * (spec/losses/left-atrium.md), not the paper's printed equation.
 *
 * <p>Per sample b and kept class c, over the valid voxels i of the sample (S_b of them):
 * <pre>
 *   OL[b, c] = 2 Σ_i p[b,c,i] (1 - p[b,c,i]) / (S_b + smoothDr)
 *   dOL/dp   = 2 (1 - 2 p) / (S_b + smoothDr)
 * </pre>
 * then the reduction over (b, c) (MEAN by default). Range [0, 0.5]; 0 exactly when every p is 0
 * or 1. With two softmax classes it is the overlap of the foreground and background maps. The
 * target enters only through the ignore mask. Defaults: SOFTMAX, {@code includeBackground} false,
 * smoothDr 1e-5 (only guards an all-ignored sample, S_b = 0).
 */
public final class OverlapLoss extends SegmentationLoss {
    private final float smoothDr;

    private OverlapLoss(Builder b) {
        super(b);
        this.smoothDr = b.smoothDr;
    }

    public static Builder builder() { return new Builder(); }

    @Override
    protected Var compute(Prepared p) {
        int[] axes = p.spatialAxes();
        Var probs = p.probs();                                   // [B, C', *], 0 at ignored voxels
        Var crisp = probs.mul(probs.rsub(1f)).sum(axes);         // Σ p (1 - p): [B, C']
        Tensor count;                                            // valid voxels per sample: [B, 1]
        int b = p.batch();
        if (p.valid() == null) {
            count = Tensor.full(probs.shape().size() / (b * p.classes()), b, 1);
        } else {
            count = p.valid().sum(axes, false);                  // [B, 1]
        }
        Var ol = crisp.mul(2f).div(Var.constant(count.add(smoothDr)));
        return weightAndReduce(ol, p, false);   // all-ignored samples left out
    }

    // ---- options (LossOption): declared once; the builder's defaults come from here ----

    public static final LossOption<Builder, Float> SMOOTH_DR = LossOption.number("smooth-dr", "1e-5", LossOption.Range.POS,
            "Added to the voxel count.", Builder::smoothDr);
    public static final LossOption<SegmentationLoss.Builder<?>, Boolean> INCLUDE_BACKGROUND =
            SegmentationLoss.includeBackground(false, "library default");
    /** Every option, in the order they are listed. */
    public static final List<LossOption<?, ?>> OPTIONS = List.of(SMOOTH_DR, INCLUDE_BACKGROUND, SegmentationLoss.WEIGHT,
            SegmentationLoss.IGNORE_INDEX, SegmentationLoss.REDUCTION);

    /** Options of {@link OverlapLoss}. */
    public static final class Builder extends SegmentationLoss.Builder<Builder> {
        float smoothDr = SMOOTH_DR.defaultFloat();

        Builder() { includeBackground = INCLUDE_BACKGROUND.defaultBoolean(); }

        /** Added to the voxel count in the denominator (default 1e-5; must be > 0). */
        public Builder smoothDr(float v) {
            if (!(v > 0f) || Float.isInfinite(v)) throw new IllegalArgumentException("OverlapLoss: smoothDr must be finite and > 0, got " + v);
            smoothDr = v;
            return this;
        }

        public OverlapLoss build() { return new OverlapLoss(this); }
    }
}
