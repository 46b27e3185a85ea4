package org.segloss.tensor;

import java.util.Set;
import org.segloss.tensor.SoftmaxSums.Terms;
import org.segloss.tensor.SoftmaxSums.Total;
import org.segloss.tensor.kernel.Kernels;
import org.segloss.tensor.kernel.Kernels.Binary;
import org.segloss.tensor.kernel.Parallel;

/**
 * The exponential logarithmic loss's two statistics of one softmax (Wong et al., MICCAI 2018,
 * arXiv 1809.00076, Sec. 2: L_Dice's region sums and L_Cross's sum) from one pass over the
 * logits {@code x [B, C, *spatial]} each way, for a label map {@code y [B, *spatial]}:
 * <ul>
 * <li>the class sums of {@link SoftmaxSums#classSums} for label terms that take its one-pass path
 *     ({@link #applies}: labels, no weight map, no mask, an ignore value outside [0, C)), the same
 *     bits;</li>
 * <li>{@code Σ_n a[y_n] · max(-log p_{y_n}, minLog)^γ} of {@link SoftmaxExpLog#sum}, the same
 *     bits.</li>
 * </ul>
 * Per task (sample b, a chunk of {@value #CHUNK} voxels) one {@link Kernels#softmaxLabelSums}
 * call gives the softmax (kept in the gradient's array), every class sum, the finiteness check
 * and the softmax's stats (m, log s: the bits of {@code softmaxAndLogSum}); the exp-log term's
 * steps then follow as in SoftmaxExpLog (the pick from the logits and the stats, the term, the
 * per-voxel slope). The backward ({@link #backwardFromSoftmax}) is one
 * {@link Kernels#softmaxLabelSumsBackward(float[], int, int, int, int, int[], int, float[], int, float[], int, float[], int)}
 * per task over the kept p, in place: the region gradient plus the label term's gradient, added
 * as the autograd would add the two ops' gradients, so the result is bit for bit that of
 * {@link SoftmaxSums#classSumsBackwardFromSoftmax} plus {@link SoftmaxExpLog#sumBackwardFromSoftmax}.
 * One softmax, one kept p, one backward pass and no gradient sum per step instead of two, two,
 * two and one. Per-task partials in double, added in increasing task order on the calling
 * thread: the result does not depend on the thread count.
 */
public final class SoftmaxDiceExpLog {
    /** Voxels per task ({@link ChannelChunks#CHUNK}), as SoftmaxSums and SoftmaxExpLog (the same chunks, the same bits). */
    static final int CHUNK = ChannelChunks.CHUNK;

