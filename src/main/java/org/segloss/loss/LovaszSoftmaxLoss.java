package org.segloss.loss;

import java.util.Arrays;
import java.util.List;
import org.segloss.autograd.Ctx;
import org.segloss.autograd.GradientOps;
import org.segloss.autograd.MultiFunction;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;
import org.segloss.tensor.kernel.Parallel;

/**
 * Lovász-Softmax loss: the Lovász extension of the Jaccard (IoU) loss of each class, applied to
 * the per-voxel errors of the softmax probabilities.
 *
 * <p>Paper: Berman, Rannen Triki, Blaschko, "The Lovász-Softmax loss: a tractable surrogate for
 * the optimization of the intersection-over-union measure in neural networks", CVPR 2018,
 * arXiv 1705.08790, Sec. 3 and Alg. 1 (spec/losses/lovasz.md). Adapted from
 * {@code bermanmaxim/LovaszSoftmax} @ 7d48792, {@code pytorch/lovasz_losses.py}
 * ({@code lovasz_softmax}, {@code lovasz_softmax_flat}, {@code lovasz_grad}).
 *
 * <p>For one unit (the whole batch, or one image with {@code perImage}) and one class c, over the
 * n valid voxels i of the unit:
 * <pre>
 *   e_i = |[y_i = c] - p_{c,i}|                       errors (1 - p for the true class, else p)
 *   π   : e_π(1) >= e_π(2) >= ... >= e_π(n)          decreasing order, ties by increasing position
 *   G = Σ_i [y_i = c],  F_k = Σ_{j&lt;=k} [y_π(j) = c],  N_k = k - F_k
 *   J_k = 1 - (G - F_k) / (G + N_k)                   Jaccard loss of the first k errors (Alg. 1)
 *   g_1 = J_1,  g_k = J_k - J_{k-1}                   the Lovász gradient, a function of the labels only
 *   loss_c = Σ_k e_π(k) g_k                           the Lovász extension of the Jaccard loss
 * </pre>
 * {@code G + N_k >= 1}, so there is no division by zero; an absent class (G = 0) has
 * {@code g = [1, 0, ...]} and costs its largest error. On 0/1 errors (a one-hot prediction)
 * {@code loss_c} is exactly {@code 1 - IoU_c}.
 *
 * <p>Gradient (spec/losses/lovasz.md#gradient-hand-written-public-custom-function-api): inside a region where π is fixed the loss is linear, so
 * {@code ∂loss_c/∂e_π(k) = g_k}; with {@code ∂e_i/∂p_{c,i} = -1} for the true class and +1
 * otherwise, {@code ∂loss_c/∂p_{c,i} = ∓ g_{rank(i)}}. segloss computes π and g in the forward
 * and writes this backward by hand ({@link MultiFunction}); the softmax's chain rule follows from
 * the autograd. The permutation is a constant: at tied errors this is a subgradient. <b>Tie
 * rule:</b> equal errors are ordered by increasing voxel position (flat index over the unit's
 * images, batch-major), i.e. a stable descending sort. The loss value does not depend on the order
 * of ties (the sum telescopes over equal errors); the subgradient does.
 *
 * <p>Reduction: the mean over the selected classes of each unit, then the plain mean over the
 * units (an image with no valid voxel, or no selected class, counts as 0 in that mean, as in the
 * reference). SUM adds the selected classes' values over all units. NONE returns the per-class
 * values {@code [C']} ({@code [B, C']} with {@code perImage}), indexed by kept channel (class id
 * minus 1 without background); classes that are not selected hold 0 with zero gradient, so MEAN
 * is not the plain mean of the NONE output when a class is unselected.
 *
 * <p>Classes: {@link Classes#PRESENT} (default) selects the classes that occur among the unit's
 * valid voxels, {@link Classes#ALL} every kept class, {@code classes(int...)} exactly the listed
 * class ids (present or not; ids are checked against C on each call).
 *
 * <p>Input {@code [B, C, *spatial]} logits (SOFTMAX, default) or probabilities (NONE, checked to
 * lie in [0, 1] and to sum to 1 over the channels within {@code probabilitySumTolerance});
 * SIGMOID is rejected (the loss needs mutually exclusive class probabilities; for one binary
 * channel use {@link LovaszHingeLoss}). Target: a label map {@code [B, *spatial]} or one-hot
 * {@code [B, C, *spatial]}. No class weights and no soft labels.
 *
 * <p>Edge cases: every voxel ignored gives 0 with a zero gradient, still a graph node (the
 * reference returns an empty tensor); a single valid voxel works (the reference mis-shapes it);
 * PRESENT with no selected class gives 0.
 *
 * <p>Cost: one sort per (unit, class). Each error becomes a 64-bit item (order-preserving key,
 * position, foreground bit) whose unsigned order is the tie rule itself; {@link LovaszSort} writes
 * the items into buckets of neighbouring 16-bit key prefixes in one pass over memory (planned from
 * a prefix histogram counted in a first pass over the errors), then sorts each bucket in cache, and
 * walks every bucket while it is still there (no boxing, no gather through a permutation, per
 * thread scratch). A label-map target is read as it is: no one-hot tensor is built. Units and
 * classes run in parallel on {@link Parallel#forEach}, each writing its own outputs, so results do
 * not depend on the thread count.
 */
