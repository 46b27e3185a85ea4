package org.segloss.loss;

import org.segloss.autograd.Ctx;
import org.segloss.autograd.Function;
import org.segloss.autograd.MultiFunction;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.SoftmaxSums;
import org.segloss.tensor.SoftmaxSums.Terms;
import org.segloss.tensor.SoftmaxSums.Total;
import org.segloss.tensor.Tensor;

/**
 * The region statistics of the losses, in one place: the per-class sums of the overlap losses
 * (Dice, Jaccard, Tversky, focal Tversky, generalized Dice, the Dice term of ExpLog), the boundary
 * loss's weighted sum and the generalised Wasserstein Dice loss's confusion sums.
 *
 * <p>Two paths give the same statistics. The fused path (SOFTMAX, hard targets) runs the
 * {@link SoftmaxSums} kernels over the logits as differentiable ops ({@link FusedSums},
 * {@link ConfusionSums}): the softmax is computed once per step (kept in the array of the
 * logits' gradient, which backward makes out of it in place; nothing full-size without a
 * gradient), and a label-map target is never one-hot encoded. The composed path ({@link #composed}) sums the prepared
 * probabilities and target with the general primitives: other activations and soft labels.
 */
final class RegionStatistics {
    private RegionStatistics() {}

    /**
     * G = Σ g over the statistic axes ({@code [B, C']}, or {@code [C']} with batch) of a hard
     * target; equal to Σ g² and to {@code p.target().sum(axes)}. From a label map it counts the
     * labels, so the one-hot target is never made (exact while a class has fewer than 2^24
     * voxels per sample).
     */
    static Tensor targetSums(SegmentationLoss loss, Prepared p, boolean batch) {
        if (p.labels() == null || loss.softLabel) return p.target().sum(p.statisticAxes(batch), false);
        int c = p.input().shape().dim(1), off = p.channelOffset(), b = p.batch(), kept = c - off;
        Tensor counts = p.labels().classCounts(c, loss.ignoreIndex);   // [B, C]
        float[] out = new float[batch ? kept : b * kept];
        for (int k = 0; k < kept; k++) {
            double acc = 0;   // exact integers: the order does not matter
            for (int n = 0; n < b; n++) {
                float v = counts.at(n * c + off + k);
                if (batch) acc += v;
                else out[n * kept + k] = v;
            }
            if (batch) out[k] = (float) acc;
        }
        return batch ? Tensor.wrap(out, kept) : Tensor.wrap(out, b, kept);
    }

    /**
     * Whether the fused softmax statistics ({@link #fusedSums}) apply: SOFTMAX activation and
     * hard (one-hot) targets. Other activations and soft labels keep the composed path.
     */
    static boolean fused(SegmentationLoss loss) {
        return loss.activation == Activation.SOFTMAX && !loss.softLabel;
    }

    /**
     * The fused softmax region statistics ({@link FusedSums}) over the kept classes:
     * {@code I = Σ p g}, then {@code P = Σ p} and {@code Q = Σ p²} as listed in {@code totals}, each
     * {@code [B, C']}, or {@code [C']} summed over the batch when {@code batch}. The statistics
     * are made for all C channels (the softmax needs them all) and the background is dropped
     * afterwards. Only when {@link #fused}.
     */
    static Var[] fusedSums(SegmentationLoss loss, Prepared p, boolean batch, Total... totals) {
        Var[] s = FusedSums.of(p.input(), fusedTerms(loss, p, totals));
        p.finiteChecked();
        return keptClasses(s, p, batch);
    }

    /**
     * The {@link Terms} of {@link #fusedSums}: the labels (or the full target's maps), rejecting
     * non-finite logits when the input's finiteness check is pending, over the valid voxels, with
     * the totals. The caller that runs them marks the check made ({@link Prepared#finiteChecked}).
     */
    static Terms fusedTerms(SegmentationLoss loss, Prepared p, Total... totals) {
        Terms terms = p.labels() != null
                ? Terms.labels(p.labels(), loss.ignoreIndex)
                : Terms.weightedBy(p.fullTarget());
        if (p.finiteCheckPending()) terms = terms.rejectingNonFinite(loss.name());   // checked chunk by chunk in the pass
        return terms.masked(p.valid()).plus(totals);
    }

