package org.segloss.loss;

import java.util.Arrays;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;

/**
 * The options and input checks shared by segloss's losses, with MONAI's names camelCased.
 * Subclasses implement {@link #compute(Prepared)}; everything before it (validation,
 * activation, one-hot encoding, ignore mask, background removal) happens here, in MONAI's order:
 * activation, then one-hot, then dropping channel 0.
 *
 * <p>Common options and defaults: {@code activation} SOFTMAX, {@code includeBackground} true,
 * {@code reduction} MEAN, {@code ignoreIndex} none, {@code softLabel} false, {@code weight} none
 * (one entry per kept class), {@code checkFinite} true (NaN or infinity in the input is an error
 * naming the tensor).
 */
public abstract class SegmentationLoss implements Loss {
    /** No ignore index. */
    public static final int NO_IGNORE = Integer.MIN_VALUE;

    // ---- the options every segmentation loss shares (LossOption; each loss lists the ones it offers) ----

    /** The first words of {@link #includeBackground}'s doc; a loss adds where its default comes from. */
    public static final String INCLUDE_BACKGROUND_DOC = "Whether class 0 enters the loss";

    /** {@code ignore-index}: no default (none). */
    public static final LossOption<Builder<?>, Integer> IGNORE_INDEX = LossOption.integer("ignore-index", null, LossOption.Range.ANY,
            "A label value whose voxels are left out (no loss, no gradient).", (b, v) -> b.ignoreIndex(v));

    /** {@code reduction}: mean (default) or sum (NONE, per-item values, is for library callers, not offered as an option). */
    public static final LossOption<Builder<?>, Reduction> REDUCTION = LossOption.choice("reduction", Reduction.MEAN,
            "How the items are combined.", (b, v) -> b.reduction(v), Reduction.MEAN, Reduction.SUM);

    /** {@code weight}: one per kept class; none by default. */
    public static final LossOption<Builder<?>, float[]> WEIGHT = LossOption.numbers("weight", "one per kept class",
            LossOption.Range.NON_NEG, "Per-class weights of the items.", (b, v) -> b.weight(v));

    /**
     * {@code include-background} of a loss whose builder defaults to {@code dflt}, {@code why}
     * saying where that default comes from (e.g. "library/MONAI default").
     */
    public static LossOption<Builder<?>, Boolean> includeBackground(boolean dflt, String why) {
        return LossOption.bool("include-background", dflt, INCLUDE_BACKGROUND_DOC + " (" + why + ").", (b, v) -> b.includeBackground(v));
    }

    protected final Activation activation;
    protected final boolean includeBackground;
    protected final Reduction reduction;
    protected final int ignoreIndex;
    protected final boolean softLabel;
    protected final float[] weight;   // null: no class weights
    protected final boolean checkFinite;

    protected SegmentationLoss(Builder<?> b) {
        this.activation = b.activation;
        this.includeBackground = b.includeBackground;
        this.reduction = b.reduction;
        this.ignoreIndex = b.ignoreIndex;
        this.softLabel = b.softLabel;
        this.weight = b.weight == null ? null : b.weight.clone();
        this.checkFinite = b.checkFinite;
        if (weight != null) {
            for (float w : weight) {
                if (!(w >= 0f) || Float.isInfinite(w)) {
                    throw new IllegalArgumentException(name() + ": weight entries must be finite and >= 0, got "
                            + Arrays.toString(weight));
                }
            }
        }
    }

    /** The loss from the prepared operands. */
    protected abstract Var compute(Prepared p);

    @Override
    public final Var forward(Var input, LabelTensor target) {
        return computeChecked(prepare(input, target, null));
    }

    @Override
    public final Var forward(Var input, Tensor target) {
        return computeChecked(prepare(input, null, target));
    }

    private Var computeChecked(Prepared p) {
        Var loss = compute(p);
        finishFiniteCheck(p);
        return loss;
    }

    public Activation activation() { return activation; }
    public boolean includeBackground() { return includeBackground; }
    public Reduction reduction() { return reduction; }
    public int ignoreIndex() { return ignoreIndex; }
    public boolean softLabel() { return softLabel; }
    public float[] weight() { return weight == null ? null : weight.clone(); }

