package org.segloss.loss;

import java.util.Arrays;
import java.util.List;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Shape;
import org.segloss.tensor.SoftmaxDiceExpLog;
import org.segloss.tensor.SoftmaxSums.Terms;
import org.segloss.tensor.SoftmaxSums.Total;
import org.segloss.tensor.Tensor;

/**
 * Exponential logarithmic loss: a Dice term and a cross-entropy term, each through
 * {@code (-ln x)^γ}, which focuses on the less accurately segmented structures.
 *
 * <p>Paper: Wong, Moradi, Tang, Syeda-Mahmood, "3D segmentation with exponential logarithmic loss
 * for highly unbalanced object sizes", MICCAI 2018, arXiv 1809.00076, Sec. 2 (L_Exp, L_Dice,
 * L_Cross, label-frequency weights) and Sec. 3 (γ = 0.3, w_Dice = 0.8, w_Cross = 0.2). No official
 * code; the SegLoss variant is adapted from JunMa11/SegLoss {@code losses_pytorch/dice_loss.py}
 * ({@code ExpLog_loss}).
 *
 * <p>{@link Form#PAPER} (default), spec/losses/exp-log.md:
 * <pre>
 *   D_l     = (2 Σ_x δ_l(x) p_l(x) + ε) / (Σ_x (δ_l(x) + p_l(x)) + ε)          per kept label l
 *   L_Dice  = mean_l max(-ln D_l, MIN_LOG)^γ_Dice
 *   L_Cross = mean_x w_{y(x)} · max(-ln p_{y(x)}(x), MIN_LOG)^γ_Cross           over the valid voxels
 *   w_l     = (Σ_k f_k / f_l)^0.5,  f_k = number of valid voxels labelled k in the batch
 *   L       = w_Dice · L_Dice + w_Cross · L_Cross
 * </pre>
 * Defaults: γ_Dice = γ_Cross = 0.3, w_Dice = 0.8, w_Cross = 0.2, ε = 1 (a pseudo-count, so a label
 * absent from the batch and not predicted has D = 1), Dice pooled over the batch ({@code batch}
 * true: the sums run over every sample; false: one D per (sample, label) and the mean runs over
 * them). The frequency weights are a constant computed from the target; they are <i>looked up at
 * each voxel's label</i>, so an absent label's infinite weight is never touched (never
 * {@code w·onehot} with w = ∞). {@code ceWeight} replaces them by fixed per-class weights.
 *
 * <p>{@link Form#SEGLOSS} ({@code ExpLog_loss}, a deviation from the paper):
 * {@code L = w_Dice · max(-ln max(mean D, 1e-6), MIN_LOG)^γ_Dice + w_Cross · WCE} with D
 * SegLoss's soft Dice {@code (2I + ε)/(P + G + ε)} per (sample, class) (or per class with
 * {@code batch}), the power on the log of the <i>mean</i> Dice, and a plain weighted cross-entropy
 * {@code WCE = Σ_x w_{y(x)}(-ln p_{y(x)}) / Σ_x w_{y(x)}} (PyTorch's weighted mean; w = ceWeight,
 * or 1). {@link #segLossBuilder()} sets SegLoss's defaults: ε = 1, per-sample Dice, γ = 0.3.
 *
 * <p>Classes: the Dice term scores the kept classes ({@code includeBackground}); the cross-entropy
 * term always uses every class (its probability is the full softmax; SegLoss's WCE likewise).
 * {@code ceWeight} therefore has C entries. Activation SOFTMAX (logits; the log-probability is a
 * log-softmax) or NONE (probabilities, clamped below at 1e-12 before the log); SIGMOID, soft
 * labels, class {@code weight} (use ceWeight) and reductions other than MEAN are rejected.
 *
 * <p><b>Clamps.</b> For γ &lt; 1 the slope {@code γ (-ln x)^(γ-1) / x} diverges as x → 1, and with
 * ε = 1 an absent, unpredicted label has D = 1 exactly (∞·0 = NaN in autograd). Both {@code -ln D}
 * and {@code -ln p} are clamped below at {@link #MIN_LOG} = 1e-7 (about the float32 resolution of
 * -ln x near x = 1): below it the gradient is exactly 0, above it bounded by
 * {@code γ·MIN_LOG^(γ-1)} (≈ 2.4e4 for γ = 0.3). The price: a perfect term is worth
 * {@code MIN_LOG^γ} (≈ 0.0079 for γ = 0.3) instead of 0. D = 0 cannot occur for ε &gt; 0;
 * ε = 0 is rejected.
 *
 * <p>With SOFTMAX the Dice term's sums (Σ δ p, Σ p, Σ δ) come from one fused pass over the logits
 * ({@link RegionStatistics}), and with SOFTMAX on a label map the cross-entropy term is one fused
 * pass each way too ({@link FusedExpLog} for PAPER, {@link FusedCrossEntropy} for SEGLOSS), its
 * class weights from the label counts ({@link LabelTensor#classCounts}): no full-size softmax,
 * log-softmax, gathered -ln p or weight map is stored. PAPER with no voxel ignored (the Dice
 * sums' one-pass case) takes both terms from one softmax per step ({@link FusedDiceExpLog}: the
 * two ops' bits, one softmax, one kept p, one backward pass). NONE and one-hot tensor targets keep the
 * composed graph (spec/losses/exp-log.md#implementation). The fused sums round differently from
 * the composed ones (a few ulps).
 */
