package org.segloss.loss;

import java.util.List;
import org.segloss.autograd.Var;
import org.segloss.tensor.Tensor;

/**
 * Sudre's two-class Dice loss DL₂, exactly as printed: no factor 2 in the numerators, ε in every
 * numerator and denominator (spec/losses/sudre-dice.md).
 *
 * <p>Paper: Sudre, Li, Vercauteren, Ourselin, Cardoso, "Generalised Dice overlap as a deep
 * learning loss function for highly unbalanced segmentations", DLMIA 2017, arXiv 1707.03237,
 * Sec. 2 (the two-class Dice loss). No reference implementation reproduces it verbatim (NiftyNet's
 * {@code dice} has the factor 2 and ε in the denominator only); this class follows the equation.
 *
 * <p>Per sample (with {@code batch}: once, the sums running over the batch too), p the predicted
 * foreground probability, r the reference foreground:
 * <pre>
 *   DL₂ = 1 - (Σ p r + ε) / (Σ (p + r) + ε) - (Σ (1 - p)(1 - r) + ε) / (Σ (2 - p - r) + ε)
 * </pre>
 * For ε → 0 this is {@code 1 - (D_fg + D_bg) / 2} with D the usual soft Dice of each class.
 * Reduction: MEAN over B (default), SUM, or NONE {@code [B]} (a scalar with {@code batch}).
 *
 * <p><b>Input.</b> Binary: {@code [B, 2, *spatial]} with SOFTMAX (or NONE: probabilities),
 * foreground = channel 1; or {@code [B, 1, *spatial]} with SIGMOID (or NONE), foreground = channel
 * 0, the target then a binary map {@code [B, 1, *spatial]}. The background probability is {@code 1 - p} of the foreground channel, as printed. With more
 * channels, {@link Builder#foregroundChannel(int)} names the channel scored against all the others
 * (one-vs-rest; default 1, or 0 for a single channel). {@code includeBackground(false)} and class
 * {@code weight} are rejected: DL₂ always scores both classes.
 *
 * <p><b>Discontinuity (documented, kept).</b> Without the factor 2 a non-empty perfect match gives
 * each ratio about ½ (loss ≈ 0), but an empty foreground predicted empty ({@code Σ r = Σ p = 0})
 * gives the first ratio ε/ε = 1 and the loss {@code -(N + ε)/(2N + ε) ≈ -½}, while any prediction
 * with {@code Σ p ≫ ε} gives about +½. Range: about [-½, 1] (just below -½ by at most ε/(4N)).
 * Use {@link DiceLoss} for a well-behaved loss; this class exists to reproduce the paper.
 *
 * <p>Epsilon: {@code epsilon}, default 1e-5 (the paper's value is not recalled; NiftyNet's
 * denominator ε), added to all four terms. Ignored voxels count in neither class.
 *
 * <p>Gradient (spec/losses/sudre-dice.md#gradient), with {@code I₁ = Σ p r}, {@code S₁ = Σ (p + r) + ε},
 * {@code I₀ = Σ (1-p)(1-r)}, {@code S₀ = Σ (2-p-r) + ε}:
 * {@code ∂DL₂/∂p_n = -(r_n S₁ - I₁ - ε)/S₁² + ((1 - r_n) S₀ - I₀ - ε)/S₀²}.
 */
public final class SudreDiceLoss extends SegmentationLoss {
    /** Default foreground channel marker: 1, or 0 for a single-channel input. */
    static final int DEFAULT_FOREGROUND = -1;

    private final float epsilon;
    private final boolean batch;
    private final int foreground;

    private SudreDiceLoss(Builder b) {
        super(b);
        this.epsilon = b.epsilon;
        this.batch = b.batch;
        this.foreground = b.foreground;
    }

    /** Defaults: ε = 1e-5, softmax (two channels), per sample, mean. */
    public static Builder builder() { return new Builder(); }

    /** {@code builder().build()}. */
    public static SudreDiceLoss create() { return builder().build(); }

