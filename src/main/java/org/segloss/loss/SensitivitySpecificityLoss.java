package org.segloss.loss;

import java.util.Arrays;
import java.util.List;
import org.segloss.autograd.Var;
import org.segloss.tensor.SoftmaxSums.Total;
import org.segloss.tensor.Tensor;

/**
 * Sensitivity-specificity loss: a weighted sum of the mean squared error over the reference's
 * positive voxels and over its negative voxels.
 *
 * <p>Papers: Brosch et al., "Deep convolutional encoder networks for multiple sclerosis lesion
 * segmentation", MICCAI 2015 (the sensitivity ratio r); as written by Sudre et al., "Generalised
 * Dice overlap as a deep learning loss function for highly unbalanced segmentations", DLMIA 2017,
 * arXiv 1707.03237, Sec. 2 (λ = 0.05). Adapted from NifTK/NiftyNet
 * {@code niftynet/layer/loss_segmentation.py} ({@code sensitivity_specificity_loss}) and
 * JunMa11/SegLoss {@code losses_pytorch/dice_loss.py} ({@code SSLoss}).
 *
 * <p>Per item (sample b, class c; with {@code batch} one item per class), r the one-hot (or soft)
 * reference, p the probability, λ = {@code sensitivityWeight}:
 * <pre>
 *   SS = λ · Σ (r - p)² r / (Σ r + ε)  +  (1 - λ) · Σ (r - p)² (1 - r) / (Σ (1 - r) + ε)
 * </pre>
 * The first term is the mean squared error over the positive voxels (sensitivity), the second
 * over the negative voxels (specificity); a small λ puts most weight on the negatives. Then
 * {@code weight[c]·SS} and:
 * <ul>
 * <li>{@link Form#PER_CLASS} (default): the reduction over the items, MEAN over B x C' (range
 * [0, 1]), SUM, or NONE {@code [B, C']} ({@code [C']} with batch);</li>
 * <li>{@link Form#SUM_OVER_CLASSES} (NiftyNet): summed over the classes of each sample, then the
 * reduction over the samples (MEAN over B, range [0, C']; NONE {@code [B]}).</li>
 * </ul>
 *
 * <p>Epsilon placement: ε ({@code epsilon}, default 1e-5 as NiftyNet) is added to <i>both</i>
 * denominators and nowhere else, so a class absent from a sample (Σr = 0) has a first term 0/ε = 0
 * and a class filling it a second term 0 — finite either way (without ε: NaN). Ignored voxels
 * count neither as positives nor as negatives (both sums and both denominators skip them).
 *
 * <p><b>Term names.</b> NiftyNet and SegLoss call the positive-voxel term (the one λ multiplies)
 * "specificity" and the negative-voxel term "sensitivity" — swapped with respect to Brosch; the
 * algebra is the formula above. Presets: {@link #niftyNetBuilder()} (λ 0.05, ε 1e-5, sum over
 * classes, mean over the batch) and {@link #segLossBuilder()} (r = λ = 0.1, smooth 1 in both
 * denominators, mean over the items).
 *
 * <p>Gradient (spec/losses/sensitivity-specificity.md#gradient):
 * {@code ∂SS/∂p_n = -2 (r_n - p_n) [λ r_n / (Σr + ε) + (1 - λ)(1 - r_n) / (Σ(1 - r) + ε)]}.
 */
public final class SensitivitySpecificityLoss extends SegmentationLoss {

    /** How the per-class values are combined. */
    public enum Form {
        /** The reduction over all B x C' items (Sudre's per-class loss; SegLoss). */
        PER_CLASS,
        /** Summed over the classes of each sample, then the reduction over the samples (NiftyNet). */
        SUM_OVER_CLASSES
    }

    private final float sensitivityWeight, epsilon;
    private final boolean batch;
    private final Form form;

    private SensitivitySpecificityLoss(Builder b) {
        super(b);
        this.sensitivityWeight = b.sensitivityWeight;
        this.epsilon = b.epsilon;
        this.batch = b.batch;
        this.form = b.form;
    }

    /** Defaults: λ = 0.05, ε = 1e-5, PER_CLASS, softmax, background included, mean. */
    public static Builder builder() { return new Builder(); }

    /** {@code builder().build()}. */
    public static SensitivitySpecificityLoss create() { return builder().build(); }

    /** NiftyNet's {@code sensitivity_specificity_loss}: λ 0.05, ε 1e-5, summed over the classes, mean over the batch. */
    public static Builder niftyNetBuilder() {
        return builder().sensitivityWeight(0.05f).epsilon(1e-5f).form(Form.SUM_OVER_CLASSES);
    }

    /**
     * SegLoss's {@code SSLoss}: r = 0.1, smooth 1 in both denominators, mean over the items;
     * SegLoss's {@code smooth}, {@code do_bg}, {@code batch_dice} are {@code epsilon},
     * {@code includeBackground}, {@code batch}.
     */
    public static Builder segLossBuilder() {
        return builder().sensitivityWeight(0.1f).epsilon(1f).form(Form.PER_CLASS);
    }