    /** Whether this loss accepts ignore labels (losses that cannot honour them reject the option). */
    protected boolean supportsIgnoreIndex() { return true; }

    /**
     * Validates and normalises the operands. With {@code ignoreIndex} set, a one-hot target marks
     * ignored voxels by an all-zero column (what {@link LabelTensor#oneHot(int, int)} produces),
     * so a label map and its one-hot form give the same loss.
     */
    protected Prepared prepare(Var input, LabelTensor labels, Tensor onehot) {
        String n = name();
        Shape in = input.shape();
        if (in.rank() != 4 && in.rank() != 5) {
            throw new IllegalArgumentException(n + ": input must be [B, C, H, W] or [B, C, D, H, W], got " + in);
        }
        int b = in.dim(0), c = in.dim(1);
        Shape spatial = Shape.of(Arrays.copyOfRange(in.dims(), 2, in.rank()));
        if (b == 0 || c == 0 || spatial.size() == 0) {
            throw new IllegalArgumentException(n + ": input must not be empty, got " + in);
        }
        if (activation == Activation.SOFTMAX && c == 1) {
            throw new IllegalArgumentException(n + ": activation SOFTMAX needs >= 2 channels, got input " + in
                    + " (a single channel: use SIGMOID)");
        }
        if (!includeBackground && c == 1) {
            throw new IllegalArgumentException(n + ": includeBackground=false needs >= 2 channels, got input " + in);
        }
        int kept = includeBackground ? c : c - 1;
        if (weight != null && weight.length != kept) {
            throw new IllegalArgumentException(n + ": weight must have one entry per kept class: " + kept
                    + (includeBackground ? " (C = " + c + ", background included)" : " (C - 1 = " + kept + ", background excluded; "
                    + c + " with includeBackground=true)") + ", got " + weight.length);
        }
        // with SOFTMAX a fused pass over the logits checks them on its way (one memory pass less);
        // forward() scans them afterwards when no fused pass did (finishFiniteCheck)
        boolean deferFiniteCheck = checkFinite && activation == Activation.SOFTMAX;
        if (checkFinite && !deferFiniteCheck && !input.value().isFinite()) {
            throw new IllegalArgumentException(n + ": input contains NaN or infinity (shape " + in + ")");
        }
        if (activation == Activation.NONE) requireProbabilities(n, input.value());

        java.util.function.Supplier<Tensor> target;   // the full one-hot target, made on first use
        Tensor valid = null;
        LabelTensor lab = null;
        if (labels != null) {
            Shape ls = labels.shape();
            if (ls.rank() == in.rank() && ls.dim(1) == 1) {   // [B, 1, *spatial] is accepted too
                int[] d = ls.remove(1).dims();
                labels = labels.reshape(d);
                ls = labels.shape();
            }
            Shape expected = spatial.insert(0, b);
            if (!ls.equals(expected)) {
                throw new IllegalArgumentException(n + ": label-map target must be [B, *spatial] = " + expected
                        + " for input " + in + ", got " + ls);
            }
            if (ignoreIndex != NO_IGNORE && !supportsIgnoreIndex()) {
                throw new IllegalArgumentException(n + ": ignoreIndex is not supported by this loss");
            }
            boolean anyIgnored = false;
            // a quick first look (a vectorised min/max): labels all in [0, C) with an ignore value
            // outside [0, C) are valid and ignore nothing; only otherwise is every voxel checked
            int[] range = labels.range();
            boolean allClasses = range[0] >= 0 && range[1] < c && (ignoreIndex < 0 || ignoreIndex >= c);
            int checked = allClasses ? 0 : labels.size();
            for (int i = 0; i < checked; i++) {
                int v = labels.at(i);
                if (v == ignoreIndex) {
                    anyIgnored = true;
                } else if (v < 0 || v >= c) {
                    // a 0/1 label map for a one-channel input: the usual binary-sigmoid mix-up
                    String hint = c == 1 && v == 1
                            ? " (a one-channel " + activation + " input takes a float mask target [B, 1, *spatial] = "
                              + expected.insert(1, 1) + " with values 0/1; or give C = 2 channels and keep the 0/1 labels)"
                            : "";
                    throw new IllegalArgumentException(n + ": labels must be in [0, " + c + ")"
                            + (ignoreIndex != NO_IGNORE ? " or equal ignoreIndex " + ignoreIndex : "")
                            + ", got " + v + " at flat index " + i + hint);
                }
            }
            LabelTensor finalLabels = labels;
            target = () -> finalLabels.oneHot(c, ignoreIndex);   // a fused path reads the labels instead
            if (anyIgnored) valid = labels.ne(ignoreIndex).toFloat().reshape(expected.insert(1, 1));
            lab = labels;
        } else {
            if (!onehot.shape().equals(in)) {
                throw new IllegalArgumentException(n + ": one-hot target must have the input's shape " + in
                        + " ([B, C, *spatial]; a label map has no channel axis), got " + onehot.shape());
            }
            if (!onehot.isFinite()) throw new IllegalArgumentException(n + ": target contains NaN or infinity");
            if (ignoreIndex != NO_IGNORE) {
                // the one-hot form of a label map with ignored voxels: all-zero columns are the ignored voxels
                if (!supportsIgnoreIndex()) throw new IllegalArgumentException(n + ": ignoreIndex is not supported by this loss");
                Tensor colSum = onehot.sum(new int[] {1}, true);
                float[] m = new float[colSum.size()];
                boolean anyIgnored = false;
                for (int i = 0; i < m.length; i++) {
                    m[i] = colSum.at(i) > 0f ? 1f : 0f;
                    anyIgnored |= m[i] == 0f;
                }
                if (anyIgnored) valid = Tensor.wrap(m, colSum.shape().dims());
            }
            requireTargetValues(n, onehot, c, valid);
            target = () -> onehot;
        }

        Tensor mask = valid;
        int offset = includeBackground ? 0 : 1;
        // the activation and the one-hot target (for label maps) are made on first use: the fused
        // softmax statistics (RegionStatistics) work from the logits and the labels instead
        Prepared prepared = new Prepared(() -> activate(input, mask, c), target, valid, lab, input, offset);
        if (deferFiniteCheck) prepared.deferFiniteCheck();
        return prepared;
    }