public final class ExpLogLoss extends SegmentationLoss {

    /** Lower clamp of -ln D and -ln p before the power (see the class comment). */
    public static final float MIN_LOG = 1e-7f;

    /** Lower clamp of a probability (activation NONE) before the log. */
    static final float MIN_PROB = 1e-12f;

    /** SegLoss's clamp of the mean Dice before the log. */
    static final float SEGLOSS_MIN_DICE = 1e-6f;

    /** Which formula. */
    public enum Form {
        /** Wong et al. 2018 (default). */
        PAPER,
        /** SegLoss {@code ExpLog_loss}: power of -ln(mean Dice), plain weighted CE. */
        SEGLOSS
    }

    private final Form form;
    private final float gammaDice, gammaCross, weightDice, weightCross, epsilon;
    private final boolean batch;
    private final float[] ceWeight;
    /** The fused cross-entropy term's per-voxel slope array, handed from each backward to the next forward. */
    private final SpareBuffer spareSlope = new SpareBuffer();

    private ExpLogLoss(Builder b) {
        super(b);
        this.form = b.form;
        this.gammaDice = b.gammaDice;
        this.gammaCross = b.gammaCross;
        this.weightDice = b.weightDice;
        this.weightCross = b.weightCross;
        this.epsilon = b.epsilon;
        this.batch = b.batch;
        this.ceWeight = b.ceWeight == null ? null : b.ceWeight.clone();
    }

    /** The paper's defaults: γ = 0.3, w_Dice 0.8, w_Cross 0.2, ε = 1, Dice pooled over the batch, frequency weights. */
    public static Builder builder() { return new Builder(); }

    /** {@code builder().build()}. */
    public static ExpLogLoss create() { return builder().build(); }

    /**
     * SegLoss's {@code ExpLog_loss}: Form SEGLOSS, γ 0.3, 0.8 / 0.2, SoftDiceLoss's smooth 1,
     * per-sample Dice ({@code batch_dice = False}), unweighted CE. SegLoss's {@code smooth},
     * {@code do_bg}, {@code batch_dice}, WCE {@code weight} are {@code epsilon},
     * {@code includeBackground}, {@code batch}, {@code ceWeight}.
     */
    public static Builder segLossBuilder() {
        return builder().form(Form.SEGLOSS).epsilon(1f).batch(false).gamma(0.3f);
    }

    @Override
    protected Var compute(Prepared p) {
        int c = p.input().shape().dim(1);
        if (ceWeight != null && ceWeight.length != c) {
            throw new IllegalArgumentException("ExpLogLoss: ceWeight must have one entry per class (C = " + c
                    + ", background included: the cross-entropy uses every class), got " + ceWeight.length);
        }
        if (form == Form.PAPER && RegionStatistics.fused(this) && p.labels() != null) {
            // the Dice sums' one-pass case: both terms from one softmax per step (FusedDiceExpLog)
            Terms terms = RegionStatistics.fusedTerms(this, p, Total.PROBABILITIES, Total.LABEL_COUNTS);
            if (SoftmaxDiceExpLog.applies(terms, c)) {
                CrossWeights w = crossWeights(p.labels(), ignoreIndex, c);
                Var[] out = FusedDiceExpLog.of(p.input(), terms, w.classW(), gammaCross, MIN_LOG, spareSlope);   // I, P, G, then Σ_x w_y max(-ln p_y, MIN_LOG)^γ
                p.finiteChecked();
                Var[] st = RegionStatistics.keptClasses(Arrays.copyOf(out, 3), p, batch);
                Var dice = diceTerm(p, new RegionStatistics.Sums(st[0], st[1], st[2].value()));
                return dice.mul(weightDice).add(crossMean(out[3], w).mul(weightCross));
            }
        }
        // I = Σ p g, P = Σ p, G = Σ g: fused or composed
        return diceTerm(p, RegionStatistics.of(this, p, false, batch)).mul(weightDice).add(crossTerm(p, c).mul(weightCross));
    }