    /** Slabs {@code [B, C]} of all C classes cut to the kept ones, {@code [B, C']}, and summed over the batch when batch ({@code [C']}). */
    static Var[] keptClasses(Var[] s, Prepared p, boolean batch) {
        int c = p.input().shape().dim(1);
        for (int i = 0; i < s.length; i++) {
            if (p.channelOffset() != 0) s[i] = s[i].slice(1, p.channelOffset(), c);
            if (batch) s[i] = s[i].sum(0);
        }
        return s;
    }

    /**
     * The region statistics of the overlap losses (Dice, Jaccard, Tversky, generalized Dice, the
     * Dice term of ExpLog), each {@code [B, C']} per sample, or {@code [C']} when {@code batch}
     * pools the sums over the batch too, over the kept classes and the valid voxels:
     * <pre>
     *   intersection  I = Σ p g
     *   predSum       P = Σ p, or Σ p² when squaredPred
     *   targetSum     G = Σ g, or Σ g² when squaredPred (a constant: no gradient)
     * </pre>
     * Each loss keeps its own formula and epsilon placement on top of these.
     */
    record Sums(Var intersection, Var predSum, Tensor targetSum) {}

    /**
     * {@link Sums} by the fastest exact route. When {@link #fused} (SOFTMAX, hard
     * targets) I and P come from one fused pass over the logits ({@link #fusedSums}: no full-size
     * array but the gradient's, and a label-map target is never one-hot encoded),
     * with G the label counts of that same pass ({@link Total#LABEL_COUNTS}) or, for a one-hot
     * tensor target, from {@link #targetSums}; for a hard target Σ g² = Σ g. Otherwise they are composed
     * from {@link Prepared#probs()} and {@link Prepared#target()} ({@link #composed}): other
     * activations and soft labels. With {@code softLabel} the composed intersection is MONAI's
     * soft-label form (see {@link #composed}).
     *
     * @param squaredPred P = Σ p² and G = Σ g² (V-Net) instead of Σ p and Σ g
     * @param batch       pool the sums over the batch: {@code [C']} instead of {@code [B, C']}
     */
    static Sums of(SegmentationLoss loss, Prepared p, boolean squaredPred, boolean batch) {
        return of(loss, p, squaredPred, batch, loss.softLabel);
    }

    /**
     * As {@link #of(SegmentationLoss, Prepared, boolean, boolean)}, with the composed intersection's form
     * chosen by {@code softIntersection} rather than by {@code softLabel} (JaccardLoss keeps
     * {@code Σ p g} for soft labels too).
     */
    static Sums of(SegmentationLoss loss, Prepared p, boolean squaredPred, boolean batch, boolean softIntersection) {
        if (fused(loss)) {
            Total pred = squaredPred ? Total.SQUARES : Total.PROBABILITIES;
            if (p.labels() == null) {
                Var[] st = fusedSums(loss, p, batch, pred);
                return new Sums(st[0], st[1], targetSums(loss, p, batch));
            }
            // a label map: G = the class counts over the valid voxels, counted in the same pass
            // (the mask is the labels' own ignore mask, so this equals classCounts)
            Var[] st = fusedSums(loss, p, batch, pred, Total.LABEL_COUNTS);
            return new Sums(st[0], st[1], st[2].value());
        }
        return composed(p, squaredPred, batch, softIntersection);
    }

    /**
     * The region statistics composed from the general primitives on the prepared probabilities
     * and target (ignored voxels are already zero in both), summed over
     * {@link Prepared#statisticAxes}. With {@code softIntersection},
     * {@code I = (Σ p^q + Σ g^q - Σ |p - g|^q) / 2} (q = 2 when squaredPred, else 1; MONAI
     * #8094), which equals Σ p g for one-hot targets and makes {@code p = g} the optimum for soft
     * ones; otherwise {@code I = Σ p g}.
     */
    static Sums composed(Prepared p, boolean squaredPred, boolean batch, boolean softIntersection) {
        int[] axes = p.statisticAxes(batch);
        Var probs = p.probs();
        Tensor g = p.target();
        Var predSum = squaredPred ? probs.square().sum(axes) : probs.sum(axes);
        Tensor targetSum = squaredPred ? g.square().sum(axes, false) : g.sum(axes, false);
        Var inter;
        if (softIntersection) {
            Var diff = probs.sub(g);
            Var diffNorm = squaredPred ? diff.square().sum(axes) : diff.abs().sum(axes);
            inter = predSum.add(targetSum).sub(diffNorm).mul(0.5f);
        } else {
            inter = probs.mul(g).sum(axes);
        }
        return new Sums(inter, predSum, targetSum);
    }

