package org.segloss.loss;

import java.util.Arrays;
import java.util.List;
import org.segloss.autograd.NoGrad;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Shape;
import org.segloss.tensor.SoftmaxSums;
import org.segloss.tensor.SoftmaxSums.Terms;
import org.segloss.tensor.SoftmaxSums.Total;
import org.segloss.tensor.Tensor;

/**
 * The weighted cross-entropy of Sudre et al. 2017: a two-class cross-entropy whose foreground
 * term is weighted automatically by the background/foreground volume ratio. Spec page:
 * {@code spec/losses/weighted-cross-entropy.md}.
 *
 * <p>Paper: Sudre, Li, Vercauteren, Ourselin, Cardoso, "Generalised Dice overlap as a deep
 * learning loss function for highly unbalanced segmentations", DLMIA 2017, arXiv 1707.03237,
 * Sec. 2 (the first of the compared losses); spec/losses/weighted-cross-entropy.md. Weight computed as a stop-gradient
 * constant, as pytorch-3dunet's {@code WeightedCrossEntropyLoss._class_weights} does.
 * <pre>
 *   WCE = -(1/N) Σ_n [ w · r_n · log p_n + (1 - r_n) · log(1 - p_n) ],   w = (N - S) / S
 * </pre>
 * N voxels, r the reference foreground, p the predicted foreground probability, and
 * {@code S = Σ_n p_n} ({@link WeightSource#PREDICTION}, as printed in the paper, the default) or
 * {@code S = Σ_n r_n} ({@link WeightSource#REFERENCE}: #background / #foreground of the target).
 * w is recomputed on every call over the whole batch (all B samples pooled; N counts the voxels
 * of the batch that are not ignored) and is a constant of the graph: no gradient flows through it.
 *
 * <p>Guard: when S = 0 (class absent from the target, or a predicted probability that underflows
 * everywhere; the ratio would be infinite) or S = N (the class fills every voxel; the ratio 0 would
 * delete the class's only term), w = 1, i.e. plain cross-entropy for that class. Otherwise w is
 * computed in double and capped at {@link Float#MAX_VALUE} so it stays finite.
 *
 * <p>Forms of the input (log-probabilities always in a stable form, so logits of any magnitude
 * are fine):
 * <ul>
 * <li>SOFTMAX (default): logits {@code [B, C, *spatial]}, {@code log p = logSoftmax(z)}. C = 2 is
 *     the paper (p = p_1, 1 - p = p_0). C &gt; 2 is segloss's extension: the background class 0 keeps
 *     weight 1 and every foreground class c gets its own {@code w_c = (N - S_c) / S_c};
 *     {@code ℓ_n = -Σ_c w_c r_nc log p_nc}. Targets: label map (ignoreIndex allowed) or one-hot
 *     (soft with {@code softLabel}).</li>
 * <li>SIGMOID: one foreground logit {@code [B, 1, *spatial]}, {@code log p = log σ(x)},
 *     {@code log(1 - p) = log σ(-x)}. Targets: a binary label map {@code [B, *spatial]} with
 *     values 0/1, or a mask tensor {@code [B, 1, *spatial]} (soft with {@code softLabel}). No
 *     ignoreIndex in this form.</li>
 * </ul>
 *
 * <p>Reductions: MEAN is the paper's {@code 1/N} (a plain mean over the counted voxels). It is not
 * PyTorch's weighted mean: feeding {@code [1, w]} as class weights to {@link CrossEntropyLoss}
 * divides by {@code Σ_n w[y_n] = N_bg + w·N_fg} instead (same gradient direction, different
 * scale). SUM: the sum over voxels. NONE: the per-voxel map {@code [B, *spatial]}, 0 at ignored
 * voxels. Everything ignored: 0 with zero gradient.
 *
 * <p>Not this class: the "WeightedCrossEntropyLoss" of SegLoss ({@code ND_Crossentropy.py}) and
 * pytorch-3dunet with explicit per-class weights is PyTorch's weighted CE, i.e.
 * {@code CrossEntropyLoss.builder().weight(...)}. Options {@code weight} and
 * {@code includeBackground=false} are rejected (the weight is automatic; both terms are needed).
 */
public final class WeightedCrossEntropyLoss extends SegmentationLoss {
    /** Where the automatic weight's volume S comes from. */
    public enum WeightSource {
        /** S = Σ p, the predicted foreground probability (the paper as printed). */
        PREDICTION,
        /** S = Σ r, the reference foreground voxel count (#background / #foreground). */
        REFERENCE
    }

    private final WeightSource weightSource;

    private WeightedCrossEntropyLoss(Builder b) {
        super(b);
        this.weightSource = b.weightSource;
    }

    public static Builder builder() { return new Builder(); }