    /** Per-kept-class soft Dice D with ε in numerator and denominator, from the sums s: [C'] pooled, or [B, C']. */
    private Var diceTerm(Prepared p, RegionStatistics.Sums s) {
        Var d = s.intersection().mul(2f).add(epsilon)
                .div(s.predSum().add(s.targetSum()).add(epsilon));
        if (nothingCounts(p)) return d.sum().mul(0f);   // no voxel counts: 0, zero gradient
        if (form == Form.SEGLOSS) {
            Var meanDice = meanItems(d, p, batch).clamp(SEGLOSS_MIN_DICE, Float.POSITIVE_INFINITY);
            return negLogPow(meanDice, gammaDice);
        }
        return meanItems(negLogPow(d, gammaDice), p, batch);   // all-ignored samples left out
    }

    /** max(-ln x, MIN_LOG)^γ. */
    private static Var negLogPow(Var x, float gamma) {
        Var nl = x.log().neg().clamp(MIN_LOG, Float.POSITIVE_INFINITY);
        return gamma == 1f ? nl : nl.pow(gamma);
    }

    /**
     * L_Cross (PAPER) or the weighted mean cross-entropy (SEGLOSS) over every class. With SOFTMAX
     * and a label map one fused pass over the logits each way ({@link FusedExpLog},
     * {@link FusedCrossEntropy}); otherwise the composed graph on the labels read back from the
     * one-hot target ({@link #composedCross}). Both look the class weight up at each voxel's label.
     */
    private Var crossTerm(Prepared p, int c) {
        boolean fused = activation == Activation.SOFTMAX && p.labels() != null;
        LabelTensor labels = fused ? p.labels() : labelsOf(p);   // [B, *spatial] or [B, 1, *spatial]
        int ignore = fused ? ignoreIndex : -1;                     // labelsOf marks ignored voxels -1
        CrossWeights w = crossWeights(labels, ignore, c);
        Var total;
        if (fused) {
            total = form == Form.SEGLOSS
                    ? FusedCrossEntropy.sum(p.input(), labels, ignore, w.classW(), 0f)              // Σ w_y (-ln p_y)
                    : FusedExpLog.sum(p.input(), labels, ignore, w.classW(), gammaCross, MIN_LOG, spareSlope);   // Σ w_y max(-ln p_y, MIN_LOG)^γ
        } else {
            total = composedCross(p, labels, w.classW());
        }
        return crossMean(total, w);
    }

    /**
     * The cross-entropy term's class weights w_k (C entries) and what its mean divides by: the
     * number of valid voxels (PAPER) and Σ_x w_{y(x)} over them (SEGLOSS), both exact.
     */
    private record CrossWeights(float[] classW, long valid, double weightSum) {}

    /** {@link CrossWeights} of the labels (ignore: the value of ignored voxels) for C classes. */
    private CrossWeights crossWeights(LabelTensor labels, int ignore, int c) {
        // f_k: the valid voxels labelled k in the batch (per-sample counts: exact while a class has
        // fewer than 2^24 voxels in a sample)
        Tensor perSample = labels.classCounts(c, ignore);         // [B, C]
        long[] counts = new long[c];
        for (int i = 0; i < perSample.size(); i++) counts[i % c] += (long) perSample.at(i);
        long valid = Arrays.stream(counts).sum();
        float[] classW = new float[c];
        double wSum = 0;   // Σ_x w_{y(x)} over the valid voxels: exact in double
        for (int k = 0; k < c; k++) {
            if (ceWeight != null) classW[k] = ceWeight[k];
            else if (form == Form.SEGLOSS) classW[k] = 1f;
            else classW[k] = counts[k] == 0 ? 0f : (float) Math.sqrt((double) valid / counts[k]);   // never used if absent
            wSum += (double) classW[k] * counts[k];
        }
        return new CrossWeights(classW, valid, wSum);
    }

    /** The cross-entropy sum total as the term's mean: over Σ w_y (SEGLOSS) or the valid voxels (PAPER); 0 when nothing counts. */
    private Var crossMean(Var total, CrossWeights w) {
        if (form == Form.SEGLOSS) {
            // PyTorch's weighted mean; an all-ignored (or all-zero-weight) batch costs 0
            return w.weightSum() == 0 ? total : total.div((float) w.weightSum());
        }
        return w.valid() == 0 ? total : total.div((float) w.valid());
    }