public final class LovaszSoftmaxLoss extends SegmentationLoss {

    /** Which classes enter the mean. */
    public enum Classes {
        /** The classes present among the valid voxels of the unit (batch, or image with perImage). */
        PRESENT,
        /** Every kept class; an absent class contributes its largest error. */
        ALL,
        /** Exactly the ids given to {@link Builder#classes(int...)}. */
        LIST
    }

    private final Classes classes;
    private final int[] classIds;   // LIST only, else null
    private final boolean perImage;
    private final float probabilitySumTolerance;
    /** The softmax and the probabilities' gradient of the fused path, handed back by each backward to the next forward. */
    private final SpareBuffer probabilitySpare = new SpareBuffer(), gradientSpare = new SpareBuffer();

    private LovaszSoftmaxLoss(Builder b) {
        super(b);
        this.classes = b.classes;
        this.classIds = b.classIds == null ? null : b.classIds.clone();
        this.perImage = b.perImage;
        this.probabilitySumTolerance = b.probabilitySumTolerance;
    }

    public static Builder builder() { return new Builder(); }

    /** The reference's defaults: softmax, classes present, over the whole batch, mean. */
    public static LovaszSoftmaxLoss create() { return builder().build(); }

    public Classes classes() { return classes; }

    /** The class ids of {@link Classes#LIST}, else null. */
    public int[] classIds() { return classIds == null ? null : classIds.clone(); }

    public boolean perImage() { return perImage; }

    public float probabilitySumTolerance() { return probabilitySumTolerance; }

    @Override
    protected Var compute(Prepared p) {
        String n = name();
        Tensor raw = p.input().value();                          // [B, C, *spatial]
        int c = raw.dim(1);
        if (activation == Activation.NONE) requireRowsSumToOne(n, raw, p.valid());
        int kept = p.classes();
        boolean[] listed = new boolean[kept];                     // over kept channels
        if (classes == Classes.LIST) {
            for (int id : classIds) {
                if (id >= c) {
                    throw new IllegalArgumentException(n + ": classes must be class ids in [0, C) = [0, " + c + ") for input "
                            + raw.shape() + ", got " + id + " in " + Arrays.toString(classIds));
                }
                if (id < p.channelOffset()) {
                    throw new IllegalArgumentException(n + ": classes lists class 0, but includeBackground=false drops it; got "
                            + Arrays.toString(classIds));
                }
                listed[id - p.channelOffset()] = true;
            }
        } else {
            Arrays.fill(listed, true);
        }

        // a label map is read as it is (class id = kept channel + offset): no full-size one-hot target
        Var[] out;
        if (activation == Activation.SOFTMAX && p.labels() != null && p.valid() == null && p.channelOffset() == 0) {
            // the softmax inside the op: its output and the probabilities' gradient in buffers
            // reused from step to step, the logits' gradient in the array they let go
            out = SoftmaxTerms.fromLogits(p.labels(), perImage, classes == Classes.PRESENT, listed, probabilitySpare, gradientSpare)
                    .applyAll(p.input());
        } else {
            SoftmaxTerms terms = p.labels() != null
                    ? new SoftmaxTerms(null, p.labels(), p.channelOffset(), p.valid(), perImage, classes == Classes.PRESENT, listed)
                    : new SoftmaxTerms(p.target(), p.valid(), perImage, classes == Classes.PRESENT, listed);
            out = terms.applyAll(p.probs());
        }
        Var values = out[0];                                      // [U, C'] per-class losses, 0 where unselected
        Tensor selected = out[1].value();                         // [U, C'] 1 where selected
        int units = selected.dim(0);
        return switch (reduction) {
            case NONE -> perImage ? values : values.reshape(kept);
            case SUM -> values.sum();
            case MEAN -> {
                // mean over the unit's selected classes, then over the units: a constant weight per item
                float[] w = new float[units * kept];
                for (int u = 0; u < units; u++) {
                    int count = 0;
                    for (int k = 0; k < kept; k++) count += selected.at(u * kept + k) > 0f ? 1 : 0;
                    for (int k = 0; k < kept; k++) {
                        w[u * kept + k] = count == 0 ? 0f : (float) (selected.at(u * kept + k) / ((double) count * units));
                    }
                }
                yield values.mul(Tensor.wrap(w, units, kept)).sum();
            }
        };
    }

