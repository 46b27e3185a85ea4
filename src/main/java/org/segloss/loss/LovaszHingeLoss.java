package org.segloss.loss;

import java.util.Arrays;
import org.segloss.autograd.Ctx;
import org.segloss.autograd.Function;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;
import org.segloss.tensor.kernel.Parallel;

/**
 * Lovász hinge loss: the Lovász extension of the foreground Jaccard loss applied to hinge errors
 * of binary logits.
 *
 * <p>Paper: Berman, Rannen Triki, Blaschko, "The Lovász-Softmax loss: a tractable surrogate for
 * the optimization of the intersection-over-union measure in neural networks", CVPR 2018,
 * arXiv 1705.08790, Sec. 3 and Alg. 1 (spec/losses/lovasz.md). Adapted from
 * {@code bermanmaxim/LovaszSoftmax} @ 7d48792, {@code pytorch/lovasz_losses.py}
 * ({@code lovasz_hinge}, {@code lovasz_hinge_flat}, {@code lovasz_grad}).
 *
 * <p>For one unit (one image by default, or the whole batch), over its n valid voxels with logit
 * x_i and label t_i ∈ {0, 1}, sign σ_i = 2 t_i - 1:
 * <pre>
 *   e_i = 1 - x_i σ_i                          hinge errors, sorted decreasingly (ties by position)
 *   loss = Σ_k relu(e_π(k)) g_k                g = the Lovász gradient of the sorted labels,
 *                                              see {@link LovaszSoftmaxLoss} (Alg. 1)
 *   ∂loss/∂x_i = -σ_i g_rank(i) [e_i > 0]      (relu'(0) = 0; the permutation is a constant)
 * </pre>
 * The sort is on the unclipped errors (relu is monotone, so the order is the same). Empty
 * foreground (G = 0): g = [1, 0, ...], the loss is relu(max_i e_i). The tie rule and the
 * subgradient at ties are those of {@link LovaszSoftmaxLoss}: equal errors in increasing voxel
 * position; the value does not depend on it.
 *
 * <p>Layout: the reference takes one logit per pixel {@code [B, H, W]}; segloss's losses take
 * {@code [B, C, *spatial]}, so the input here is {@code [B, 1, *spatial]} (2-D or 3-D; reshape a
 * channel-less {@code [B, *spatial]} with {@code Var.reshape}, which also reshapes the gradient
 * back). Raw logits, no activation ({@link #activation()} reports NONE). Target: labels
 * {@code [B, *spatial]} (or {@code [B, 1, *spatial]}) in {0, 1} or {@code ignoreIndex}; the tensor
 * form {@code [B, 1, *spatial]} holds the same values as floats. −1/+1 labels are rejected.
 *
 * <p>Reduction: {@code perImage} (default true, as the reference's {@code lovasz_hinge}): MEAN
 * over the images (an image with every voxel ignored counts as 0), SUM over the images, NONE
 * {@code [B]}; with {@code perImage(false)} one unit: NONE gives {@code [1]}. No class weights,
 * no background option (one foreground channel).
 */
public final class LovaszHingeLoss extends SegmentationLoss {
    private final boolean perImage;

    private LovaszHingeLoss(Builder b) {
        super(b);
        this.perImage = b.perImage;
    }

    public static Builder builder() { return new Builder(); }

    /** The reference's defaults: per image, mean, no ignore index. */
    public static LovaszHingeLoss create() { return builder().build(); }

    public boolean perImage() { return perImage; }

    /**
     * The hinge's own checks: one logit channel, labels 0/1 (or ignoreIndex); the target becomes
     * the foreground indicator {@code [B, 1, *spatial]} (0 at ignored voxels) and {@code probs}
     * is the raw input.
     */
    @Override
    protected Prepared prepare(Var input, LabelTensor labels, Tensor target) {
        String n = name();
        Shape in = input.shape();
        if (in.rank() != 4 && in.rank() != 5) {
            throw new IllegalArgumentException(n + ": input must be logits [B, 1, H, W] or [B, 1, D, H, W], got " + in
                    + (in.rank() == 3 ? " (a channel-less [B, H, W]: reshape it to [B, 1, H, W])" : ""));
        }
        if (in.dim(1) != 1) {
            throw new IllegalArgumentException(n + ": input must have one logit channel [B, 1, *spatial], got " + in
                    + " (C >= 2 classes: use LovaszSoftmaxLoss)");
        }
        if (in.size() == 0) throw new IllegalArgumentException(n + ": input must not be empty, got " + in);
        if (checkFinite && !input.value().isFinite()) {
            throw new IllegalArgumentException(n + ": input contains NaN or infinity (shape " + in + ")");
        }
        int[] values;
        if (labels != null) {
            Shape expected = in.remove(1);
            Shape ls = labels.shape();
            if (ls.equals(in)) {
                labels = labels.reshape(expected.dims());
            } else if (!ls.equals(expected)) {
                throw new IllegalArgumentException(n + ": label-map target must be [B, *spatial] = " + expected
                        + " for input " + in + ", got " + ls);
            }
            values = labels.toArray();
        } else {
            if (!target.shape().equals(in)) {
                throw new IllegalArgumentException(n + ": tensor target must have the input's shape " + in
                        + " (0/1 labels as floats), got " + target.shape());
            }
            float[] t = target.toArray();
            values = new int[t.length];
            for (int i = 0; i < t.length; i++) {
                values[i] = (int) t[i];
                if (values[i] != t[i]) {
                    throw new IllegalArgumentException(n + ": target labels must be 0 or 1" + ignoreText() + ", got " + t[i]
                            + " at flat index " + i);
                }
            }
        }
        float[] fg = new float[values.length], mask = null;
        for (int i = 0; i < values.length; i++) {
            int v = values[i];
            if (v == ignoreIndex) {
                if (mask == null) {
                    mask = new float[values.length];
                    Arrays.fill(mask, 1f);
                }
                mask[i] = 0f;
            } else if (v == 0 || v == 1) {
                fg[i] = v;
            } else {
                throw new IllegalArgumentException(n + ": labels must be 0 or 1 (background / foreground)" + ignoreText()
                        + ", got " + v + " at flat index " + i + (v == -1 ? " (-1/+1 labels: map -1 to 0)" : ""));
            }
        }
        int[] dims = in.dims();
        Tensor valid = mask == null ? null : Tensor.wrap(mask, dims);
        LabelTensor lab = LabelTensor.of(values, in.remove(1).dims());
        return new Prepared(input, Tensor.wrap(fg, dims), valid, lab, input, 0);
    }