    /**
     * The cross-entropy sum composed from the primitives (NONE, or a one-hot tensor target):
     * {@code Σ_x w_{y(x)} (-ln p_{y(x)})} (SEGLOSS) or {@code Σ_x w_{y(x)} max(-ln p_{y(x)}, MIN_LOG)^γ}
     * (PAPER), with labels {@code [B, 1, *spatial]} from {@link #labelsOf} (-1 where ignored).
     */
    private Var composedCross(Prepared p, LabelTensor labels, float[] classW) {
        Var input = p.input();
        Var logp = activation == Activation.SOFTMAX
                ? input.logSoftmax(1)
                : input.clamp(MIN_PROB, 1f).log();
        // per-class weight for every voxel (0 at ignored voxels), and the voxel's label (0 there)
        int n = labels.size();
        float[] wv = new float[n];
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) {
            int y = labels.at(i);
            if (y < 0) continue;
            idx[i] = y;
            wv[i] = classW[y];
        }
        int[] dims = labels.shape().dims();
        Tensor wVox = Tensor.wrap(wv, dims);                   // [B, 1, *spatial]
        Var nll = logp.gather(1, LabelTensor.of(idx, dims)).neg();   // -ln p_{y(x)}: [B, 1, *spatial]
        if (form == Form.SEGLOSS) return nll.mul(wVox).sum();
        Var term = nll.clamp(MIN_LOG, Float.POSITIVE_INFINITY);
        if (gammaCross != 1f) term = term.pow(gammaCross);
        return term.mul(wVox).sum();
    }

    /** The label of every voxel, [B, 1, *spatial], -1 where ignored (from the label map or the one-hot target). */
    private static LabelTensor labelsOf(Prepared p) {
        Shape ts = p.target().shape();
        int b = ts.dim(0), kept = ts.dim(1), inner = ts.size() / (b * kept);
        int[] dims = ts.dims();
        dims[1] = 1;
        int[] out = new int[b * inner];
        Tensor valid = p.valid();
        Tensor g = p.target();
        for (int bi = 0; bi < b; bi++) {
            for (int j = 0; j < inner; j++) {
                int at = bi * inner + j;
                if (valid != null && valid.at(at) == 0f) {
                    out[at] = -1;
                    continue;
                }
                int y = 0;   // no kept channel set: the dropped background
                for (int k = 0; k < kept; k++) {
                    if (g.at((bi * kept + k) * inner + j) != 0f) {
                        y = k + p.channelOffset();
                        break;
                    }
                }
                out[at] = y;
            }
        }
        return LabelTensor.of(out, dims);
    }

    // ---- options (LossOption): declared once; the builder's defaults come from here ----

    public static final LossOption<Builder, Form> FORM = LossOption.choice("form", Form.PAPER,
            "paper (Wong et al.) or segloss (power of -ln of the mean Dice, plain weighted CE).", Builder::form);
    public static final LossOption<Builder, Float> GAMMA_DICE = LossOption.number("gamma-dice", "0.3", LossOption.Range.POS,
            "Exponent of the Dice term.", Builder::gammaDice);
    public static final LossOption<Builder, Float> GAMMA_CROSS = LossOption.number("gamma-cross", "0.3", LossOption.Range.POS,
            "Exponent of the cross-entropy term (form=paper only).", Builder::gammaCross);
    public static final LossOption<Builder, Float> WEIGHT_DICE = LossOption.number("weight-dice", "0.8", LossOption.Range.NON_NEG, "w_Dice.",
            Builder::weightDice);
    public static final LossOption<Builder, Float> WEIGHT_CROSS = LossOption.number("weight-cross", "0.2", LossOption.Range.NON_NEG, "w_Cross.",
            Builder::weightCross);
    public static final LossOption<Builder, Float> EPSILON = LossOption.number("epsilon", "1", LossOption.Range.POS,
            "Dice pseudo-count in numerator and denominator.", Builder::epsilon);
    public static final LossOption<Builder, Boolean> BATCH = LossOption.bool("batch", true,
            "Dice pooled over the batch (paper); false: per (sample, class).", Builder::batch);
    public static final LossOption<Builder, float[]> CE_WEIGHT = LossOption.<Builder>numbers("ce-weight", "C entries", LossOption.Range.NON_NEG,
            "Fixed CE class weights instead of the frequency weights.", Builder::ceWeight)
            .shown("none (frequency weights; 1 for form=segloss)");
    public static final LossOption<SegmentationLoss.Builder<?>, Boolean> INCLUDE_BACKGROUND =
            SegmentationLoss.includeBackground(true, "library default; the paper averages over all labels");
    /** Every option, in the order they are listed. */
    public static final List<LossOption<?, ?>> OPTIONS = List.of(FORM, GAMMA_DICE, GAMMA_CROSS, WEIGHT_DICE, WEIGHT_CROSS, EPSILON,
            BATCH, CE_WEIGHT, INCLUDE_BACKGROUND, SegmentationLoss.IGNORE_INDEX);

    /** Options of {@link ExpLogLoss}, with the paper's defaults. */
    public static final class Builder extends SegmentationLoss.Builder<Builder> {
        Form form = FORM.defaultChoice(Form.class);
        float gammaDice = GAMMA_DICE.defaultFloat(), gammaCross = GAMMA_CROSS.defaultFloat(), weightDice = WEIGHT_DICE.defaultFloat(),
                weightCross = WEIGHT_CROSS.defaultFloat(), epsilon = EPSILON.defaultFloat();
        boolean batch = BATCH.defaultBoolean();

        public Builder() { includeBackground = INCLUDE_BACKGROUND.defaultBoolean(); }
        float[] ceWeight;

        /** PAPER (default) or SEGLOSS. */
        public Builder form(Form f) {
            if (f == null) throw new IllegalArgumentException("ExpLogLoss: form must be one of " + Arrays.toString(Form.values()) + ", got null");
            form = f;
            return this;
        }

        /** γ of both terms (default 0.3; γ = 1: linear Dice + weighted CE); finite and > 0. */
        public Builder gamma(float v) { return gammaDice(v).gammaCross(v); }

        /** γ of the Dice term (default 0.3). */
        public Builder gammaDice(float v) { requirePositive("gammaDice", v); gammaDice = v; return this; }

        /** γ of the cross-entropy term (default 0.3; unused by SEGLOSS, whose CE has no power). */
        public Builder gammaCross(float v) { requirePositive("gammaCross", v); gammaCross = v; return this; }

        /** w_Dice (default 0.8); finite and >= 0. */
        public Builder weightDice(float v) { requireNonNegative("ExpLogLoss", "weightDice", v); weightDice = v; return this; }

        /** w_Cross (default 0.2); finite and >= 0. */
        public Builder weightCross(float v) { requireNonNegative("ExpLogLoss", "weightCross", v); weightCross = v; return this; }

        /** ε, the Dice pseudo-count in numerator and denominator (default 1); finite and > 0. */
        public Builder epsilon(float v) { requirePositive("epsilon", v); epsilon = v; return this; }

        /** Dice pooled over the batch (default true, paper form); false: per (sample, class). */
        public Builder batch(boolean v) { batch = v; return this; }

        /** Fixed per-class cross-entropy weights, C entries (all classes), finite and >= 0; null (default): frequency weights (PAPER) or 1 (SEGLOSS). */
        public Builder ceWeight(float... w) {
            if (w != null) {
                for (float v : w) {
                    if (!(v >= 0f) || Float.isInfinite(v)) {
                        throw new IllegalArgumentException("ExpLogLoss: ceWeight entries must be finite and >= 0, got " + Arrays.toString(w));
                    }
                }
            }
            ceWeight = w == null ? null : w.clone();
            return this;
        }

        private static void requirePositive(String param, float v) {
            if (!(v > 0f) || Float.isInfinite(v)) {
                throw new IllegalArgumentException("ExpLogLoss: " + param + " must be finite and > 0, got " + v);
            }
        }

        public ExpLogLoss build() {
            if (activation == Activation.SIGMOID) {
                throw new IllegalArgumentException("ExpLogLoss: activation must be SOFTMAX or NONE (the cross-entropy term needs"
                        + " one probability per class summing to 1), got SIGMOID");
            }
            if (reduction != Reduction.MEAN) {
                throw new IllegalArgumentException("ExpLogLoss: reduction must be MEAN (the loss is a weighted sum of two means),"
                        + " got " + reduction);
            }
            if (weight != null) {
                throw new IllegalArgumentException("ExpLogLoss: weight is not supported (use ceWeight, C entries), got "
                        + Arrays.toString(weight));
            }
            if (softLabel) {
                throw new IllegalArgumentException("ExpLogLoss: softLabel must be false (the cross-entropy term looks up one"
                        + " label per voxel), got true");
            }
            return new ExpLogLoss(this);
        }
    }
}