    /** Scratch rows per thread: [0] of C * CHUNK floats (a compact chunk), [1] the [6, C] sums or the [4, C] coefficients, the rest of CHUNK. */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[5][0]);

    /** The softmax's stats per thread: [m, log s] rows of up to CHUNK floats. */
    private static final ThreadLocal<float[]> STATS = ThreadLocal.withInitial(() -> new float[2 * CHUNK]);

    private SoftmaxDiceExpLog() {}

    /** The class sums {@code [M, B, C]} (as {@link SoftmaxSums#classSums}) and the exp-log sum (as {@link SoftmaxExpLog#sum}). */
    public record Sums(Tensor classSums, double crossSum) {}

    /**
     * Whether terms take the one-pass path of {@link SoftmaxSums#classSums} for C classes (the
     * only terms this class takes): labels, no weight map, no mask, an ignore value outside [0, C).
     */
    public static boolean applies(Terms terms, int classes) {
        if (terms == null) throw new IllegalArgumentException("SoftmaxDiceExpLog.applies: terms must not be null");
        if (classes < 1) throw new IllegalArgumentException("SoftmaxDiceExpLog.applies: classes must be >= 1, got " + classes);
        return SoftmaxSums.labelSumStats(terms, classes) != 0;
    }

    private static float[][] scratch(int c) {
        float[][] s = ChannelChunks.scratchRows(SCRATCH, c * CHUNK);
        if (s[1].length < Kernels.LABEL_SUM_SLOTS * c) s[1] = new float[Kernels.LABEL_SUM_SLOTS * c];
        return s;
    }

    /** Checks the operands; returns {B, C, S, stats} (stats: the softmaxLabelSums bits of terms). */
    private static int[] check(String op, Tensor x, Terms terms, float[] coef, float gamma, float minLog) {
        if (terms == null) throw new IllegalArgumentException(op + ": terms must not be null");
        if (terms.labels() == null) {
            throw new IllegalArgumentException(op + ": terms must have labels (Terms.labels), got " + terms.maps().size() + " weight maps");
        }
        int[] d = SoftmaxExpLog.check(op, x, terms.labels(), coef, gamma, minLog);
        int stats = SoftmaxSums.labelSumStats(terms, d[1]);
        if (stats == 0) {
            throw new IllegalArgumentException(op + ": terms must be labels without weight maps or mask and with an ignore value"
                    + " outside [0, " + d[1] + ") (the one-pass sums), got " + terms.maps().size() + " weight maps, mask "
                    + (terms.mask() == null ? "none" : terms.mask().shape) + ", ignore value " + terms.ignoreIndex());
        }
        return new int[] {d[0], d[1], d[2], stats};
    }

    /**
     * The class sums of {@code terms} and {@code Σ_n a[y_n] · max(-log p_{y_n}, minLog)^γ} (0 at
     * labels outside [0, C)) of the logits x against terms' labels, from one softmax per chunk;
     * with {@code keep} (x's shape, not sharing x's array) and {@code slope} ({@code [B, *spatial]}:
     * B · S entries) given, p = softmax_c(x) is written into keep and each voxel's slope
     * {@code a[y_n] · h'(ℓ_n)} into slope, every element, for {@link #backwardFromSoftmax}; both
     * null: nothing kept. Throws as classSums when terms reject non-finite logits.
     *
     * @param terms  labels with totals, {@link #applies} (else IllegalArgumentException)
     * @param coef   the coefficient of each of the C classes, finite
     * @param gamma  the exponent γ, finite and &gt; 0
     * @param minLog the lower clamp of -log p before the power, finite and &gt; 0
     */
    public static Sums sums(Tensor x, Terms terms, float[] coef, float gamma, float minLog, Tensor keep, float[] slope) {
        String op = "SoftmaxDiceExpLog.sums";
        int[] d = check(op, x, terms, coef, gamma, minLog);
        if ((keep == null) != (slope == null)) {
            throw new IllegalArgumentException(op + ": keep and slope must both be given or both be null, got "
                    + (keep == null ? "keep null" : "keep " + keep.shape) + ", " + (slope == null ? "slope null" : "slope of " + slope.length));
        }
        if (keep != null) ChannelChunks.gradientOutput(op, x, keep);   // checks keep's shape and storage
        int b = d[0], c = d[1], sp = d[2], labelSums = d[3];
        if (slope != null && slope.length != b * sp) {
            throw new IllegalArgumentException(op + ": slope must have B * S = " + b * sp + " entries, got " + slope.length);
        }
        LabelTensor labels = terms.labels();
        int m = terms.count();
        int nch = (sp + CHUNK - 1) / CHUNK, tasks = b * nch;
        double[] part = new double[tasks * m * c];   // [task, statistic, channel]
        double[] cross = new double[tasks];
        boolean check = terms.finiteCheck() != null;
        boolean[] nonFinite = check ? new boolean[tasks] : null;
        float[] pickCoef = SoftmaxExpLog.pickCoefficients(coef, terms.ignoreIndex(), c);
        Kernels k = Backend.kernels();
        Parallel.forRange(tasks, Math.max(1, Tensor.GRAIN / (c * CHUNK)), (s, e) -> {
            float[][] sc = scratch(c);
            float[] buf = sc[0], tmp = sc[1];
            float[] stats = STATS.get();   // [m, log s] rows of len
            for (int t = s; t < e; t++) {
                int bi = t / nch, j0 = (t % nch) * CHUNK, len = Math.min(CHUNK, sp - j0);
                int lab = labels.offset + bi * sp + j0, at = (bi * c) * sp + j0;
                // the softmax with its stats, every sum of every class and the finiteness check in one
                // pass (as SoftmaxSums: the strided logits straight into keep, else a compact copy; one
                // voxel, whose compact layout is one contiguous row, through the copy either way)
                float finite = SoftmaxSums.fusedLabelSums(k, x, bi, c, sp, j0, len, keep, buf, labels.data, lab, labelSums, tmp, stats);
                if (check) nonFinite[t] = Float.isNaN(finite);
                SoftmaxSums.copyLabelSums(labelSums, tmp, part, t, m, c);
                // the exp-log term: the pick reads the logits, which the softmax left intact (the
                // compact copy holds p now); per column, so the same bits as from a compact copy
                cross[t] = SoftmaxExpLog.chunkTerms(k, x.data, x.offset + at, c, sp, len, stats, labels.data, lab, pickCoef, gamma,
                        minLog, sc, slope, bi * sp + j0);
            }
        });
        Tensor slabs = SoftmaxSums.reduceParts(terms, x, nonFinite, part, m, b, c, nch);
        double acc = 0;
        for (double v : cross) acc += v;   // fixed order: task by task
        return new Sums(slabs, acc);
    }

    /**
     * The gradient of {@code Σ_q ⟨grads_q, S_q⟩ + scale · crossSum} with respect to x, from the
     * softmax p and the slope that {@link #sums} kept: p is overwritten with
     * <pre>
     *   gx_k = p_k (gp_k − Σ_c p_c gp_c)  +  (p_k · A_n − [k = y_n] · A_n),   A_n = scale · slope_n
     * </pre>
     * (gp from the slabs' gradients as {@link SoftmaxSums#classSumsBackwardFromSoftmax}; the
     * label-count slab has none, its entries are ignored) and returned: one kernel per chunk, no
     * exponential, the bits of the two ops' backward passes added.
     *
     * @param grads {@code [M, B, C]}, one slab per statistic of terms
     * @param scale the gradient of the cross sum, finite
     */
    public static Tensor backwardFromSoftmax(Tensor p, Terms terms, Tensor grads, float[] slope, float scale) {
        String op = "SoftmaxDiceExpLog.backwardFromSoftmax";
        if (terms == null || terms.labels() == null) {
            throw new IllegalArgumentException(op + ": terms must have labels (Terms.labels), got " + (terms == null ? "null" : "none"));
        }
        int[] d = ChannelChunks.dims(op, p);
        ChannelChunks.checkLabels(op, p, d, terms.labels());
        int b = d[0], c = d[1], sp = d[2];
        int labelSums = SoftmaxSums.labelSumStats(terms, c);
        if (labelSums == 0) {
            throw new IllegalArgumentException(op + ": terms must be labels without weight maps or mask and with an ignore value"
                    + " outside [0, " + c + "), got " + terms.maps().size() + " weight maps, mask "
                    + (terms.mask() == null ? "none" : terms.mask().shape) + ", ignore value " + terms.ignoreIndex());
        }
        int m = terms.count();
        if (grads == null || !grads.shape.equals(Shape.of(m, b, c))) {
            throw new IllegalArgumentException(op + ": grads must be [" + m + ", " + b + ", " + c
                    + "] (one [B, C] slab per statistic), got " + (grads == null ? "null" : grads.shape));
        }
        if (slope == null || slope.length != b * sp) {
            throw new IllegalArgumentException(op + ": slope must have B * S = " + b * sp + " entries, got "
                    + (slope == null ? "null" : slope.length));
        }
        if (!Float.isFinite(scale)) throw new IllegalArgumentException(op + ": scale must be finite, got " + scale);
        Set<Total> tot = terms.totals();
        boolean plain = tot.contains(Total.PROBABILITIES), squares = tot.contains(Total.SQUARES);
        boolean errors = tot.contains(Total.LABEL_SQUARED_ERROR), offSquares = tot.contains(Total.OFF_LABEL_SQUARES);
        float[] gr = grads.toArray();
        LabelTensor labels = terms.labels();
        int nch = (sp + CHUNK - 1) / CHUNK, tasks = b * nch;
        Kernels k = Backend.kernels();
        Parallel.forRange(tasks, Math.max(1, Tensor.GRAIN / (c * CHUNK)), (s, e) -> {
            float[][] sc = scratch(c);
            float[] coef = sc[1], a = sc[2];
            for (int t = s; t < e; t++) {
                int bi = t / nch, j0 = (t % nch) * CHUNK, len = Math.min(CHUNK, sp - j0);
                SoftmaxSums.labelSumCoefficients(gr, b, bi, c, 1, plain, squares, errors, offSquares, coef);
                k.zipScalarRight(Binary.MUL, slope, bi * sp + j0, scale, a, 0, len);   // A = scale · slope, as SoftmaxExpLog
                int at = p.offset + (bi * c) * sp + j0;
                // in place over the kept p's rows; one voxel is one scalar column, as both ops
                k.softmaxLabelSumsBackward(p.data, at, c, sp, len, labels.data, labels.offset + bi * sp + j0, coef, 0, a, 0, p.data, at);
            }
        });
        return p;
    }
}