    private String ignoreText() {
        return ignoreIndex != NO_IGNORE ? " or ignoreIndex " + ignoreIndex : "";
    }

    @Override
    protected Var compute(Prepared p) {
        Var values = new HingeTerms(p.target(), p.valid(), perImage).apply(p.input());   // [U]
        return switch (reduction) {
            case NONE -> values;
            case SUM -> values.sum();
            case MEAN -> values.mean();
        };
    }

    /**
     * The Lovász hinge of each unit with a hand-written backward: logits {@code [B, 1, *spatial]}
     * to values {@code [U]} (U = B with perImage, else 1). The foreground indicator and the valid
     * mask (both {@code [B, 1, *spatial]}, the mask null when all voxels count) are constants.
     */
    static final class HingeTerms extends Function {
        private static final Ctx.Key<float[]> LOGIT_GRADIENTS = new Ctx.Key<>("logit gradients");

        private final Tensor target, valid;
        private final boolean perImage;

        HingeTerms(Tensor target, Tensor valid, boolean perImage) {
            this.target = target;
            this.valid = valid;
            this.perImage = perImage;
        }

        @Override
        public String name() { return "LovaszHinge"; }

        @Override
        protected Tensor forward(Ctx ctx, Tensor... in) {
            Tensor x = in[0];
            int b = x.dim(0), s = x.size() / b;
            int units = perImage ? b : 1, images = perImage ? 1 : b;
            float[] values = new float[units];
            float[] dx = ctx.needsInputGrad(0) ? new float[x.size()] : null;   // dLoss_u/dx, 0 at ignored voxels
            Parallel.forEach(units, u -> {
                int first = u * images * s, end = first + images * s;
                long[][] scratch = LovaszSort.scratch(end - first);
                long[] items = scratch[0];
                int[] prefix = LovaszSort.prefixCounts();          // the buckets of the scatter are planned from it
                int n = 0, g = 0, or = 0, and = -1;
                for (int i = first; i < end; i++) {
                    if (valid != null && valid.at(i) == 0f) continue;
                    boolean f = target.at(i) > 0.5f;
                    float xi = x.at(i);
                    int key = LovaszSoftmaxLoss.errorKey(f ? 1f - xi : 1f + xi);   // e = 1 - x σ
                    items[n++] = LovaszSort.item(key, i, f);                     // positions increase: the tie order
                    or |= key;
                    and &= key;
                    g += f ? 1 : 0;
                    prefix[key >>> LovaszSort.PREFIX_SHIFT]++;
                }
                if (n == 0) return;                                  // every voxel ignored: 0
                values[u] = (float) LovaszSort.lovasz(items, scratch[1], n, or, and, prefix, g, true, dx);   // dx = -σ g [e > 0]
            });
            if (dx != null) ctx.save(LOGIT_GRADIENTS, dx);
            return Tensor.wrap(values, units);
        }

        @Override
        protected Tensor[] backward(Ctx ctx, Tensor g) {
            float[] d = ctx.saved(LOGIT_GRADIENTS);
            int b = target.dim(0), s = d.length / b;
            // scaled in d's own array: backward runs once per graph (the Ctx is freed right after)
            Parallel.forEach(b, bi -> {
                float scale = g.at(perImage ? bi : 0);
                for (int i = bi * s, end = i + s; i < end; i++) d[i] = scale * d[i];
            });
            return new Tensor[] {Tensor.wrap(d, target.shape().dims())};
        }
    }

    /** Options of {@link LovaszHingeLoss}, with the reference's defaults. */
    public static final class Builder extends SegmentationLoss.Builder<Builder> {
        boolean perImage = true;

        Builder() { activation = Activation.NONE; }   // raw logits: nothing is applied

        /** Per image, then the mean over the images (default true); false: the batch is one set. */
        public Builder perImage(boolean v) { perImage = v; return this; }

        /** Only NONE: the hinge takes raw logits (scores), no activation applies. */
        @Override
        public Builder activation(Activation a) {
            if (a != Activation.NONE) {
                throw new IllegalArgumentException("LovaszHingeLoss: activation must be NONE (the hinge takes raw logits), got " + a);
            }
            return super.activation(a);
        }

        public LovaszHingeLoss build() {
            if (!includeBackground) {
                throw new IllegalArgumentException("LovaszHingeLoss: includeBackground must be true (one foreground logit"
                        + " channel, nothing to drop), got false");
            }
            if (softLabel) throw new IllegalArgumentException("LovaszHingeLoss: softLabel must be false (labels 0 or 1), got true");
            if (weight != null) {
                throw new IllegalArgumentException("LovaszHingeLoss: weight is not supported (one class), got " + Arrays.toString(weight));
            }
            if (ignoreIndex == 0 || ignoreIndex == 1) {
                throw new IllegalArgumentException("LovaszHingeLoss: ignoreIndex must differ from the labels 0 and 1, got "
                        + ignoreIndex);
            }
            return new LovaszHingeLoss(this);
        }
    }
}