    /**
     * The finiteness check of the input that {@link #prepare} left to a fused pass
     * ({@link Prepared#deferFiniteCheck}), made now by a scan of its own if no fused pass made it:
     * so a NaN or infinite input is an error on every path, checked once.
     */
    protected final void finishFiniteCheck(Prepared p) {
        if (p.finiteCheckPending() && !p.input().value().isFinite()) {
            throw new IllegalArgumentException(name() + ": input contains NaN or infinity (shape " + p.input().shape() + ")");
        }
    }

    /** The probabilities of prepare(): activation, ignore mask, then the background dropped. */
    private Var activate(Var input, Tensor valid, int c) {
        Var probs = switch (activation) {
            case SOFTMAX -> input.softmax(1);
            case SIGMOID -> input.sigmoid();
            case NONE -> input;
        };
        if (valid != null) probs = probs.mul(valid);
        if (!includeBackground) probs = probs.slice(1, 1, c);
        return probs;
    }

    private void requireTargetValues(String n, Tensor t, int c, Tensor valid) {
        int b = t.dim(0), inner = t.size() / (b * c);
        for (int i = 0; i < t.size(); i++) {
            float v = t.at(i);
            if (v < 0f || v > 1f) {
                throw new IllegalArgumentException(n + ": target values must be in [0, 1], got " + v + " at flat index " + i);
            }
            if (!softLabel && v != 0f && v != 1f) {
                throw new IllegalArgumentException(n + ": target must be one-hot (0 or 1) unless softLabel=true, got " + v
                        + " at flat index " + i);
            }
        }
        if (!softLabel && c > 1 && activation == Activation.SOFTMAX) {
            for (int bi = 0; bi < b; bi++) {
                for (int j = 0; j < inner; j++) {
                    if (valid != null && valid.at(bi * inner + j) == 0f) continue;
                    float s = 0f;
                    for (int k = 0; k < c; k++) s += t.at((bi * c + k) * inner + j);
                    if (s != 1f) {
                        throw new IllegalArgumentException(n + ": a one-hot target needs exactly one 1 per voxel over the "
                                + c + " channels, got a sum of " + s + " at sample " + bi + ", voxel " + j);
                    }
                }
            }
        }
    }