    /** Softmax, weight from the prediction (paper), mean. */
    public static WeightedCrossEntropyLoss create() { return builder().build(); }

    public WeightSource weightSource() { return weightSource; }

    /**
     * The automatic class weights this loss would use for these operands: {@code [1, w_1, ...,
     * w_{C-1}]} for SOFTMAX, {@code [w]} for SIGMOID (for logging and tests).
     */
    public float[] classWeights(Var input, LabelTensor target) {
        Prepared p = prepare(input, target, null);
        finishFiniteCheck(p);
        return autoWeights(p);
    }

    /** {@link #classWeights(Var, LabelTensor)} for a one-hot / mask target. */
    public float[] classWeights(Var input, Tensor target) {
        Prepared p = prepare(input, null, target);
        finishFiniteCheck(p);
        return autoWeights(p);
    }

    @Override
    protected Prepared prepare(Var input, LabelTensor labels, Tensor onehot) {
        Shape in = input.shape();
        if (activation == Activation.SIGMOID && labels != null && (in.rank() == 4 || in.rank() == 5)) {
            // a binary label map for the single foreground logit: turn it into the mask [B, 1, *spatial]
            requireSingleChannel(in);
            Shape expected = in.remove(1);
            LabelTensor y = labels.shape().rank() == in.rank() && labels.shape().dim(1) == 1
                    ? labels.reshape(labels.shape().remove(1).dims()) : labels;
            if (!y.shape().equals(expected)) {
                throw new IllegalArgumentException(name() + ": label-map target must be [B, *spatial] = " + expected
                        + " for input " + in + ", got " + labels.shape());
            }
            for (int i = 0; i < y.size(); i++) {
                int v = y.at(i);
                if (v != 0 && v != 1) {
                    throw new IllegalArgumentException(name() + ": with SIGMOID the label map must be binary (0 or 1), got "
                            + v + " at flat index " + i);
                }
            }
            return super.prepare(input, null, y.toFloat().reshape(in.dims()));
        }
        return super.prepare(input, labels, onehot);
    }

    @Override
    protected Var compute(Prepared p) {
        Var x = p.input();
        boolean fusedLabels = activation == Activation.SOFTMAX && p.labels() != null && !softLabel && reduction != Reduction.NONE;
        if (fusedLabels && weightSource == WeightSource.PREDICTION) {
            // one pass: the weights come from the predicted volumes of the same softmax that the sum picks from
            FusedCrossEntropy.Counted r = FusedCrossEntropy.weightedByPrediction(this, p, WeightedCrossEntropyLoss::weightsFrom);
            double counted = 0;
            for (long k : r.classCounts()) counted += k;
            return reduction == Reduction.SUM ? r.sum() : counted > 0 ? r.sum().div((float) counted) : r.sum().mul(0f);
        }
        float[] w = autoWeights(p);
        double n = counted(p);
        if (fusedLabels) {
            // label map: the fused softmax cross-entropy Σ_n w[y_n] (-log p_{y_n}) (FusedCrossEntropy);
            // no one-hot target is made
            Var total = FusedCrossEntropy.sum(this, p, w, 0f);
            return reduction == Reduction.SUM ? total : n > 0 ? total.div((float) n) : total.mul(0f);
        }
        Tensor r = p.target();
        Var l;   // [B, 1, *spatial]
        if (activation == Activation.SIGMOID) {
            // -(w r log σ(x) + (1 - r) log σ(-x))
            l = LogSigmoid.of(x).mul(r.mul(w[0]))
                    .add(LogSigmoid.of(x.neg()).mul(r.mul(-1f).add(1f)))
                    .neg();
        } else {
            Var logp = x.logSoftmax(1);
            Tensor coef = r.mul(classVector(w, x.shape().rank()));   // w_c r_c; 0 at ignored voxels
            l = logp.mul(coef).sum(new int[] {1}, true).neg();
        }
        return switch (reduction) {
            case MEAN -> n > 0 ? l.sum().div((float) n) : l.sum().mul(0f);   // paper: 1/N; all ignored: 0
            case SUM -> l.sum();
            case NONE -> l.reshape(l.shape().remove(1).dims());
        };
    }

    /** N: the voxels of the batch that are not ignored. */
    private static double counted(Prepared p) {
        Tensor valid = p.valid();
        Shape s = p.input().shape();
        return valid == null ? (double) s.size() / s.dim(1) : valid.sumDouble();
    }