    @Override
    protected Var compute(Prepared p) {
        int c = p.classes();   // includeBackground is always true here: C' = C
        int fg = foreground == DEFAULT_FOREGROUND ? (c == 1 ? 0 : 1) : foreground;
        if (fg >= c) {
            throw new IllegalArgumentException("SudreDiceLoss: foregroundChannel must be < C = " + c + " (input "
                    + p.input().shape() + "), got " + fg);
        }
        int[] axes = p.statisticAxes(batch);
        Var prob = p.probs().slice(1, fg, fg + 1);            // [B, 1, *spatial]
        Tensor r = p.target().slice(1, fg, fg + 1);
        // 1 - p and 1 - r on the voxels that count (valid - x: p and r are zero at ignored voxels)
        Tensor one = p.valid() == null ? Tensor.ones(r.shape().dims()) : p.valid();
        Var notP = Var.constant(one).sub(prob);
        Tensor notR = one.sub(r);
        Var i1 = prob.mul(r).sum(axes).add(epsilon);
        Var s1 = prob.sum(axes).add(r.sum(axes, false)).add(epsilon);
        Var i0 = notP.mul(notR).sum(axes).add(epsilon);
        Var s0 = notP.sum(axes).add(notR.sum(axes, false)).add(epsilon);
        Var dl = i1.div(s1).add(i0.div(s0)).rsub(1f);        // [B, 1] or [1]
        int[] dims = dl.shape().dims();
        Var perSample = batch ? dl.reshape() : dl.reshape(dims[0]);
        return reduceItems(perSample, p, batch);   // all-ignored samples left out (they would score -1)
    }

    // ---- options (LossOption): declared once; the builder's defaults come from here ----

    /** The foreground channel; the builder's "unset" picks 1 (0 for a single channel), this option's default. */
    public static final LossOption<Builder, Integer> FOREGROUND_CHANNEL = LossOption.integer("foreground-channel", "1", LossOption.Range.NON_NEG,
            "The channel scored as foreground, < C.", Builder::foregroundChannel);
    public static final LossOption<Builder, Float> EPSILON = LossOption.number("epsilon", "1e-5", LossOption.Range.POS,
            "Added to both numerators and denominators.", Builder::epsilon);
    public static final LossOption<Builder, Boolean> BATCH = LossOption.bool("batch", false, "Pool the sums over the batch (one value).",
            Builder::batch);
    /** Every option, in the order they are listed. */
    public static final List<LossOption<?, ?>> OPTIONS = List.of(FOREGROUND_CHANNEL, EPSILON, BATCH, SegmentationLoss.IGNORE_INDEX,
            SegmentationLoss.REDUCTION);

    /** Options of {@link SudreDiceLoss}. */
    public static final class Builder extends SegmentationLoss.Builder<Builder> {
        float epsilon = EPSILON.defaultFloat();
        boolean batch = BATCH.defaultBoolean();
        int foreground = DEFAULT_FOREGROUND;

        /** ε in both numerators and both denominators (default 1e-5); finite and > 0. */
        public Builder epsilon(float v) {
            if (!(v > 0f) || Float.isInfinite(v)) {
                throw new IllegalArgumentException("SudreDiceLoss: epsilon must be finite and > 0 (an empty class would give 0/0), got " + v);
            }
            epsilon = v;
            return this;
        }

        /** Pool the sums over the batch (one value). Default false. */
        public Builder batch(boolean v) { batch = v; return this; }

        /** The input channel scored as foreground (default 1; 0 for a single channel); >= 0. */
        public Builder foregroundChannel(int k) {
            if (k < 0) throw new IllegalArgumentException("SudreDiceLoss: foregroundChannel must be >= 0, got " + k);
            foreground = k;
            return this;
        }

        public SudreDiceLoss build() {
            if (!includeBackground) {
                throw new IllegalArgumentException("SudreDiceLoss: includeBackground must be true (DL₂ always scores the"
                        + " foreground and the background), got false");
            }
            if (weight != null) {
                throw new IllegalArgumentException("SudreDiceLoss: weight is not supported (DL₂ has fixed equal class terms), got "
                        + java.util.Arrays.toString(weight));
            }
            return new SudreDiceLoss(this);
        }
    }
}