    private static void requireProbabilities(String n, Tensor x) {
        for (int i = 0; i < x.size(); i++) {
            float v = x.at(i);
            if (v < 0f || v > 1f) {
                throw new IllegalArgumentException(n + ": activation NONE expects probabilities in [0, 1], got " + v
                        + " at flat index " + i + " (logits? use SOFTMAX or SIGMOID)");
            }
        }
    }

    /** Applies the class weights (if any) to per-item values [B, C'] or [C'] and reduces them. */
    protected Var weightAndReduce(Var items) {
        return reduce(classWeighted(items));
    }

    /** Items [B, C'] or [C'] times the class weights along the last axis; the items unchanged without weights. */
    private Var classWeighted(Var items) {
        if (weight == null) return items;
        int r = items.shape().rank();
        int[] d = new int[r];
        Arrays.fill(d, 1);
        d[r - 1] = weight.length;
        return items.mul(Tensor.of(weight, d));
    }

    /**
     * As {@link #weightAndReduce(Var)}, leaving out the samples whose voxels are all ignored (see
     * {@link #reduceItems}).
     */
    protected Var weightAndReduce(Var items, Prepared p, boolean batch) {
        return reduceItems(classWeighted(items), p, batch);
    }

    /**
     * The reduction of per-item values, leaving out the samples whose voxels are all ignored
     * ({@code ignoreIndex}). Such a sample has no region to score: its statistics are all zero and
     * an overlap score would call it perfect (Dice 1, loss 0), pulling the mean loss and the
     * gradient of the other samples towards 0 (halving both in a batch of two). Like the
     * per-voxel losses, which average over the voxels that count, the region losses average over
     * the samples that count. {@code items} is {@code [B, ...]} (sample axis first) unless
     * {@code batch} pooled the statistics over the batch ({@code [C']} or a scalar; an ignored
     * sample then adds nothing to the sums). MEAN divides by the items of the samples kept, SUM
     * adds them, NONE returns every item with the left-out ones 0 (no gradient). When no voxel of
     * the batch counts the loss is 0 with a zero gradient (never NaN). Without ignored samples
     * this is {@link #reduce} exactly.
     */
    protected Var reduceItems(Var items, Prepared p, boolean batch) {
        boolean[] keep = samplesThatCount(p);
        if (keep == null) return reduce(items);
        int kept = 0;
        for (boolean k : keep) kept += k ? 1 : 0;
        if (batch || kept == 0) {
            return kept == 0 ? reduce(items.mul(0f)) : reduce(items);
        }
        Var masked = items.mul(sampleMask(keep, items.shape().rank()));
        int perSample = items.shape().size() / keep.length;
        return switch (reduction) {
            case MEAN -> masked.sum().mul((float) (1.0 / ((double) kept * perSample)));
            case SUM -> masked.sum();
            case NONE -> masked;
        };
    }

    /**
     * The mean over every item of {@code items}, leaving out the samples whose voxels are all
     * ignored as {@link #reduceItems} does with MEAN (for forms that average before a power or a
     * log, whatever the reduction).
     */
    protected Var meanItems(Var items, Prepared p, boolean batch) {
        boolean[] keep = samplesThatCount(p);
        if (keep == null) return items.mean();
        int kept = 0;
        for (boolean k : keep) kept += k ? 1 : 0;
        if (kept == 0) return items.mul(0f).sum();
        if (batch) return items.mean();
        int perSample = items.shape().size() / keep.length;
        return items.mul(sampleMask(keep, items.shape().rank())).sum().mul((float) (1.0 / ((double) kept * perSample)));
    }

    /** 1 for the samples kept, 0 for the others, shaped {@code [B, 1, ...]} to broadcast against rank-{@code rank} items. */
    private static Tensor sampleMask(boolean[] keep, int rank) {
        int[] d = new int[rank];
        Arrays.fill(d, 1);
        d[0] = keep.length;
        float[] m = new float[keep.length];
        for (int i = 0; i < m.length; i++) m[i] = keep[i] ? 1f : 0f;
        return Tensor.wrap(m, d);
    }