    /** For NONE: every valid voxel's C probabilities must sum to 1 (a guard against logits in [0, 1]). */
    private void requireRowsSumToOne(String n, Tensor x, Tensor valid) {
        int b = x.dim(0), c = x.dim(1), s = x.size() / (b * c);
        for (int bi = 0; bi < b; bi++) {
            for (int i = 0; i < s; i++) {
                if (valid != null && valid.at(bi * s + i) == 0f) continue;
                double sum = 0;
                for (int k = 0; k < c; k++) sum += x.at((bi * c + k) * s + i);
                if (!(Math.abs(sum - 1.0) <= probabilitySumTolerance)) {
                    throw new IllegalArgumentException(n + ": activation NONE expects probabilities, got logits? The " + c
                            + " channels must sum to 1 (within probabilitySumTolerance " + probabilitySumTolerance
                            + "), got a sum of " + (float) sum + " at sample " + bi + ", voxel " + i);
                }
            }
        }
    }

    /**
     * The per-class Lovász terms of probabilities {@code [B, C', *spatial]} with a hand-written
     * backward. Outputs: the values {@code [U, C']} (U = B with perImage, else 1) and a
     * non-differentiable selection mask {@code [U, C']}. The target (either one-hot
     * {@code [B, C', *spatial]}, 0 at ignored voxels, or the label map {@code [B, *spatial]} with
     * the class id of kept channel k being k + labelOffset), the valid mask
     * {@code [B, 1, *spatial]} (null: all valid) and the options are constants.
     */
    static final class SoftmaxTerms extends MultiFunction {
        private static final Ctx.Key<float[]> PROBABILITY_GRADIENTS = new Ctx.Key<>("probability gradients");
        private static final Ctx.Key<int[]> PROBABILITY_SHAPE = new Ctx.Key<>("probability shape");
        private static final Ctx.Key<Tensor> PROBABILITIES = new Ctx.Key<>("probabilities");

        private final Tensor target, valid;
        private final LabelTensor labels;
        private final int labelOffset;
        private final boolean perImage, presentOnly;
        private final boolean[] listed;
        /** Non-null: the input is the logits {@code [B, C, *spatial]} and the op takes their softmax along C itself. */
        private final SpareBuffer probabilitySpare, gradientSpare;
        /** The fused path's softmax array, from forward to backward. */
        private float[] probabilityArray;

        /**
         * The terms of softmax(logits) for a label map with every voxel valid and every channel kept:
         * the input is the logits, the softmax along C is taken inside (into an array from
         * probabilitySpare) and backward returns the logits' gradient (softmax backward of the
         * probabilities' gradient, from gradientSpare, written into the array of
         * {@link Ctx#gradientOutput}), handing both arrays back. The same bits as this op on
         * {@code logits.softmax(1)} followed by the softmax's own backward.
         */
        static SoftmaxTerms fromLogits(LabelTensor labels, boolean perImage, boolean presentOnly, boolean[] listed,
                                       SpareBuffer probabilitySpare, SpareBuffer gradientSpare) {
            return new SoftmaxTerms(null, labels, 0, null, perImage, presentOnly, listed, probabilitySpare, gradientSpare);
        }

        /** With a one-hot target {@code [B, C', *spatial]}. */
        SoftmaxTerms(Tensor target, Tensor valid, boolean perImage, boolean presentOnly, boolean[] listed) {
            this(target, null, 0, valid, perImage, presentOnly, listed);
        }

        /** Exactly one of {@code target} and {@code labels} is non-null. */
        SoftmaxTerms(Tensor target, LabelTensor labels, int labelOffset, Tensor valid, boolean perImage, boolean presentOnly,
                     boolean[] listed) {
            this(target, labels, labelOffset, valid, perImage, presentOnly, listed, null, null);
        }

