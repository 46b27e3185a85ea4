package org.segloss.tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.segloss.tensor.kernel.Kernels;
import org.segloss.tensor.kernel.Kernels.Binary;
import org.segloss.tensor.kernel.Parallel;

/**
 * Fused softmax statistics: softmax over the channel axis of logits {@code [B, C, S]} (S = the
 * flattened spatial size), fused with per-(b, c) sums, so that no full-size probability tensor is
 * ever made. Two kinds, each with its gradient with respect to the logits:
 * <ul>
 * <li>{@link #classSums}: weighted and plain sums per class (the region losses' I, P, Q), which
 *     sums are made is given by {@link Terms};</li>
 * <li>{@link #confusionSums}: per sample the C x C sums of p_l over the voxels labelled c (the
 *     generalised Wasserstein Dice loss).</li>
 * </ul>
 * The differentiable ops over them live with the losses ({@code org.segloss.loss.RegionStatistics}).
 *
 * <p>Work is cut into tasks (sample b, a chunk of {@value #CHUNK} voxels); the partition depends
 * on the shape only. Each task copies its C rows of logits into a compact scratch
 * {@code [C, len]} (the softmax kernel reads and writes with one common row stride), runs the
 * softmax kernel in place, and reduces with the dot / sum kernels (float lanes over at most
 * {@value #CHUNK} elements); label-map terms compare the labels inside the kernels
 * ({@code sumWhereEqual}, {@code addWhereEqual}, {@code countEqual}), so no one-hot chunk is built. The per-task partials are added in double, chunk by chunk in
 * increasing order, on the calling thread: the result does not depend on the thread count.
 *
 * <p>The region losses' common case, a label map without weight maps or mask (no voxel ignored)
 * and an ignore value outside [0, C), takes one pass per chunk each way instead:
 * {@link Kernels#softmaxLabelSums} (the softmax, every class's sums and the finiteness check from
 * the same loads) and {@link Kernels#softmaxLabelSumsBackward} (the gradient with respect to p,
 * built per voxel from label-chosen coefficients, through the softmax in place); see
 * {@code spec/numerics.md}, "Fused region sums". So does one weight map alone (the boundary
 * loss's Σ p φ): {@link Kernels#softmaxWeightedSums} (the softmax, one dot per class and the
 * finiteness check) and {@link Kernels#softmaxWeightedSumsBackward} (gp = dS φ and the softmax
 * backward from the same loads), with the bits of the general path. The confusion sums take one
 * {@link Kernels#softmaxConfusionSums} per chunk forward and one
 * {@link Kernels#softmaxBackwardByLabel} backward, for every C and ignore value.
 */