    /** The stop-gradient weights from the values (never the graph) of the operands. */
    private float[] autoWeights(Prepared p) {
        Tensor x = p.input().value();
        double n = counted(p);
        if (activation == Activation.SIGMOID) {
            requireSingleChannel(x.shape());
            double s;
            try (NoGrad ignored = NoGrad.enter()) {
                s = weightSource == WeightSource.PREDICTION ? x.sigmoid().sumDouble() : p.target().sumDouble();
            }
            return new float[] {ratio(n, s)};
        }
        int c = x.dim(1);
        int[] axes = new int[x.rank() - 1];   // every axis but the class axis
        axes[0] = 0;
        for (int a = 2; a < x.rank(); a++) axes[a - 1] = a;
        double[] volume = new double[c];   // S_k over the batch and the counted voxels
        try (NoGrad ignored = NoGrad.enter()) {
            Tensor perSample;   // [B, C] (or [C])
            if (weightSource == WeightSource.PREDICTION) {
                // Σ p per (b, k) in one fused softmax pass, ignored voxels masked out: no full-size softmax
                perSample = SoftmaxSums.classSums(x, Terms.weightedBy().masked(p.valid()).plus(Total.PROBABILITIES));
            } else if (p.labels() != null) {
                perSample = p.labels().classCounts(c, ignoreIndex);   // the one-hot's sums, never made
            } else {
                perSample = p.target().sum(axes, false);
            }
            for (int i = 0; i < perSample.size(); i++) volume[i % c] += perSample.at(i);
        }
        return weightsFrom(n, volume);
    }

    /** w_0 = 1 (background), w_k = (N - S_k) / S_k ({@link #ratio}) for the foreground classes. */
    static float[] weightsFrom(double n, double[] volume) {
        float[] w = new float[volume.length];
        w[0] = 1f;   // background
        for (int k = 1; k < w.length; k++) w[k] = ratio(n, volume[k]);
        return w;
    }

    /** (N - S) / S, with w = 1 when S = 0 or S = N, capped to stay finite. */
    static float ratio(double n, double s) {
        if (!(s > 0) || s >= n) return 1f;
        return (float) Math.min((n - s) / s, Float.MAX_VALUE);
    }

    private void requireSingleChannel(Shape in) {
        if (in.dim(1) != 1) {
            throw new IllegalArgumentException(name() + ": activation SIGMOID needs one foreground logit [B, 1, *spatial], got input "
                    + in + " (two or more channels: use SOFTMAX)");
        }
    }

    private static Tensor classVector(float[] v, int rank) {
        int[] d = new int[rank];
        Arrays.fill(d, 1);
        d[1] = v.length;
        return Tensor.of(v, d);
    }

    // ---- options (LossOption): declared once; the builder's defaults come from here ----

    public static final LossOption<Builder, WeightSource> WEIGHT_SOURCE = LossOption.choice("weight-source", WeightSource.PREDICTION,
            "S = sum of predicted probabilities (paper as printed) or of reference voxels.", Builder::weightSource);
    /** Every option, in the order they are listed. */
    public static final List<LossOption<?, ?>> OPTIONS = List.of(WEIGHT_SOURCE, SegmentationLoss.IGNORE_INDEX, SegmentationLoss.REDUCTION);

    /** Options of {@link WeightedCrossEntropyLoss}. */
    public static final class Builder extends SegmentationLoss.Builder<Builder> {
        WeightSource weightSource = WEIGHT_SOURCE.defaultChoice(WeightSource.class);

        /** PREDICTION (default, the paper as printed) or REFERENCE. */
        public Builder weightSource(WeightSource s) {
            if (s == null) {
                throw new IllegalArgumentException("WeightedCrossEntropyLoss: weightSource must be one of "
                        + Arrays.toString(WeightSource.values()) + ", got null");
            }
            weightSource = s;
            return this;
        }

        public WeightedCrossEntropyLoss build() {
            if (activation == Activation.NONE) {
                throw new IllegalArgumentException("WeightedCrossEntropyLoss: activation must be SOFTMAX or SIGMOID"
                        + " (the input is logits), got NONE");
            }
            if (weight != null) {
                throw new IllegalArgumentException("WeightedCrossEntropyLoss: weight must not be set (the weight is"
                        + " automatic; for fixed class weights use CrossEntropyLoss.builder().weight(...)), got "
                        + Arrays.toString(weight));
            }
            if (!includeBackground) {
                throw new IllegalArgumentException("WeightedCrossEntropyLoss: includeBackground must be true (the"
                        + " background term is half of the loss), got false");
            }
            if (activation == Activation.SIGMOID && ignoreIndex != NO_IGNORE) {
                throw new IllegalArgumentException("WeightedCrossEntropyLoss: ignoreIndex needs the SOFTMAX form"
                        + " (a label map with C >= 2 channels), got ignoreIndex=" + ignoreIndex + " with SIGMOID");
            }
            return new WeightedCrossEntropyLoss(this);
        }
    }
}