        private SoftmaxTerms(Tensor target, LabelTensor labels, int labelOffset, Tensor valid, boolean perImage, boolean presentOnly,
                             boolean[] listed, SpareBuffer probabilitySpare, SpareBuffer gradientSpare) {
            this.probabilitySpare = probabilitySpare;
            this.gradientSpare = gradientSpare;
            this.target = target;
            this.labels = labels;
            this.labelOffset = labelOffset;
            this.valid = valid;
            this.perImage = perImage;
            this.presentOnly = presentOnly;
            this.listed = listed;
        }

        @Override
        public String name() { return "LovaszSoftmax"; }

        @Override
        protected Tensor[] forwardAll(Ctx ctx, Tensor... in) {
            boolean fused = probabilitySpare != null;
            if (fused) probabilityArray = probabilitySpare.take(in[0].size());   // softmax writes every element
            Tensor probs = fused ? in[0].softmax(1, Tensor.wrap(probabilityArray, in[0].shape().dims())) : in[0];
            int b = probs.dim(0), kept = probs.dim(1), s = probs.size() / (b * kept);
            int units = perImage ? b : 1, images = perImage ? 1 : b;   // images per unit
            float[] values = new float[units * kept], selected = new float[units * kept];
            // dLoss_{u,c}/dp: the signed Lovász gradient scattered to the voxels; 0 at ignored voxels
            // and in the rows of unselected classes (a spare array holds a previous step's: those
            // rows are zeroed below, the walk writes every valid voxel of the others)
            float[] dp = !ctx.needsInputGrad(0) ? null : fused ? gradientSpare.take(probs.size()) : new float[probs.size()];
            Parallel.forEach(units * kept, t -> {
                int u = t / kept, c = t % kept;
                int first = u * images, id = c + labelOffset;
                if (!listed[c]) {
                    zeroRows(dp, first, images, kept, c, s);
                    return;
                }
                // pass 1: the key statistics (nothing written but the prefix counts)
                int[] prefix = LovaszSort.prefixCounts();         // the buckets of the scatter are planned from it
                int n = 0, g = 0, or = 0, and = -1;
                for (int bi = first; bi < first + images; bi++) {
                    int row = (bi * kept + c) * s, voxels = bi * s;     // (bi, c, 0) in [B, C', S]; (bi, 0) in [B, S]
                    for (int i = 0; i < s; i++) {
                        if (valid != null && valid.at(voxels + i) == 0f) continue;
                        long v = errorItem(probs, row, voxels, i, id);
                        int key = LovaszSort.itemKey(v);
                        n++;
                        or |= key;
                        and &= key;
                        g += (int) v & 1;
                        prefix[key >>> LovaszSort.PREFIX_SHIFT]++;
                    }
                }
                if (n == 0 || (presentOnly && g == 0)) {            // nothing valid, or an absent class: 0, not selected
                    zeroRows(dp, first, images, kept, c, s);
                    return;
                }
                long[][] scratch = LovaszSort.scratch(images * s);
                LovaszSort.Scatter plan = LovaszSort.Scatter.plan(n, or, and, prefix);
                // pass 2: the items again, in increasing position (the tie order): straight into their
                // prefix buckets when the plan allows, else in order for the general sort
                if (plan != null) {
                    long[] bucketed = scratch[1];
                    int[] cursor = plan.cursors();                     // indexed here, not through a call (LovaszSort.Scatter#cursors)
                    for (int bi = first; bi < first + images; bi++) {
                        int row = (bi * kept + c) * s, voxels = bi * s;
                        for (int i = 0; i < s; i++) {
                            if (valid != null && valid.at(voxels + i) == 0f) continue;
                            long v = errorItem(probs, row, voxels, i, id);
                            bucketed[cursor[LovaszSort.itemKey(v) >>> LovaszSort.PREFIX_SHIFT]++] = v;
                        }
                    }
                    values[t] = (float) plan.lovasz(bucketed, scratch[0], g, false, dp);
                } else {
                    long[] items = scratch[0];
                    int m = 0;
                    for (int bi = first; bi < first + images; bi++) {
                        int row = (bi * kept + c) * s, voxels = bi * s;
                        for (int i = 0; i < s; i++) {
                            if (valid != null && valid.at(voxels + i) == 0f) continue;
                            items[m++] = errorItem(probs, row, voxels, i, id);
                        }
                    }
                    values[t] = (float) LovaszSort.lovasz(items, scratch[1], n, or, and, prefix, g, false, dp);
                }
                selected[t] = 1f;
            });
            if (dp != null) {
                ctx.save(PROBABILITY_GRADIENTS, dp);
                ctx.save(PROBABILITY_SHAPE, probs.shape().dims());
                if (fused) ctx.save(PROBABILITIES, probs);
            } else if (fused) {
                probabilitySpare.give(probabilityArray);   // nothing reads the softmax after forward
                probabilityArray = null;
            }
            ctx.markNonDifferentiable(1);
            return new Tensor[] {Tensor.wrap(values, units, kept), Tensor.wrap(selected, units, kept)};
        }