public final class SoftmaxSums {
    /** Voxels per task ({@link ChannelChunks#CHUNK}): the scratch of one task is C * CHUNK floats. */
    static final int CHUNK = ChannelChunks.CHUNK;

    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[3][0]);

    /** The class-independent totals {@link #classSums} can add after the weighted sums. */
    public enum Total {
        /** P[b, c] = Σ_i m[b, i] p[b, c, i]. */
        PROBABILITIES,
        /** Q[b, c] = Σ_i (m[b, i] p[b, c, i])². */
        SQUARES,
        /**
         * E[b, c] = Σ_i [y[b, i] = c] (1 - m[b, i] p[b, c, i])²: the squared error at the voxels
         * labelled c (the sensitivity term), summed directly, never as N - 2I + Σ p² (which
         * cancels when p is near 1). Needs labels.
         */
        LABEL_SQUARED_ERROR,
        /**
         * F[b, c] = Σ_i [y[b, i] ≠ c] (m[b, i] p[b, c, i])²: the squares off the voxels labelled c
         * (the specificity term; a voxel with the ignore value is labelled no class), summed
         * directly, never as Q - Σ_{y=c} p². Needs labels.
         */
        OFF_LABEL_SQUARES,
        /**
         * G[b, c] = Σ_i m[b, i] [y[b, i] = c]: the labels' class counts over the mask (the region
         * losses' target sums, counted in the same pass). Needs labels; a constant of the labels
         * and the mask, so its gradient is ignored. Exact integers (as floats) for a 0/1 mask.
         */
        LABEL_COUNTS
    }

    /**
     * Which sums {@link #classSums} makes, slab by slab: {@code S_0} from the one-hot of
     * {@code labels} (when given), one {@code S_k} per weight map, then P, Q, E, F and G as listed in
     * {@code totals} (always in that order), all over the voxels where {@code mask} is 1.
     *
     * @param maps        weight maps of the logits' shape (e.g. a one-hot target); may be empty
     * @param labels      {@code [B, *spatial]} whose one-hot is the first map, or null; a label
     *                    outside [0, C), or equal to {@code ignoreIndex}, counts for no class (as
     *                    {@link LabelTensor#oneHot(int, int)}); the one-hot tensor is never made
     * @param ignoreIndex see labels ({@code Integer.MIN_VALUE}: none)
     * @param mask        {@code [B, 1, *spatial]} of 0 and 1 (0: voxel ignored), or null
     * @param totals      which of P and Q to add
     * @param finiteCheck null, or the name under which {@link #classSums} rejects logits that
     *                    hold NaN or an infinity ({@link #rejectingNonFinite})
     */
    public record Terms(List<Tensor> maps, LabelTensor labels, int ignoreIndex, Tensor mask, Set<Total> totals,
                        String finiteCheck) {
        public Terms {
            maps = Collections.unmodifiableList(new ArrayList<>(maps));   // a null map is reported by the check, with its index
            EnumSet<Total> t = EnumSet.noneOf(Total.class);
            t.addAll(totals);
            totals = Collections.unmodifiableSet(t);
        }

        /** Terms without the finiteness check. */
        public Terms(List<Tensor> maps, LabelTensor labels, int ignoreIndex, Tensor mask, Set<Total> totals) {
            this(maps, labels, ignoreIndex, mask, totals, null);
        }

        /**
         * These terms, with {@link #classSums} throwing {@code IllegalArgumentException("<who>:
         * input contains NaN or infinity (shape [..])")} when a logit is NaN or infinite: the check
         * a loss would make in a pass of its own, made here on each chunk while it is in the cache.
         */
        public Terms rejectingNonFinite(String who) {
            return new Terms(maps, labels, ignoreIndex, mask, totals, java.util.Objects.requireNonNull(who, "who"));
        }

        /** {@code S_k = Σ m p w_k} for each map, nothing else (add labels, mask and totals below). */
        public static Terms weightedBy(Tensor... maps) {
            return new Terms(Arrays.asList(maps), null, Integer.MIN_VALUE, null, Set.of());
        }

        /** {@code S_0 = Σ m p onehot(labels)}, the one-hot never made; {@code ignoreIndex} counts for no class. */
        public static Terms labels(LabelTensor labels, int ignoreIndex) {
            return new Terms(List.of(), labels, ignoreIndex, null, Set.of());
        }

        /** These terms over the voxels where {@code mask [B, 1, *spatial]} is 1 (null: every voxel). */
        public Terms masked(Tensor mask) {
            return new Terms(maps, labels, ignoreIndex, mask, totals, finiteCheck);
        }

        /** These terms with the given totals added (in {@link Total}'s order in the result, whatever the order here). */
        public Terms plus(Total... more) {
            EnumSet<Total> t = EnumSet.noneOf(Total.class);
            t.addAll(totals);
            t.addAll(Arrays.asList(more));
            return new Terms(maps, labels, ignoreIndex, mask, t, finiteCheck);
        }

        /** The number of [B, C] slabs of the result. */
        public int count() {
            return (labels != null ? 1 : 0) + maps.size() + totals.size();
        }
    }

    private SoftmaxSums() {}

    /** The three scratch buffers of the current thread, each of at least n floats. */
    private static float[][] scratch(int n) {
        float[][] s = SCRATCH.get();
        if (s[0].length < n) {
            for (int i = 0; i < s.length; i++) s[i] = new float[n];
        }
        return s;
    }

    /** Zeros to select from (read only). */
    private static final float[] ZEROS = new float[CHUNK];

    /** The totals that are label statistics need labels. */
    private static void requireLabelsFor(String op, Terms terms) {
        if (terms.labels() != null) return;
        for (Total t : new Total[] {Total.LABEL_SQUARED_ERROR, Total.OFF_LABEL_SQUARES, Total.LABEL_COUNTS}) {
            if (terms.totals().contains(t)) {
                throw new IllegalArgumentException(op + ": Total." + t + " needs labels (Terms.labels), got a target of "
                        + terms.maps().size() + " weight maps");
            }
        }
    }

    /** Checks the operands; returns {B, C, S}. */
    static int[] check(String op, Tensor x, Tensor[] maps, LabelTensor labels, Tensor mask) {
        Shape s = x.shape;
        int[] d = ChannelChunks.dims(op, x);
        int b = d[0], sp = d[2];
        for (int k = 0; k < maps.length; k++) {
            if (maps[k] == null || !maps[k].shape.equals(s)) {
                throw new IllegalArgumentException(op + ": map " + k + " must have the logits' shape " + s + ", got "
                        + (maps[k] == null ? "null" : maps[k].shape));
            }
        }
        if (labels != null) ChannelChunks.checkLabels(op, x, d, labels);
        if (mask != null && mask.size() != b * sp) {
            throw new IllegalArgumentException(op + ": mask must be [B, 1, *spatial] (" + b * sp + " elements) for logits "
                    + s + ", got " + mask.shape);
        }
        return d;
    }

    /**
     * Softmax of task (bi, j0, len) into keep's rows (stride S), the bits of {@link #softmaxChunk}:
     * straight from the strided logits, column by column as in the compact chunk; a one-voxel
     * chunk, whose compact layout is one contiguous row (another kernel path), goes through buf.
     */
    private static void keptSoftmax(Kernels k, Tensor x, int bi, int c, int sp, int j0, int len, Tensor keep, float[] buf) {
        int at = (bi * c) * sp + j0;
        if (len > 1) {
            k.softmax(x.data, x.offset + at, c, sp, len, keep.data, keep.offset + at);
        } else {
            softmaxChunk(k, x, bi, c, sp, j0, len, buf);
            for (int ch = 0; ch < c; ch++) keep.data[keep.offset + at + ch * sp] = buf[ch];
        }
    }

    /** Softmax of task (bi, j0, len) into buf [C, len] (compact rows). */
    private static void softmaxChunk(Kernels k, Tensor x, int bi, int c, int sp, int j0, int len, float[] buf) {
        ChannelChunks.copyRows(x, bi, c, sp, j0, len, buf);
        k.softmax(buf, 0, c, len, len, buf, 0);   // in place: out aliases x exactly
    }

    /**
     * The statistics of {@link Kernels#softmaxLabelSums} that make {@code terms}' slabs (the labels'
     * I, then P, Q, E, F, G: the kernel's slot order is the slabs' order), or 0 when the terms need
     * the general path: the one-pass kernels cover a label map without weight maps, without a mask
     * (the region losses when no voxel is ignored) and with an ignore value outside [0, C) (one that
     * is a class index would need that class's sums left out).
     */
    static int labelSumStats(Terms terms, int c) {
        int ignore = terms.ignoreIndex();
        if (terms.labels() == null || !terms.maps().isEmpty() || terms.mask() != null || (ignore >= 0 && ignore < c)) return 0;
        Set<Total> tot = terms.totals();
        int stats = Kernels.SUM_AT_LABEL;
        if (tot.contains(Total.PROBABILITIES)) stats |= Kernels.SUM_ALL;
        if (tot.contains(Total.SQUARES)) stats |= Kernels.SUM_SQUARES;
        if (tot.contains(Total.LABEL_SQUARED_ERROR)) stats |= Kernels.SUM_ERROR_AT_LABEL;
        if (tot.contains(Total.OFF_LABEL_SQUARES)) stats |= Kernels.SUM_SQUARES_OFF_LABEL;
        if (tot.contains(Total.LABEL_COUNTS)) stats |= Kernels.COUNT_AT_LABEL;
        return stats;
    }

    /**
     * {@link Kernels#softmaxLabelSums} of task (bi, j0, len) into sums [6, C]; the softmax into keep's
     * rows when keep is given, and its stats m, log s into softmaxStats [2, len] when that is given
     * (the exp-log loss's one-softmax pass). The kept and the recomputed paths see the same columns
     * (straight from the strided logits, or from their compact copy in buf), so the same bits; a
     * one-voxel chunk, whose compact layout is one contiguous row (the softmax kernel's row path, as
     * {@link #softmaxChunk}), goes through buf in both. Returns the kernel's finiteness sum.
     */
    static float fusedLabelSums(Kernels k, Tensor x, int bi, int c, int sp, int j0, int len, Tensor keep, float[] buf,
                                int[] labels, int lab, int stats, float[] sums, float[] softmaxStats) {
        int at = (bi * c) * sp + j0;
        if (keep != null && len > 1) {
            return k.softmaxLabelSums(x.data, x.offset + at, c, sp, len, keep.data, keep.offset + at, labels, lab, stats, sums, 0,
                    softmaxStats, 0);
        }
        ChannelChunks.copyRows(x, bi, c, sp, j0, len, buf);
        float finite = k.softmaxLabelSums(buf, 0, c, len, len, buf, 0, labels, lab, stats, sums, 0, softmaxStats, 0);
        if (keep != null) {
            for (int ch = 0; ch < c; ch++) keep.data[keep.offset + at + ch * sp] = buf[ch];
        }
        return finite;
    }

    /**
     * The sums of {@link #fusedLabelSums} (the kernel's slots, [6, C] in sums) that the stats select,
     * in slot order, into task t's rows of part [task, statistic, channel] (m statistics).
     */
    static void copyLabelSums(int labelSums, float[] sums, double[] part, int t, int m, int c) {
        int base = t * m * c, q = 0;
        for (int slot = 0; slot < Kernels.LABEL_SUM_SLOTS; slot++) {
            if ((labelSums & (1 << slot)) == 0) continue;
            for (int ch = 0; ch < c; ch++) part[base + q * c + ch] = sums[slot * c + ch];
            q++;
        }
    }

    /**
     * The one weight map of terms that are nothing else, {@code S[b, c] = Σ_i p w} (no labels, mask or
     * totals: the boundary loss's Σ p φ), which takes the one-pass kernels
     * {@link Kernels#softmaxWeightedSums} and {@link Kernels#softmaxWeightedSumsBackward}; else null
     * (the general path). The one-pass kernels give the general path's bits: the same softmax, the
     * same dot per class, the same softmax backward on the same gp.
     */
    private static Tensor singleMap(Terms terms) {
        boolean alone = terms.labels() == null && terms.mask() == null && terms.totals().isEmpty() && terms.maps().size() == 1;
        return alone ? terms.maps().get(0) : null;
    }

    /**
     * {@link Kernels#softmaxWeightedSums} of task (bi, j0, len) with map w into sums [C]; the softmax
     * into keep's rows when keep is given; as {@link #fusedLabelSums}: the kept and the recomputed
     * paths see the same columns, a one-voxel chunk goes through buf in both. Returns the kernel's
     * finiteness sum.
     */
    private static float fusedWeightedSums(Kernels k, Tensor x, int bi, int c, int sp, int j0, int len, Tensor keep, float[] buf,
                                           Tensor w, float[] sums) {
        int at = (bi * c) * sp + j0;
        if (keep != null && len > 1) {
            return k.softmaxWeightedSums(x.data, x.offset + at, c, sp, len, keep.data, keep.offset + at, w.data, w.offset + at, sp, sums, 0);
        }
        ChannelChunks.copyRows(x, bi, c, sp, j0, len, buf);
        float finite = k.softmaxWeightedSums(buf, 0, c, len, len, buf, 0, w.data, w.offset + at, sp, sums, 0);
        if (keep != null) {
            for (int ch = 0; ch < c; ch++) keep.data[keep.offset + at + ch * sp] = buf[ch];
        }
        return finite;
    }

    /**
     * The class sums of {@code terms} over the logits x {@code [B, C, *spatial]}: with
     * {@code p = softmax_c(x)} and {@code m} the mask (1 where none is given), the result is
     * {@code [M, B, C]} with M = {@link Terms#count()} slabs, in this order:
     * <pre>
     *   S_k[b, c] = Σ_i m[b, i] p[b, c, i] w_k[b, c, i]     (the labels' one-hot first, then one per map)
     *   P[b, c]   = Σ_i m[b, i] p[b, c, i]                  (with Total.PROBABILITIES)
     *   Q[b, c]   = Σ_i (m[b, i] p[b, c, i])²               (with Total.SQUARES)
     *   E[b, c]   = Σ_i [y[b, i] = c] (1 - m p[b, c, i])²   (with Total.LABEL_SQUARED_ERROR)
     *   F[b, c]   = Σ_i [y[b, i] ≠ c] (m p[b, c, i])²       (with Total.OFF_LABEL_SQUARES)
     *   G[b, c]   = Σ_i m[b, i] [y[b, i] = c]               (with Total.LABEL_COUNTS)
     * </pre>
     * One parallel pass over voxel blocks; p is never materialised, nor the labels' one-hot: the
     * label terms compare the labels inside the kernels ({@code sumWhereEqual}, {@code countEqual};
     * the ignore value and labels outside [0, C) match no class). Labels without maps or mask (and
     * an ignore value outside [0, C)): one {@link Kernels#softmaxLabelSums} per chunk for the
     * softmax and all sums; one weight map alone: one {@link Kernels#softmaxWeightedSums} per chunk,
     * the same bits as the per-class passes. Gradient: {@link #classSumsBackward}.
     */
    public static Tensor classSums(Tensor x, Terms terms) {
        return classSums(x, terms, null);
    }

    /**
     * {@link #classSums(Tensor, Terms)}, keeping the softmax: when {@code keep} (x's shape, not
     * sharing x's array) is given, p = softmax_c(x) is written there, every element, and the sums
     * are taken from it, so that {@link #classSumsBackwardFromSoftmax} can turn it into the
     * gradient in place without computing the softmax again (one exponential per logit per step
     * instead of two). The sums are the same bits either way.
     */
    public static Tensor classSums(Tensor x, Terms terms, Tensor keep) {
        Tensor[] maps = terms.maps().toArray(new Tensor[0]);
        LabelTensor labels = terms.labels();
        int ignore = terms.ignoreIndex();
        Tensor mask = terms.mask();
        Set<Total> tot = terms.totals();
        boolean plain = tot.contains(Total.PROBABILITIES), squares = tot.contains(Total.SQUARES);
        boolean errors = tot.contains(Total.LABEL_SQUARED_ERROR), offSquares = tot.contains(Total.OFF_LABEL_SQUARES);
        boolean counts = tot.contains(Total.LABEL_COUNTS);
        int[] d = check("classSums", x, maps, labels, mask);
        requireLabelsFor("classSums", terms);
        if (keep != null) ChannelChunks.gradientOutput("classSums", x, keep);   // checks keep's shape and storage
        int b = d[0], c = d[1], sp = d[2];
        int nl = labels != null ? 1 : 0, nk = nl + maps.length;
        int m = terms.count();
        int nch = (sp + CHUNK - 1) / CHUNK, tasks = b * nch;
        double[] part = new double[tasks * m * c];   // [task, statistic, channel]
        boolean check = terms.finiteCheck() != null;
        boolean[] nonFinite = check ? new boolean[tasks] : null;
        int labelSums = labelSumStats(terms, c);   // 0: the general path below
        Tensor single = singleMap(terms);          // null: the general path below
        Kernels k = Backend.kernels();
        Parallel.forRange(tasks, Math.max(1, Tensor.GRAIN / (c * CHUNK)), (s, e) -> {
            float[][] sc = scratch(Math.max(c, 2) * CHUNK);
            float[] buf = sc[0], tmp = sc[1];
            for (int t = s; t < e; t++) {
                int bi = t / nch, j0 = (t % nch) * CHUNK, len = Math.min(CHUNK, sp - j0);
                if (single != null) {
                    // the softmax, Σ p w of every class and the finiteness check in one pass (tmp: the [C] sums; M = 1)
                    float finite = fusedWeightedSums(k, x, bi, c, sp, j0, len, keep, buf, single, tmp);
                    if (check) nonFinite[t] = Float.isNaN(finite);
                    for (int ch = 0; ch < c; ch++) part[t * c + ch] = tmp[ch];
                    continue;
                }
                int lab = labels != null ? labels.offset + bi * sp + j0 : 0, mo = mask != null ? mask.offset + bi * sp + j0 : 0;
                if (labelSums != 0) {
                    // the softmax, every sum of every class and the finiteness check in one pass (tmp: the [6, C] sums)
                    float finite = fusedLabelSums(k, x, bi, c, sp, j0, len, keep, buf, labels.data, lab, labelSums, tmp, null);
                    if (check) nonFinite[t] = Float.isNaN(finite);
                    copyLabelSums(labelSums, tmp, part, t, m, c);
                    continue;
                }
                // p of this task: rows of stride pStride from pBase in pa (the kept softmax in place, or the scratch)
                float[] pa = buf;
                int pBase = 0, pStride = len;
                if (keep == null) {
                    softmaxChunk(k, x, bi, c, sp, j0, len, buf);
                } else {
                    int at = (bi * c) * sp + j0;
                    keptSoftmax(k, x, bi, c, sp, j0, len, keep, buf);
                    if (mask == null) {
                        pa = keep.data;
                        pBase = keep.offset + at;
                        pStride = sp;
                    } else {
                        ChannelChunks.copyRows(keep, bi, c, sp, j0, len, buf);   // masked below: the kept p stays intact
                    }
                }
                if (check) {
                    // Σ x·0 is NaN exactly when some x is NaN or ±∞: one pass over rows the softmax just read
                    for (int ch = 0; ch < c && !nonFinite[t]; ch++) {
                        nonFinite[t] = Double.isNaN(k.dot(x.data, x.offset + (bi * c + ch) * sp + j0, ZEROS, 0, len));
                    }
                }
                int base = t * m * c;
                for (int ch = 0; ch < c; ch++) {
                    int po = pBase + ch * pStride;
                    if (mask != null) k.zip(Binary.MUL, pa, po, mask.data, mo, pa, po, len);
                    int row = (bi * c + ch) * sp + j0;
                    // the label term: Σ m p over the voxels labelled ch (the ignore value is no class)
                    if (labels != null && ch != ignore) part[base + ch] = k.sumWhereEqual(labels.data, lab, ch, pa, po, len);
                    for (int q = nl; q < nk; q++) part[base + q * c + ch] = k.dot(pa, po, maps[q - nl].data, maps[q - nl].offset + row, len);
                    int q = nk;
                    if (plain) part[base + (q++) * c + ch] = k.sum(pa, po, len);
                    if (squares) part[base + (q++) * c + ch] = k.dot(pa, po, pa, po, len);
                    if (errors) {
                        // Σ_{y = ch} (1 - m p)², one pass (the bits of (1 - p)² summed where the label is ch)
                        part[base + (q++) * c + ch] = ch == ignore ? 0.0 : k.sumSquaredErrorWhereEqual(labels.data, lab, ch, pa, po, len);
                    }
                    if (offSquares) {
                        k.zip(Binary.MUL, pa, po, pa, po, tmp, 0, len);
                        if (ch != ignore) k.selectWhereEqual(labels.data, lab, ch, ZEROS, 0, tmp, 0, tmp, 0, len);
                        part[base + (q++) * c + ch] = k.sum(tmp, 0, len);
                    }
                    if (counts && ch != ignore) {
                        // Σ m over the voxels labelled ch: at most CHUNK ones, exact in float
                        part[base + q * c + ch] = mask == null ? k.countEqual(labels.data, lab, ch, len)
                                : k.sumWhereEqual(labels.data, lab, ch, mask.data, mo, len);
                    }
                }
            }
        });
        return reduceParts(terms, x, nonFinite, part, m, b, c, nch);
    }

    /**
     * The end of a class-sums pass: rejects the logits when a task found NaN or ±∞ (nonFinite
     * null: no check) under {@code terms.finiteCheck()}, then adds the task partials
     * {@code part [task, statistic, channel]} chunk by chunk in increasing order, in double, into
     * the slabs {@code [M, B, C]}: the result does not depend on the thread count.
     */
    static Tensor reduceParts(Terms terms, Tensor x, boolean[] nonFinite, double[] part, int m, int b, int c, int nch) {
        if (nonFinite != null) {
            for (boolean bad : nonFinite) {
                if (bad) throw new IllegalArgumentException(terms.finiteCheck() + ": input contains NaN or infinity (shape " + x.shape + ")");
            }
        }
        float[] out = new float[m * b * c];
        for (int q = 0; q < m; q++) {
            for (int bi = 0; bi < b; bi++) {
                for (int ch = 0; ch < c; ch++) {
                    double acc = 0;
                    for (int j = 0; j < nch; j++) acc += part[((bi * nch + j) * m + q) * c + ch];
                    out[(q * b + bi) * c + ch] = (float) acc;
                }
            }
        }
        return new Tensor(out, 0, Shape.of(m, b, c));
    }

    /**
     * The gradient of {@link #classSums} with respect to the logits x, from the gradients
     * {@code grads [M, B, C]} of its outputs (same slab order). Per voxel, with
     * {@code dS_k, dP, dQ} the slabs of grads at (b, c):
     * <pre>
     *   gp_c = m (Σ_k dS_k w_k,c + dP + 2 dQ p_c)      (gradient w.r.t. p_c; m in {0, 1})
     *   gx_c = p_c (gp_c - Σ_c' p_c' gp_c')           (through the softmax)
     * </pre>
     * p is recomputed from the logits in the same pass that writes the result; the labels'
     * one-hot is never made ({@code addWhereEqual}; labels without maps or mask: gp from
     * label-chosen coefficients inside {@link Kernels#softmaxLabelSumsBackward}, the same pass as
     * the softmax backward). The slab of {@link Total#LABEL_COUNTS}, a constant, has no gradient:
     * its entries in grads are ignored.
     */
    public static Tensor classSumsBackward(Tensor x, Terms terms, Tensor grads) {
        return classSumsBackward(x, terms, grads, null);
    }

    /**
     * {@link #classSumsBackward(Tensor, Terms, Tensor)} written into {@code out} (x's shape, not
     * sharing x's array; every element is overwritten), or a new tensor when out is null.
     */
    public static Tensor classSumsBackward(Tensor x, Terms terms, Tensor grads, Tensor out) {
        return backward("classSumsBackward", x, false, terms, grads, out);
    }

    /**
     * The gradient of {@link #classSums} from the softmax p that {@link #classSums(Tensor, Terms, Tensor)}
     * kept: p is overwritten with the gradient with respect to the logits and returned (no
     * exponential in this pass). The same bits as {@link #classSumsBackward}.
     */
    public static Tensor classSumsBackwardFromSoftmax(Tensor p, Terms terms, Tensor grads) {
        return backward("classSumsBackwardFromSoftmax", p, true, terms, grads, p);
    }

    /**
     * The coefficients of {@link Kernels#softmaxLabelSumsBackward} for sample bi from grads gr
     * [M, B, C] (labels' slab first, then P, Q, E, F as present): per class c, with dI, dP, dQ,
     * dE, dF the slabs at (bi, c) (0 when absent),
     * <pre>
     *   off the label: gp = dP + p (2 dQ + 2 dF)
     *   at the label:  gp = dP + dI - 2 dE + p (2 dQ + 2 dE)      (dE's -2 (1 - p), expanded)
     * </pre>
     * into coef [4, C]: off-label constants, at-label constants, off-label slopes, at-label slopes.
     */
    static void labelSumCoefficients(float[] gr, int b, int bi, int c, int nk, boolean plain, boolean squares,
                                             boolean errors, boolean offSquares, float[] coef) {
        for (int ch = 0; ch < c; ch++) {
            int q = nk;
            float dI = gr[bi * c + ch];
            float dP = plain ? gr[((q++) * b + bi) * c + ch] : 0f;
            float dQ2 = squares ? 2f * gr[((q++) * b + bi) * c + ch] : 0f;
            float dE2 = errors ? 2f * gr[((q++) * b + bi) * c + ch] : 0f;
            float dF2 = offSquares ? 2f * gr[(q * b + bi) * c + ch] : 0f;
            coef[ch] = dP;
            coef[c + ch] = dP + dI - dE2;
            coef[2 * c + ch] = dQ2 + dF2;
            coef[3 * c + ch] = dQ2 + dE2;
        }
    }

    /** The backward pass over src, the logits or (softmax) their kept softmax, into out (may be src when softmax). */
    private static Tensor backward(String op, Tensor src, boolean softmax, Terms terms, Tensor grads, Tensor out) {
        Tensor x = src;
        Tensor[] maps = terms.maps().toArray(new Tensor[0]);
        LabelTensor labels = terms.labels();
        int ignore = terms.ignoreIndex();
        Tensor mask = terms.mask();
        Set<Total> tot = terms.totals();
        boolean plain = tot.contains(Total.PROBABILITIES), squares = tot.contains(Total.SQUARES);
        boolean errors = tot.contains(Total.LABEL_SQUARED_ERROR), offSquares = tot.contains(Total.OFF_LABEL_SQUARES);
        int[] d = check(op, x, maps, labels, mask);
        requireLabelsFor(op, terms);
        int b = d[0], c = d[1], sp = d[2];
        int nl = labels != null ? 1 : 0, nk = nl + maps.length;
        int m = terms.count();
        if (!grads.shape.equals(Shape.of(m, b, c))) {
            throw new IllegalArgumentException(op + ": grads must be [" + m + ", " + b + ", " + c
                    + "] (one [B, C] slab per statistic), got " + grads.shape);
        }
        float[] gr = grads.toArray();
        int nch = (sp + CHUNK - 1) / CHUNK, tasks = b * nch;
        Tensor result = softmax ? out : ChannelChunks.gradientOutput(op, x, out);   // every element is written below
        float[] res = result.data;
        int ro = result.offset;
        int labelSums = labelSumStats(terms, c);   // 0: the general path below
        Tensor single = singleMap(terms);          // null: the general path below
        Kernels k = Backend.kernels();
        Parallel.forRange(tasks, Math.max(1, Tensor.GRAIN / (c * CHUNK)), (s, e) -> {
            float[][] sc = scratch(Math.max(c, 2) * CHUNK);
            float[] p = sc[0], gp = sc[1], tmp = sc[2];
            for (int t = s; t < e; t++) {
                int bi = t / nch, j0 = (t % nch) * CHUNK, len = Math.min(CHUNK, sp - j0);
                if (single != null) {
                    // gp = 0 + dS w and the softmax backward in one pass (dS of sample bi: gr[bi * C ..], M = 1)
                    int at = (bi * c) * sp + j0, w = single.offset + at;
                    if (softmax && len > 1) {
                        // in place over the kept p's rows (the result is x here)
                        k.softmaxWeightedSumsBackward(x.data, x.offset + at, c, sp, len, single.data, w, sp, gr, bi * c, x.data, x.offset + at);
                    } else {
                        // one voxel is one contiguous column (the row path, as forward); no kept p: recomputed
                        if (softmax) ChannelChunks.copyRows(x, bi, c, sp, j0, len, p);
                        else softmaxChunk(k, x, bi, c, sp, j0, len, p);
                        k.softmaxWeightedSumsBackward(p, 0, c, len, len, single.data, w, sp, gr, bi * c, p, 0);
                        for (int ch = 0; ch < c; ch++) System.arraycopy(p, ch * len, res, ro + at + ch * sp, len);
                    }
                    continue;
                }
                int lab = labels != null ? labels.offset + bi * sp + j0 : 0;
                if (labelSums != 0) {
                    // gp and the softmax backward in one pass (tmp: the coefficients [4, C] of gp)
                    labelSumCoefficients(gr, b, bi, c, nk, plain, squares, errors, offSquares, tmp);
                    int at = (bi * c) * sp + j0;
                    if (softmax) {
                        // in place over the kept p's rows; one voxel is one scalar column either way
                        k.softmaxLabelSumsBackward(x.data, x.offset + at, c, sp, len, labels.data, lab, tmp, 0, x.data, x.offset + at);
                    } else {
                        softmaxChunk(k, x, bi, c, sp, j0, len, p);
                        k.softmaxLabelSumsBackward(p, 0, c, len, len, labels.data, lab, tmp, 0, p, 0);
                        for (int ch = 0; ch < c; ch++) System.arraycopy(p, ch * len, res, ro + at + ch * sp, len);
                    }
                    continue;
                }
                // p of this task: rows of stride pStride from pBase in pa: the kept softmax read in place
                // (its rows are overwritten only at the end, by the softmax backward), else the scratch
                boolean inPlace = softmax && len > 1;   // one voxel: the compact layout's row path, as forward
                float[] pa = p;
                int pBase = 0, pStride = len;
                if (inPlace) {
                    pa = x.data;
                    pBase = x.offset + (bi * c) * sp + j0;
                    pStride = sp;
                } else if (softmax) {
                    ChannelChunks.copyRows(x, bi, c, sp, j0, len, p);
                } else {
                    softmaxChunk(k, x, bi, c, sp, j0, len, p);
                }
                for (int ch = 0; ch < c; ch++) {
                    // gp_c = mask * (sum_k dS_k w_k + dP + 2 dQ p_c): the gradient w.r.t. p_c
                    int po = ch * len, row = (bi * c + ch) * sp + j0, pr = pBase + ch * pStride;
                    int q = nk;
                    k.fill(gp, po, len, plain ? gr[((q++) * b + bi) * c + ch] : 0f);
                    // dS_0 where the label is ch (the ignore value is no class): the one-hot's triad, exactly
                    if (labels != null && ch != ignore) k.addWhereEqual(labels.data, lab, ch, gr[bi * c + ch], gp, po, gp, po, len);
                    for (int w = nl; w < nk; w++) {
                        k.triad(gp, po, gr[(w * b + bi) * c + ch], maps[w - nl].data, maps[w - nl].offset + row, gp, po, len);
                    }
                    if (squares) k.triad(gp, po, 2f * gr[((q++) * b + bi) * c + ch], pa, pr, gp, po, len);
                    if (errors || offSquares) {
                        // dE: -2 (1 - p) at the voxels labelled ch; dF: 2 p elsewhere (m applied below)
                        float de = errors ? -2f * gr[((q++) * b + bi) * c + ch] : 0f;
                        float df = offSquares ? 2f * gr[(q * b + bi) * c + ch] : 0f;
                        if (ch != ignore) {
                            // gp += de (1 - p) at the voxels labelled ch, df p elsewhere: one pass
                            k.addSquaredErrorGradient(labels.data, lab, ch, de, df, pa, pr, gp, po, len);
                        } else {
                            // the ignore value is no class: df p at every voxel (the mask zeroes the ignored ones)
                            k.zipScalarRight(Binary.MUL, pa, pr, df, tmp, len, len);
                            k.zip(Binary.ADD, gp, po, tmp, len, gp, po, len);
                        }
                    }
                    if (mask != null) k.zip(Binary.MUL, gp, po, mask.data, mask.offset + bi * sp + j0, gp, po, len);
                }
                if (inPlace) {
                    // gz = p * (gp - sum_c p_c gp_c), straight over the kept p's rows (result is x here)
                    k.softmaxBackward(pa, pBase, gp, 0, len, c, sp, len, pa, pBase);
                } else {
                    // gz = p * (gp - sum_c p_c gp_c), in place over gp, then into the result's rows
                    k.softmaxBackward(p, 0, gp, 0, c, len, len, gp, 0);
                    for (int ch = 0; ch < c; ch++) System.arraycopy(gp, ch * len, res, ro + (bi * c + ch) * sp + j0, len);
                }
            }
        });
        return result;
    }

    // ---- confusion sums ----------------------------------------------------------------------

    /** Checks the operands of the confusion sums; returns {B, C, S}. */
    private static int[] checkConfusion(String op, Tensor x, LabelTensor labels) {
        int[] d = ChannelChunks.dims(op, x);
        ChannelChunks.checkLabels(op, x, d, labels);
        return d;
    }

    /**
     * Checks labels[bi, j0 .. j0+len): each in [0, C) or the ignore value. Counted by the vector
     * compare kernels (each label matches at most one class, so the counts add up to len exactly
     * when all are valid); the scalar loop runs only to name the offending label.
     */
    private static void checkChunkLabels(Kernels k, String op, LabelTensor labels, int ignoreIndex, int c, int lab, int len) {
        int inRange = 0;
        for (int g = 0; g < c; g++) inRange += k.countEqual(labels.data, lab, g, len);
        checkChunkLabels(k, op, labels, ignoreIndex, c, lab, len, inRange);
    }

    /**
     * {@link #checkChunkLabels(Kernels, String, LabelTensor, int, int, int, int)} given inRange, the
     * number of the chunk's labels in [0, C) (e.g. counted by {@link Kernels#softmaxConfusionSums}):
     * the ignore value is counted only when some label lies outside [0, C).
     */
    private static void checkChunkLabels(Kernels k, String op, LabelTensor labels, int ignoreIndex, int c, int lab, int len,
                                         int inRange) {
        int matched = inRange;
        if (matched < len && (ignoreIndex < 0 || ignoreIndex >= c)) matched += k.countEqual(labels.data, lab, ignoreIndex, len);
        if (matched == len) return;
        for (int j = 0; j < len; j++) {
            int v = labels.data[lab + j];
            if (v != ignoreIndex && (v < 0 || v >= c)) {
                throw new IllegalArgumentException(op + ": labels must be in [0, " + c + ") or the ignore value "
                        + ignoreIndex + ", got " + v + " at flat index " + (lab - labels.offset + j));
            }
        }
    }

    /**
     * {@link Kernels#softmaxConfusionSums} of task (bi, j0, len) into sums [C * C + 1]; the softmax
     * into keep's rows when keep is given (as {@link #fusedLabelSums}: the kept and the recomputed
     * paths see the same columns, a one-voxel chunk goes through buf in both). Returns the kernel's
     * finiteness sum.
     */
    private static float fusedConfusionSums(Kernels k, Tensor x, int bi, int c, int sp, int j0, int len, Tensor keep, float[] buf,
                                            int[] labels, int lab, float[] sums) {
        int at = (bi * c) * sp + j0;
        if (keep != null && len > 1) {
            return k.softmaxConfusionSums(x.data, x.offset + at, c, sp, len, keep.data, keep.offset + at, labels, lab, sums, 0);
        }
        ChannelChunks.copyRows(x, bi, c, sp, j0, len, buf);
        float finite = k.softmaxConfusionSums(buf, 0, c, len, len, buf, 0, labels, lab, sums, 0);
        if (keep != null) {
            for (int ch = 0; ch < c; ch++) keep.data[keep.offset + at + ch * sp] = buf[ch];
        }
        return finite;
    }

    /**
     * The confusion sums of the logits x {@code [B, C, *spatial]} and labels {@code [B, *spatial]}
     * (values in [0, C) or {@code ignoreIndex}), {@code [B, C, C]}:
     * <pre>
     *   S[b, c, l] = Σ_i [y_bi = c] · softmax_l(x)[b, l, i]       (ignored voxels count for no c)
     * </pre>
     * the predicted mass of class l over the voxels labelled c: per task one
     * {@link Kernels#softmaxConfusionSums} (the softmax, all C x C sums, the count of labels in
     * [0, C) for the labels' check and the finiteness sum from the same loads; each sum the bits of
     * a {@code sumWhereEqual} of the softmax row l against label c, no indicator rows). Gradient:
     * {@link #confusionSumsBackward}.
     */
    public static Tensor confusionSums(Tensor x, LabelTensor labels, int ignoreIndex) {
        return confusionSums(x, labels, ignoreIndex, null, null);
    }

    /**
     * {@link #confusionSums(Tensor, LabelTensor, int)}, keeping the softmax in {@code keep} (x's
     * shape, not sharing x's array; null: not kept) for {@link #confusionSumsBackwardFromSoftmax},
     * and rejecting NaN or infinite logits under the name {@code finiteCheck} (null: no check),
     * each chunk checked while in the cache.
     */
    public static Tensor confusionSums(Tensor x, LabelTensor labels, int ignoreIndex, Tensor keep, String finiteCheck) {
        int[] d = checkConfusion("confusionSums", x, labels);
        if (keep != null) ChannelChunks.gradientOutput("confusionSums", x, keep);   // checks keep's shape and storage
        int b = d[0], c = d[1], sp = d[2], cc = c * c;
        int nch = (sp + CHUNK - 1) / CHUNK, tasks = b * nch;
        double[] part = new double[tasks * cc];   // [task, c, l]
        boolean[] nonFinite = finiteCheck != null ? new boolean[tasks] : null;
        Kernels k = Backend.kernels();
        Parallel.forRange(tasks, Math.max(1, Tensor.GRAIN / (c * CHUNK)), (s, e) -> {
            float[][] sc = scratch(Math.max(c * CHUNK, cc + 1));
            float[] buf = sc[0], sums = sc[1];
            for (int t = s; t < e; t++) {
                int bi = t / nch, j0 = (t % nch) * CHUNK, len = Math.min(CHUNK, sp - j0);
                int lab = labels.offset + bi * sp + j0;
                // the softmax, the C x C sums, the labels' count and the finiteness sum in one pass
                float finite = fusedConfusionSums(k, x, bi, c, sp, j0, len, keep, buf, labels.data, lab, sums);
                checkChunkLabels(k, "confusionSums", labels, ignoreIndex, c, lab, len, (int) sums[cc]);
                if (nonFinite != null) nonFinite[t] = Float.isNaN(finite);
                for (int g = 0; g < c; g++) {
                    if (g == ignoreIndex) continue;   // the ignore value is no class: its row stays 0
                    for (int l = 0; l < c; l++) part[t * cc + g * c + l] = sums[g * c + l];
                }
            }
        });
        if (nonFinite != null) {
            for (boolean bad : nonFinite) {
                if (bad) throw new IllegalArgumentException(finiteCheck + ": input contains NaN or infinity (shape " + x.shape + ")");
            }
        }
        float[] out = new float[b * cc];
        for (int bi = 0; bi < b; bi++) {
            for (int q = 0; q < cc; q++) {
                double acc = 0;
                for (int j = 0; j < nch; j++) acc += part[(bi * nch + j) * cc + q];
                out[bi * cc + q] = (float) acc;
            }
        }
        return Tensor.wrap(out, b, c, c);
    }

    /**
     * The gradient of {@link #confusionSums} with respect to the logits x, from
     * {@code g = dL/dS [B, C, C]}: {@code gp_l = g[b, y_i, l]} (0 at ignored voxels),
     * {@code gx = p ⊙ (gp − Σ_l p_l gp_l)} with p recomputed from x.
     */
    public static Tensor confusionSumsBackward(Tensor x, LabelTensor labels, int ignoreIndex, Tensor g) {
        return confusionSumsBackward(x, labels, ignoreIndex, g, null);
    }

    /** {@link #confusionSumsBackward(Tensor, LabelTensor, int, Tensor)} written into {@code out} (as classSumsBackward's). */
    public static Tensor confusionSumsBackward(Tensor x, LabelTensor labels, int ignoreIndex, Tensor g, Tensor out) {
        return confusionBackward("confusionSumsBackward", x, false, labels, ignoreIndex, g,
                ChannelChunks.gradientOutput("confusionSumsBackward", x, out));
    }

    /**
     * The gradient of {@link #confusionSums} from the softmax p that
     * {@link #confusionSums(Tensor, LabelTensor, int, Tensor, String)} kept: p is overwritten with
     * the gradient with respect to the logits and returned (no exponential in this pass; one
     * {@code softmaxBackwardByLabel} per chunk looks {@code G[b, y, ·]} up by label). The labels are
     * not checked again (the forward pass that kept p did); a label outside [0, C) gets a zero
     * gradient. The same bits as {@link #confusionSumsBackward}.
     */
    public static Tensor confusionSumsBackwardFromSoftmax(Tensor p, LabelTensor labels, int ignoreIndex, Tensor g) {
        return confusionBackward("confusionSumsBackwardFromSoftmax", p, true, labels, ignoreIndex, g, p);
    }

    /** The backward pass over src, the logits or (softmax) their kept softmax, into result (may be src when softmax). */
    private static Tensor confusionBackward(String op, Tensor src, boolean softmax, LabelTensor labels, int ignoreIndex, Tensor g,
                                            Tensor result) {
        int[] d = checkConfusion(op, src, labels);
        int b = d[0], c = d[1], sp = d[2], cc = c * c;
        if (g.size() != b * cc) {
            throw new IllegalArgumentException(op + ": the gradient must be [" + b + ", " + c + ", " + c + "], got " + g.shape());
        }
        float[] gr = g.toArray();
        // per sample, dL/dp_l at a voxel labelled r: G[b, r, l]; the ignored class and row C (no class) 0
        float[][] table = new float[b][(c + 1) * c];
        for (int bi = 0; bi < b; bi++) {
            for (int r = 0; r < c; r++) {
                if (r != ignoreIndex) System.arraycopy(gr, bi * cc + r * c, table[bi], r * c, c);
            }
        }
        int nch = (sp + CHUNK - 1) / CHUNK, tasks = b * nch;
        float[] res = result.data;
        int ro = result.offset;
        Kernels k = Backend.kernels();
        Parallel.forRange(tasks, Math.max(1, Tensor.GRAIN / (c * CHUNK)), (s, e) -> {
            float[][] sc = scratch(c * CHUNK);
            float[] p = sc[0];
            for (int t = s; t < e; t++) {
                int bi = t / nch, j0 = (t % nch) * CHUNK, len = Math.min(CHUNK, sp - j0);
                int lab = labels.offset + bi * sp + j0;
                // the kept softmax's labels were checked by the forward pass that kept it
                if (!softmax) checkChunkLabels(k, op, labels, ignoreIndex, c, lab, len);
                boolean inPlace = softmax && len > 1;   // one voxel: the compact layout's row path, as forward
                if (inPlace) {
                    // gx = p * (gp - Σ_l p_l gp_l), gp_l = G[b, y, l], straight over the kept p's rows (the result is src here)
                    int at = src.offset + (bi * c) * sp + j0;
                    k.softmaxBackwardByLabel(src.data, at, c, sp, len, labels.data, lab, table[bi], src.data, at);
                } else {
                    if (softmax) ChannelChunks.copyRows(src, bi, c, sp, j0, len, p);
                    else softmaxChunk(k, src, bi, c, sp, j0, len, p);
                    // the same over the compact p, in place, then into the result's rows
                    k.softmaxBackwardByLabel(p, 0, c, len, len, labels.data, lab, table[bi], p, 0);
                    for (int l = 0; l < c; l++) System.arraycopy(p, l * len, res, ro + (bi * c + l) * sp + j0, len);
                }
            }
        });
        return result;
    }
}