    /**
     * {@code Σ_i softmax_c(x)[b, c, i] · w[b, c, i]} as {@code [B, C]}, for a constant map w of the
     * logits' shape (the boundary loss's φ): one kernel pass per chunk each way
     * ({@code Kernels.softmaxWeightedSums} and its backward). Gradient:
     * {@code gx = p ⊙ (dS·w - Σ_c p_c dS_c w_c)}.
     *
     * @param finiteCheck null, or the loss's name under which NaN or infinite logits are rejected in the pass
     */
    static Var weightedSum(Var logits, Tensor map, String finiteCheck) {
        Terms terms = Terms.weightedBy(map);
        return FusedSums.of(logits, finiteCheck == null ? terms : terms.rejectingNonFinite(finiteCheck))[0];
    }

    /**
     * The confusion sums {@code S [B, C, C]} of the logits {@code [B, C, *spatial]} and the label
     * map ({@link ConfusionSums}).
     */
    static Var confusionSums(Var logits, LabelTensor labels, int ignoreIndex) {
        return new ConfusionSums(labels, ignoreIndex, null).apply(logits);
    }

    /**
     * {@link #confusionSums(Var, LabelTensor, int)} on the prepared input of {@code loss}: when the
     * input's finiteness check is pending it is made in the same pass.
     */
    static Var confusionSums(SegmentationLoss loss, Prepared p, LabelTensor labels, int ignoreIndex) {
        String check = p.finiteCheckPending() ? loss.name() : null;
        Var s = new ConfusionSums(labels, ignoreIndex, check).apply(p.input());
        p.finiteChecked();
        return s;
    }

    /**
     * Class sums of softmax probabilities as one differentiable op (a custom {@link MultiFunction}
     * over {@link SoftmaxSums#classSums}): input logits {@code x [B, C, *spatial]}, outputs
     * {@code [B, C]} each, with {@code p = softmax_c(x)} and {@code m} the valid mask:
     * <pre>
     *   I = Σ_i m p g      (the intersection; g the constant one-hot target, all C channels)
     *   P = Σ_i m p        (with Total.PROBABILITIES)
     *   Q = Σ_i (m p)²     (with Total.SQUARES)
     * </pre>
     * in that order ({@link Terms} may give any number of constant maps in place of g).
     * Backward from dI, dP, dQ: {@code gp_c = m (dI_c g_c + dP_c + 2 dQ_c p_c)},
     * {@code gx = p ⊙ (gp - Σ_c p_c gp_c)}. When the logits need a gradient, forward writes p into
     * the array of that gradient ({@link Ctx#gradientOutput}: new, or the one the leaf recycled) and
     * backward turns it into the gradient in place, as a hand-written C kernel would: one
     * exponential per logit and step, and no other full-size array. Without a gradient nothing
     * full-size is made. Statistics cover all C channels: callers drop the background afterwards.
     */
    static final class FusedSums extends MultiFunction {
        private final Terms terms;

        FusedSums(Terms terms) {
            this.terms = terms;
        }

        /** The slabs of {@code terms} (the labels' or maps' weighted sums, then P, then Q), each {@code [B, C]}. */
        static Var[] of(Var logits, Terms terms) {
            return new FusedSums(terms).applyAll(logits);
        }

        @Override
        protected Tensor[] forwardAll(Ctx ctx, Tensor... in) {
            Tensor x = in[0];
            Tensor all;                                        // [M, B, C]
            if (ctx.needsInputGrad(0)) {
                // the softmax is kept in the gradient's array and turned into the gradient there by backward
                Tensor p = ctx.gradientOutput(0);
                all = SoftmaxSums.classSums(x, terms, p);
                ctx.saveForBackward(p);
            } else {
                all = SoftmaxSums.classSums(x, terms);
            }
            return slabOutputs(ctx, terms, all, 0);
        }

        @Override
        protected Tensor[] backwardAll(Ctx ctx, Tensor... gradOutputs) {
            if (!ctx.needsInputGrad(0)) return new Tensor[] {null};
            Tensor p = ctx.saved(0);                           // softmax of the logits, [B, C, *spatial]
            Tensor grads = slabGradients(gradOutputs, gradOutputs.length, p.dim(0), p.dim(1));
            ctx.handOverGradient(0);   // p's array came from gradientOutput: new or recycled, nobody else holds it
            return new Tensor[] {SoftmaxSums.classSumsBackwardFromSoftmax(p, terms, grads)};
        }