        /**
         * The sort item of voxel i of row {@code (bi, c)} (flat {@code row + i} in [B, C', S],
         * {@code voxels + i} in [B, S]): its error {@code e = |[y = c] - p|} as the key, the
         * position {@code row + i} and whether {@code y = c} (the label {@code id}, or the one-hot
         * target).
         */
        private long errorItem(Tensor probs, int row, int voxels, int i, int id) {
            boolean f = labels != null ? labels.at(voxels + i) == id : target.at(row + i) > 0.5f;
            float pr = probs.at(row + i);
            return LovaszSort.item(errorKey(f ? 1f - pr : pr), row + i, f);
        }

        @Override
        protected Tensor[] backwardAll(Ctx ctx, Tensor... grads) {
            float[] dp = ctx.saved(PROBABILITY_GRADIENTS);
            Tensor g = grads[0];                                    // [U, C']
            int units = g.dim(0), kept = g.dim(1);
            int[] shape = ctx.saved(PROBABILITY_SHAPE);
            int rows = shape[0] * kept, s = dp.length / rows;
            // row r = (b, c) of [B, C', S]: dx = dLoss/dvalue[u(b), c] * dp, in dp's own array: backward
            // runs once per graph (the Ctx is freed right after), so nothing reads dp again
            Parallel.forEach(rows, r -> {
                int bi = r / kept, c = r % kept;
                float scale = g.at((perImage ? bi : 0) * kept + c);
                for (int i = r * s, end = i + s; i < end; i++) dp[i] = scale * dp[i];
            });
            if (probabilitySpare == null) return new Tensor[] {Tensor.wrap(dp, shape)};
            // the softmax's backward, as Primitives.Softmax runs it: into the array the logits let go
            Tensor probs = ctx.saved(PROBABILITIES);
            Tensor gx = GradientOps.softmaxBackward(probs, Tensor.wrap(dp, shape), 1, ctx.gradientOutput(0));
            ctx.handOverGradient(0);
            probabilitySpare.give(probabilityArray);   // backward runs once per graph: nothing reads either again
            probabilityArray = null;
            gradientSpare.give(dp);
            return new Tensor[] {gx};
        }

        /** Zeroes dp's rows (bi, c) of the unit's images (dp null: nothing). */
        private static void zeroRows(float[] dp, int first, int images, int kept, int c, int s) {
            if (dp == null) return;
            for (int bi = first; bi < first + images; bi++) Arrays.fill(dp, (bi * kept + c) * s, (bi * kept + c + 1) * s, 0f);
        }
    }

    /**
     * An error as a sort key: unsigned ascending order of keys is decreasing order of errors
     * (-0 and +0 are equal). Inverse: {@link #keyError}.
     */
    static int errorKey(float e) {
        int raw = Float.floatToRawIntBits(e + 0f);               // + 0f turns -0 into +0
        int signed = raw ^ ((raw >> 31) & 0x7fffffff);            // signed int order = float order
        return signed ^ 0x7fffffff;                               // flip: unsigned ascending = float descending
    }

    /** The error a key was made from. */
    static float keyError(int key) {
        int signed = key ^ 0x7fffffff;
        return Float.intBitsToFloat(signed ^ ((signed >> 31) & 0x7fffffff));
    }

    /**
     * The permutation that sorts {@code e[0..n)} decreasingly, equal errors by increasing index
     * (-0 equals +0): the order {@link LovaszSort} gives the errors of a unit.
     */
    static int[] argsortDescending(float[] e, int n) {
        long[][] scratch = {new long[n], new long[n]};
        int or = 0, and = -1;
        for (int m = 0; m < n; m++) {
            int k = errorKey(e[m]);
            scratch[0][m] = LovaszSort.item(k, m, false);
            or |= k;
            and &= k;
        }
        long[] sorted = LovaszSort.sort(scratch[0], scratch[1], n, or, and);
        int[] idx = new int[n];
        for (int m = 0; m < n; m++) idx[m] = LovaszSort.itemPosition(sorted[m]);
        return idx;
    }

