package org.segloss.loss;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * A weighted sum of losses on the same input and target: {@code L = Σ_k w_k L_k}. Compounds such
 * as Dice + cross-entropy are built with it, and so is deep supervision (one term per output
 * scale: see {@link #deepSupervision}).
 *
 * <p>Every term must reduce to a scalar (reduction MEAN or SUM); weights are finite and >= 0.
 */
public final class WeightedSumLoss implements Loss {
    private final List<Loss> terms;
    private final float[] weights;

    private WeightedSumLoss(List<Loss> terms, float[] weights) {
        this.terms = List.copyOf(terms);
        this.weights = weights.clone();
    }

    /** Starts an empty sum; add terms with {@link Builder#add}. */
    public static Builder builder() { return new Builder(); }

    /** The terms, in order. */
    public List<Loss> terms() { return terms; }

    /** The weights, in the order of the terms. */
    public float[] weights() { return weights.clone(); }

    @Override
    public Var forward(Var input, LabelTensor target) {
        return weightedSum(input, k -> terms.get(k).forward(input, target));
    }

    @Override
    public Var forward(Var input, Tensor target) {
        return weightedSum(input, k -> terms.get(k).forward(input, target));
    }

    /** Σ_k w_k term(k) over the terms with w_k != 0 (a zero-gradient 0 when every weight is 0). */
    private Var weightedSum(Var input, java.util.function.IntFunction<Var> term) {
        Var total = null;
        for (int k = 0; k < terms.size(); k++) {
            if (weights[k] == 0f) continue;
            Var v = requireScalar(k, term.apply(k)).mul(weights[k]);
            total = total == null ? v : total.add(v);
        }
        return total != null ? total : input.mul(0f).sum();
    }

    private Var requireScalar(int k, Var v) {
        if (v.shape().size() != 1) {
            throw new IllegalArgumentException("WeightedSumLoss: term " + k + " (" + terms.get(k).name()
                    + ") must reduce to a scalar (reduction MEAN or SUM), got shape " + v.shape());
        }
        return v.reshape();
    }

    @Override
    public String name() {
        StringBuilder s = new StringBuilder();
        for (int k = 0; k < terms.size(); k++) {
            if (k > 0) s.append(" + ");
            s.append(weights[k]).append("·").append(terms.get(k).name());
        }
        return s.toString();
    }

    /**
     * Deep supervision as nnU-Net weighs it: the loss at scale k (0 = full resolution) gets
     * 1/2^k, the lowest-resolution output gets 0, and the weights are normalised to sum 1.
     * Returns the per-scale weights for {@code scales} outputs (scales >= 1).
     */
    public static float[] deepSupervisionWeights(int scales) {
        if (scales < 1) throw new IllegalArgumentException("deepSupervisionWeights: scales must be >= 1, got " + scales);
        float[] w = new float[scales];
        double sum = 0;
        for (int k = 0; k < scales; k++) {
            w[k] = (scales > 1 && k == scales - 1) ? 0f : (float) Math.pow(0.5, k);
            sum += w[k];
        }
        for (int k = 0; k < scales; k++) w[k] = (float) (w[k] / sum);
        return w;
    }

    /**
     * The deep-supervision loss: Σ_k w_k L(outputs[k], targets[k]) over the scales, each output
     * compared with its own (downsampled) target.
     *
     * @throws IllegalArgumentException if a weight is negative, NaN or infinite, if the numbers of
     *         outputs, targets and weights differ, or an output's spatial shape does not match its
     *         target's
     */
    public static Var deepSupervision(Loss loss, float[] weights, Var[] outputs, LabelTensor[] targets) {
        if (outputs.length != targets.length || outputs.length != weights.length) {
            throw new IllegalArgumentException("deepSupervision: need one weight and one target per output, got "
                    + outputs.length + " outputs, " + targets.length + " targets, " + weights.length + " weights");
        }
        for (int k = 0; k < weights.length; k++) {
            // as the builder's add: a negative weight would reward the error at that scale, NaN poisons the sum
            if (!(weights[k] >= 0f) || Float.isInfinite(weights[k])) {
                throw new IllegalArgumentException("deepSupervision: weights must be finite and >= 0, got " + weights[k]
                        + " at output " + k + " in " + java.util.Arrays.toString(weights));
            }
        }
        Var total = null;
        for (int k = 0; k < outputs.length; k++) {
            int[] out = outputs[k].shape().dims(), tgt = targets[k].shape().dims();
            int[] outSpatial = Arrays.copyOfRange(out, 2, out.length), tgtSpatial = Arrays.copyOfRange(tgt, 1, tgt.length);
            if (out[0] != tgt[0] || !Arrays.equals(outSpatial, tgtSpatial)) {
                throw new IllegalArgumentException("deepSupervision: output " + k + " " + outputs[k].shape()
                        + " and its target " + targets[k].shape() + " must share batch and spatial sizes");
            }
            if (weights[k] == 0f) continue;
            Var v = loss.forward(outputs[k], targets[k]).mul(weights[k]);
            total = total == null ? v : total.add(v);
        }
        if (total == null) throw new IllegalArgumentException("deepSupervision: every weight is 0");
        return total;
    }

    /** Collects the terms. */
    public static final class Builder {
        private final List<Loss> terms = new ArrayList<>();
        private final List<Float> weights = new ArrayList<>();

        /** Adds {@code weight * loss}; weight finite and >= 0. */
        public Builder add(float weight, Loss loss) {
            if (loss == null) throw new IllegalArgumentException("WeightedSumLoss.add: loss must not be null");
            if (!(weight >= 0f) || Float.isInfinite(weight)) {
                throw new IllegalArgumentException("WeightedSumLoss.add: weight must be finite and >= 0, got " + weight);
            }
            terms.add(loss);
            weights.add(weight);
            return this;
        }

        public WeightedSumLoss build() {
            if (terms.isEmpty()) throw new IllegalArgumentException("WeightedSumLoss: add at least one term");
            float[] w = new float[weights.size()];
            for (int i = 0; i < w.length; i++) w[i] = weights.get(i);
            return new WeightedSumLoss(terms, w);
        }
    }
}