        /**
         * The outputs of a class-sums op: the slabs of {@code all [M, B, C]} as {@code [B, C]}
         * tensors, then {@code extra} more outputs for the caller to fill; the label counts' slab
         * (the last, with Total.LABEL_COUNTS) is marked non-differentiable (a constant).
         */
        static Tensor[] slabOutputs(Ctx ctx, Terms terms, Tensor all, int extra) {
            int m = all.dim(0), b = all.dim(1), c = all.dim(2);
            Tensor[] out = new Tensor[m + extra];
            for (int q = 0; q < m; q++) out[q] = all.slice(0, q, q + 1).reshape(b, c);
            if (terms.totals().contains(Total.LABEL_COUNTS)) ctx.markNonDifferentiable(m - 1);   // constant counts, the last slab
            return out;
        }

        /** The gradients of the first m outputs ({@code [B, C]} each, null: 0) as one {@code [M, B, C]} tensor. */
        static Tensor slabGradients(Tensor[] gradOutputs, int m, int b, int c) {
            float[] g = new float[m * b * c];
            for (int q = 0; q < m; q++) {
                if (gradOutputs[q] == null) continue;   // the label counts' slab: no gradient (left 0)
                for (int i = 0; i < b * c; i++) g[q * b * c + i] = gradOutputs[q].at(i);
            }
            return Tensor.wrap(g, m, b, c);
        }
    }

    /**
     * The softmax confusion sums as one differentiable op (a custom {@link Function} over
     * {@link SoftmaxSums#confusionSums}): input logits {@code x [B, C, *spatial]}, constant labels
     * {@code y [B, *spatial]}, output {@code [B, C, C]}
     * <pre>
     *   S[b, c, l] = Σ_i [y_bi = c] · softmax_l(x)[b, l, i]       (ignored voxels count for no c)
     * </pre>
     * the predicted mass of class l over the voxels labelled c. These are sufficient statistics for
     * every loss that is a function of per-voxel terms {@code f(y_i, p_i)} linear in p_i with
     * coefficients chosen by the label (the generalised Wasserstein Dice loss: W_i = Σ_l M[y_i, l] p_il).
     * Backward from {@code G = dL/dS}: {@code gp_l = G[b, y_i, l]} (0 at ignored voxels),
     * {@code gx = p ⊙ (gp − Σ_l p_l gp_l)}, p kept by forward in the array of the logits' gradient
     * ({@link Ctx#gradientOutput}) and turned into the gradient in place.
     */
    static final class ConfusionSums extends Function {
        private final LabelTensor labels;
        private final int ignoreIndex;
        private final String finiteCheck;

        /**
         * @param labels      {@code [B, *spatial]}, values in [0, C) or {@code ignoreIndex}
         * @param ignoreIndex the label of ignored voxels (any value outside [0, C) when none)
         * @param finiteCheck null, or the loss's name under which NaN or infinite logits are rejected in the pass
         */
        ConfusionSums(LabelTensor labels, int ignoreIndex, String finiteCheck) {
            if (labels == null) throw new IllegalArgumentException("ConfusionSums: labels must not be null");
            this.labels = labels;
            this.ignoreIndex = ignoreIndex;
            this.finiteCheck = finiteCheck;
        }

        /** As {@link #ConfusionSums(LabelTensor, int, String)} without the finiteness check. */
        ConfusionSums(LabelTensor labels, int ignoreIndex) {
            this(labels, ignoreIndex, null);
        }

        @Override
        protected Tensor forward(Ctx ctx, Tensor... in) {
            Tensor x = in[0];
            if (!ctx.needsInputGrad(0)) return SoftmaxSums.confusionSums(x, labels, ignoreIndex, null, finiteCheck);
            // the softmax is kept in the gradient's array and turned into the gradient there by backward
            Tensor p = ctx.gradientOutput(0);
            Tensor s = SoftmaxSums.confusionSums(x, labels, ignoreIndex, p, finiteCheck);
            ctx.saveForBackward(p);
            return s;
        }

        @Override
        protected Tensor[] backward(Ctx ctx, Tensor g) {
            if (!ctx.needsInputGrad(0)) return new Tensor[] {null};
            ctx.handOverGradient(0);   // p's array came from gradientOutput: new or recycled, nobody else holds it
            return new Tensor[] {SoftmaxSums.confusionSumsBackwardFromSoftmax(ctx.saved(0), labels, ignoreIndex, g)};
        }
    }
}