    // ---- options (LossOption): declared once; the builder's defaults come from here ----

    /** present, all, or class ids; applied by the caller (a list becomes {@link Builder#classes(int...)}). */
    public static final LossOption<Builder, String> CLASSES = LossOption.choiceOrList("classes", LossOption.Kind.CHOICE_OR_INTEGERS,
            "present", List.of("present", "all"), LossOption.Range.NON_NEG, "class ids",
            "Classes averaged: present in the batch (or image), all kept, or these ids.");
    public static final LossOption<Builder, Boolean> PER_IMAGE = LossOption.bool("per-image", false,
            "Per image, then the mean over the images; false: the batch is one set.", Builder::perImage);
    public static final LossOption<SegmentationLoss.Builder<?>, Boolean> INCLUDE_BACKGROUND =
            SegmentationLoss.includeBackground(true, "reference default");
    /** Every option, in the order they are listed. */
    public static final List<LossOption<?, ?>> OPTIONS = List.of(CLASSES, PER_IMAGE, INCLUDE_BACKGROUND, SegmentationLoss.IGNORE_INDEX,
            SegmentationLoss.REDUCTION);

    /** Options of {@link LovaszSoftmaxLoss}, with the reference's defaults. */
    public static final class Builder extends SegmentationLoss.Builder<Builder> {
        Classes classes = Classes.valueOf(CLASSES.defaultText().toUpperCase(java.util.Locale.ROOT));
        int[] classIds;
        boolean perImage = PER_IMAGE.defaultBoolean();
        float probabilitySumTolerance = 1e-3f;

        Builder() { includeBackground = INCLUDE_BACKGROUND.defaultBoolean(); }

        /** PRESENT (default) or ALL; for a list of ids use {@link #classes(int...)}. */
        public Builder classes(Classes c) {
            if (c == null || c == Classes.LIST) {
                throw new IllegalArgumentException("LovaszSoftmaxLoss: classes must be PRESENT or ALL here (a list: classes(int...)), got "
                        + c);
            }
            classes = c;
            classIds = null;
            return this;
        }

        /** Exactly these class ids (distinct, >= 0; checked to be &lt; C on each call), present or not. */
        public Builder classes(int... ids) {
            if (ids == null || ids.length == 0) {
                throw new IllegalArgumentException("LovaszSoftmaxLoss: classes must list at least one class id, got "
                        + Arrays.toString(ids));
            }
            int[] sorted = ids.clone();
            Arrays.sort(sorted);
            for (int i = 0; i < sorted.length; i++) {
                if (sorted[i] < 0 || (i > 0 && sorted[i] == sorted[i - 1])) {
                    throw new IllegalArgumentException("LovaszSoftmaxLoss: classes must be distinct class ids >= 0, got "
                            + Arrays.toString(ids));
                }
            }
            classes = Classes.LIST;
            classIds = ids.clone();
            return this;
        }

        /** Compute the loss per image and average over the images (default false: the batch is one set). */
        public Builder perImage(boolean v) { perImage = v; return this; }

        /**
         * For activation NONE: how far a valid voxel's channel sum may be from 1 (default 1e-3;
         * positive; {@code Float.POSITIVE_INFINITY} turns the check off).
         */
        public Builder probabilitySumTolerance(float v) {
            if (!(v > 0f)) {
                throw new IllegalArgumentException("LovaszSoftmaxLoss: probabilitySumTolerance must be > 0, got " + v);
            }
            probabilitySumTolerance = v;
            return this;
        }

        public LovaszSoftmaxLoss build() {
            if (activation == Activation.SIGMOID) {
                throw new IllegalArgumentException("LovaszSoftmaxLoss: activation must be SOFTMAX or NONE (mutually exclusive class"
                        + " probabilities; for one binary logit channel use LovaszHingeLoss), got SIGMOID");
            }
            if (softLabel) {
                throw new IllegalArgumentException("LovaszSoftmaxLoss: softLabel must be false (the Jaccard set function needs"
                        + " hard labels), got true");
            }
            if (weight != null) {
                throw new IllegalArgumentException("LovaszSoftmaxLoss: weight is not supported (the classes are averaged"
                        + " equally), got " + Arrays.toString(weight));
            }
            return new LovaszSoftmaxLoss(this);
        }
    }
}