    /** Whether no voxel of the batch counts (every label is ignoreIndex): the loss is then 0. */
    protected static boolean nothingCounts(Prepared p) {
        boolean[] keep = samplesThatCount(p);
        if (keep == null) return false;
        for (boolean k : keep) if (k) return false;
        return true;
    }

    /**
     * Which samples have at least one voxel that counts, or null when all of them do (nothing is
     * left out).
     */
    static boolean[] samplesThatCount(Prepared p) {
        Tensor valid = p.valid();   // [B, 1, *spatial] or null
        if (valid == null) return null;
        int b = valid.dim(0), s = valid.size() / b;
        boolean[] keep = new boolean[b];
        boolean all = true;
        for (int i = 0; i < b; i++) {
            for (int j = i * s, end = j + s; j < end && !keep[i]; j++) keep[i] = valid.at(j) != 0f;
            all &= keep[i];
        }
        return all ? null : keep;
    }

    /** MEAN, SUM or NONE over every element of {@code items}. */
    protected Var reduce(Var items) {
        return switch (reduction) {
            case MEAN -> items.mean();
            case SUM -> items.sum();
            case NONE -> items;
        };
    }

    /**
     * Options every segmentation loss shares; each loss's builder extends it.
     *
     * @param <B> the concrete builder, for chaining
     */
    public abstract static class Builder<B extends Builder<B>> {
        Activation activation = Activation.SOFTMAX;
        boolean includeBackground = true;   // a loss with another default sets it from its include-background option
        Reduction reduction = REDUCTION.defaultChoice(Reduction.class);
        int ignoreIndex = NO_IGNORE;
        boolean softLabel = false;
        float[] weight;
        boolean checkFinite = true;

        @SuppressWarnings("unchecked")
        protected B self() { return (B) this; }

        /** SOFTMAX (default), SIGMOID or NONE (input already probabilities). */
        public B activation(Activation a) {
            if (a == null) throw new IllegalArgumentException("activation must be one of " + Arrays.toString(Activation.values()) + ", got null");
            this.activation = a;
            return self();
        }

        /** Whether class 0 enters the loss (default true); false drops it after the activation. */
        public B includeBackground(boolean v) { this.includeBackground = v; return self(); }

        /** MEAN (default), SUM or NONE. */
        public B reduction(Reduction r) {
            if (r == null) throw new IllegalArgumentException("reduction must be one of " + Arrays.toString(Reduction.values()) + ", got null");
            this.reduction = r;
            return self();
        }

        /** A label value whose voxels are excluded (no loss, zero gradient); none by default. */
        public B ignoreIndex(int v) { this.ignoreIndex = v; return self(); }

        /** Accept soft targets in [0, 1] (default false: one-hot only). */
        public B softLabel(boolean v) { this.softLabel = v; return self(); }

        /** Per-class weights, one per kept class (C, or C - 1 without background), finite and >= 0. */
        public B weight(float... w) { this.weight = w == null ? null : w.clone(); return self(); }

        /** Scan the input for NaN and infinity (default true). */
        public B checkFinite(boolean v) { this.checkFinite = v; return self(); }

        /** A copy of a voxel spacing (one entry per spatial axis, each finite and > 0), or null for unit spacing. */
        static double[] validSpacing(String loss, double[] s) {
            if (s == null) return null;
            if (s.length == 0) throw new IllegalArgumentException(loss + ": spacing must have one entry per spatial axis, got []");
            for (int i = 0; i < s.length; i++) {
                if (!(s[i] > 0) || Double.isInfinite(s[i])) {
                    throw new IllegalArgumentException(loss + ": spacing entries must be finite and > 0, got " + s[i] + " at axis " + i
                            + " of " + Arrays.toString(s));
                }
            }
            return s.clone();
        }

        static void requireNonNegative(String loss, String param, double v) {
            if (!(v >= 0) || Double.isInfinite(v)) {
                throw new IllegalArgumentException(loss + ": " + param + " must be finite and >= 0, got " + v);
            }
        }
    }
}