    @Override
    protected Var compute(Prepared p) {
        Var pos, negTerm;
        if (RegionStatistics.fused(this) && p.labels() != null) {
            // one fused pass over the logits each way: E = Σ_{y=c} (1 - p)², F = Σ_{y≠c} p², G = Σ [y=c]
            Var[] st = RegionStatistics.fusedSums(this, p, batch, Total.LABEL_SQUARED_ERROR, Total.OFF_LABEL_SQUARES,
                    Total.LABEL_COUNTS);   // st[0] = Σ p g, unused
            Tensor g = st[3].value();
            Tensor negCount = validCounts(p, g.shape()).sub(g);      // Σ (valid - r): exact integers
            pos = st[1].div(Var.constant(g.add(epsilon)));
            negTerm = st[2].div(Var.constant(negCount.add(epsilon)));
        } else {
            int[] axes = p.statisticAxes(batch);
            Var probs = p.probs();
            Tensor r = p.target();
            // 1 - r on the voxels that count: valid - r (p and r are zero at ignored voxels)
            Tensor neg = p.valid() == null ? r.mul(-1f).add(1f) : p.valid().sub(r);
            Var se = probs.sub(r).square();                                    // [B, C', *spatial]
            pos = se.mul(r).sum(axes).div(Var.constant(r.sum(axes, false).add(epsilon)));
            negTerm = se.mul(neg).sum(axes).div(Var.constant(neg.sum(axes, false).add(epsilon)));
        }
        Var ss = pos.mul(sensitivityWeight).add(negTerm.mul(1f - sensitivityWeight));   // [B, C'] or [C']
        if (form == Form.PER_CLASS) return weightAndReduce(ss, p, batch);   // all-ignored samples left out
        if (weight != null) {
            int rank = ss.shape().rank();
            int[] d = new int[rank];
            Arrays.fill(d, 1);
            d[rank - 1] = weight.length;
            ss = ss.mul(Tensor.of(weight, d));
        }
        return reduceItems(ss.sum(ss.shape().rank() - 1), p, batch);   // [B] (or a scalar with batch), then over the samples
    }

    /**
     * The number of voxels that count, per sample {@code [B, 1]} or pooled {@code [1]} (the shape of
     * the statistics {@code [B, C']} or {@code [C']} with its last axis 1), to broadcast against them.
     */
    private static Tensor validCounts(Prepared p, org.segloss.tensor.Shape stats) {
        int b = p.batch(), perSample = p.input().shape().size() / (b * p.input().shape().dim(1));
        Tensor valid = p.valid();
        double[] n = new double[b];
        for (int bi = 0; bi < b; bi++) {
            if (valid == null) {
                n[bi] = perSample;
                continue;
            }
            for (int i = 0; i < perSample; i++) n[bi] += valid.at(bi * perSample + i);
        }
        if (stats.rank() == 1) {
            double all = 0;
            for (double v : n) all += v;
            return Tensor.of(new float[] {(float) all}, 1);
        }
        float[] out = new float[b];
        for (int bi = 0; bi < b; bi++) out[bi] = (float) n[bi];
        return Tensor.wrap(out, b, 1);
    }

    // ---- options (LossOption): declared once; the builder's defaults come from here ----

    public static final LossOption<Builder, Float> LAMBDA = LossOption.number("lambda", "0.05", LossOption.Range.UNIT,
            "Weight of the positive-voxel (sensitivity) term.", Builder::sensitivityWeight);
    public static final LossOption<Builder, Float> EPSILON = LossOption.number("epsilon", "1e-5", LossOption.Range.POS,
            "Added to both denominators.", Builder::epsilon);
    public static final LossOption<Builder, Boolean> BATCH = LossOption.bool("batch", false,
            "Pool the sums over the batch (one item per class) instead of per sample.", Builder::batch);
    public static final LossOption<Builder, Form> FORM = LossOption.choice("form", Form.PER_CLASS,
            "per-class: reduction over the items; sum-over-classes: NiftyNet's.", Builder::form);
    public static final LossOption<SegmentationLoss.Builder<?>, Boolean> INCLUDE_BACKGROUND =
            SegmentationLoss.includeBackground(true, "library default");
    /** Every option, in the order they are listed. */
    public static final List<LossOption<?, ?>> OPTIONS = List.of(LAMBDA, EPSILON, BATCH, FORM, INCLUDE_BACKGROUND,
            SegmentationLoss.WEIGHT, SegmentationLoss.IGNORE_INDEX, SegmentationLoss.REDUCTION);

    /** Options of {@link SensitivitySpecificityLoss}. */
    public static final class Builder extends SegmentationLoss.Builder<Builder> {
        float sensitivityWeight = LAMBDA.defaultFloat(), epsilon = EPSILON.defaultFloat();
        boolean batch = BATCH.defaultBoolean();
        Form form = FORM.defaultChoice(Form.class);

        public Builder() { includeBackground = INCLUDE_BACKGROUND.defaultBoolean(); }

        /** λ (Brosch's sensitivity ratio r): the weight of the positive-voxel term, in [0, 1]; default 0.05. */
        public Builder sensitivityWeight(float v) {
            if (!(v >= 0f && v <= 1f)) {
                throw new IllegalArgumentException("SensitivitySpecificityLoss: sensitivityWeight (lambda) must be in [0, 1], got " + v);
            }
            sensitivityWeight = v;
            return this;
        }

        /** Same as {@link #sensitivityWeight(float)} (Sudre's λ). */
        public Builder lambda(float v) { return sensitivityWeight(v); }

        /** Added to both denominators (default 1e-5; must be > 0: an absent class would give 0/0). */
        public Builder epsilon(float v) {
            if (!(v > 0f) || Float.isInfinite(v)) {
                throw new IllegalArgumentException("SensitivitySpecificityLoss: epsilon must be finite and > 0 (an absent class"
                        + " would give 0/0), got " + v);
            }
            epsilon = v;
            return this;
        }

        /** Pool the sums over the batch (one item per class). Default false. */
        public Builder batch(boolean v) { batch = v; return this; }

        /** PER_CLASS (default) or SUM_OVER_CLASSES (NiftyNet). */
        public Builder form(Form f) {
            if (f == null) throw new IllegalArgumentException("SensitivitySpecificityLoss: form must be one of " + Arrays.toString(Form.values()) + ", got null");
            form = f;
            return this;
        }

        public SensitivitySpecificityLoss build() { return new SensitivitySpecificityLoss(this); }
    }
}
