package org.segloss.tensor;

import org.segloss.tensor.kernel.Kernels;
import org.segloss.tensor.kernel.Kernels.Binary;
import org.segloss.tensor.kernel.Parallel;

/**
 * The fused cross-entropy term of the exponential logarithmic loss against a label map (Wong et
 * al., "3D segmentation with exponential logarithmic loss for highly unbalanced object sizes",
 * MICCAI 2018, arXiv 1809.00076, Sec. 2, L_Cross): logits {@code x [B, C, *spatial]}, labels
 * {@code y [B, *spatial]}, a coefficient per class {@code a} (C entries: the class weight of the
 * label; 0 for a class that does not enter). Per voxel n, with {@code ℓ_n = -logSoftmax_c(x)[y_n]}
 * (log-sum-exp form):
 * <pre>
 *   t_n = a[y_n] · max(ℓ_n, minLog)^γ              (γ = 1: a[y_n] · max(ℓ_n, minLog))
 * </pre>
 * and t_n = 0 where the label is the ignore value or outside [0, C). {@link #sum} gives
 * {@code Σ_n t_n}; {@link #sumBackward} its gradient with respect to x times a scale s:
 * <pre>
 *   slope_n = a[y_n] · γ max(ℓ_n, minLog)^(γ-1) · [ℓ_n ≥ minLog]        (-dt/d log p_y)
 *   A_n     = s · slope_n
 *   gx_k    = p_k · A_n - [k = y_n] · A_n  =  s · a[y_n] · h'(ℓ_n) · (p_k - [k = y_n])
 * </pre>
 * with p = softmax_c(x) from the same exponentials as ℓ. The terms are the composed graph's
 * (log-softmax, gather, negation, clamp, pow, product with the per-voxel weight) with the same
 * kernels, so the same bits per voxel; the gradient agrees with the composed graph's to float32
 * rounding (its p_k is the softmax's, the graph's exp(logSoftmax); the slope's power γ - 1 is
 * taken as {@code max(ℓ, minLog)^γ / max(ℓ, minLog)}, the term's own power divided once, and its
 * factors are multiplied in another order). The scale enters A before the subtraction, as in the composed
 * graph: at the label {@code p_y A - A} cancels where p_y → 1, where the slope is largest (about
 * 2·10⁴ at ℓ = 10⁻⁷, γ = 0.3). The clamp keeps the slope finite as p_y → 1 (for γ &lt; 1 the slope
 * γ ℓ^(γ-1) diverges at ℓ = 0); below it the gradient is exactly 0, at ℓ = minLog it passes, as
 * the composed clamp's.
 *
 * <p>Nothing full-size is stored but the softmax, kept in the gradient's array: the
 * log-probabilities, the gathered -log p, the per-voxel weights and the term map of the composed
 * graph are never made; the slope is one float per voxel ([B, *spatial], 1/C of the logits). Work
 * is cut into tasks (sample b, a chunk of {@value #CHUNK} voxels) as in {@link SoftmaxFocal}: per
 * task the softmax and its stats (m, log s) in one kernel, p straight into the kept rows, the
 * label's lp and coefficient picked from the logits and the stats ({@code pickLogSoftmax}), the
 * term and the slope on compact rows. The backward is one kernel per task over the kept p
 * ({@code labelSoftmaxGradient}), in place. Per-task partial sums are in double and added in
 * increasing task order on the calling thread: the result does not depend on the thread count.
 */
public final class SoftmaxExpLog {
    /** Voxels per task ({@link ChannelChunks#CHUNK}). */
    static final int CHUNK = ChannelChunks.CHUNK;

    /** Scratch rows per thread: [0], [1] of C * CHUNK floats, the rest of CHUNK floats. */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[5][0]);

    /** The softmax's stats per thread: [m, log s] rows of up to CHUNK floats. */
    private static final ThreadLocal<float[]> STATS = ThreadLocal.withInitial(() -> new float[2 * CHUNK]);

    private SoftmaxExpLog() {}

    private static float[][] scratch(int wide) {
        return ChannelChunks.scratchRows(SCRATCH, wide);
    }

    /** Checks the operands; returns {B, C, S}. */
    static int[] check(String op, Tensor x, LabelTensor labels, float[] coef, float gamma, float minLog) {
        int[] d = ChannelChunks.dims(op, x);
        ChannelChunks.checkLabels(op, x, d, labels);
        int c = d[1];
        if (coef == null || coef.length != c) {
            throw new IllegalArgumentException(op + ": coef must have C = " + c + " entries, got "
                    + (coef == null ? "null" : coef.length));
        }
        for (int ch = 0; ch < c; ch++) {
            if (!Float.isFinite(coef[ch])) {
                throw new IllegalArgumentException(op + ": coef entries must be finite, got " + coef[ch] + " at class " + ch);
            }
        }
        if (!(gamma > 0f) || Float.isInfinite(gamma)) {
            throw new IllegalArgumentException(op + ": gamma must be finite and > 0, got " + gamma);
        }
        if (!(minLog > 0f) || Float.isInfinite(minLog)) {
            throw new IllegalArgumentException(op + ": minLog must be finite and > 0, got " + minLog);
        }
        return d;
    }

    /**
     * {@code Σ_n t_n} over every voxel (see the class comment), in double.
     *
     * @param ignoreIndex the label of ignored voxels (any value outside [0, C) when none)
     * @param coef        the coefficient of each of the C classes, finite
     * @param gamma       the exponent γ, finite and &gt; 0
     * @param minLog      the lower clamp of -log p before the power, finite and &gt; 0
     */
    public static double sum(Tensor x, LabelTensor labels, int ignoreIndex, float[] coef, float gamma, float minLog) {
        return pass("SoftmaxExpLog.sum", x, labels, ignoreIndex, coef, gamma, minLog, null, null);
    }

    /**
     * {@link #sum(Tensor, LabelTensor, int, float[], float, float)}, keeping what the backward
     * needs: the softmax {@code p = softmax_c(x)} in {@code keep} (x's shape, not sharing x's
     * array; every element written) and each voxel's slope {@code a[y_n] · h'(ℓ_n)} (0 where the
     * voxel counts for nothing) in {@code slope} ({@code [B, *spatial]}: B · S entries, every one
     * written), so that {@link #sumBackwardFromSoftmax} turns p into the gradient in place without
     * an exponential (the same bits as {@link #sumBackward}).
     */
    public static double sum(Tensor x, LabelTensor labels, int ignoreIndex, float[] coef, float gamma, float minLog, Tensor keep,
                             float[] slope) {
        if (keep == null || slope == null) {
            throw new IllegalArgumentException("SoftmaxExpLog.sum: keep and slope must both be given, got "
                    + (keep == null ? "keep null" : "keep " + keep.shape) + ", " + (slope == null ? "slope null" : "slope of " + slope.length));
        }
        return pass("SoftmaxExpLog.sum", x, labels, ignoreIndex, coef, gamma, minLog, keep, slope);
    }

    /** The gradient of {@code scale · sum(...)} with respect to x (see the class comment), a new tensor. */
    public static Tensor sumBackward(Tensor x, LabelTensor labels, int ignoreIndex, float[] coef, float gamma, float minLog,
                                     float scale) {
        return sumBackward(x, labels, ignoreIndex, coef, gamma, minLog, scale, null);
    }

    /**
     * {@link #sumBackward(Tensor, LabelTensor, int, float[], float, float, float)} written into
     * {@code out} (x's shape, not sharing x's array; every element is overwritten), or a new
     * tensor when out is null: the kept pass into out, then {@link #sumBackwardFromSoftmax}.
     */
    public static Tensor sumBackward(Tensor x, LabelTensor labels, int ignoreIndex, float[] coef, float gamma, float minLog,
                                     float scale, Tensor out) {
        int[] d = check("SoftmaxExpLog.sumBackward", x, labels, coef, gamma, minLog);
        Tensor result = ChannelChunks.gradientOutput("SoftmaxExpLog.sumBackward", x, out);
        float[] slope = new float[d[0] * d[2]];
        pass("SoftmaxExpLog.sumBackward", x, labels, ignoreIndex, coef, gamma, minLog, result, slope);
        return sumBackwardFromSoftmax(result, labels, slope, scale);
    }

    /**
     * The gradient of {@code scale · sum(...)} from what
     * {@link #sum(Tensor, LabelTensor, int, float[], float, float, Tensor, float[])} kept: p is
     * overwritten with {@code gx_k = p_k · A_n - [k = y_n] · A_n}, {@code A_n = scale · slope_n},
     * and returned; one kernel per chunk ({@code labelSoftmaxGradient}), no exponential.
     */
    public static Tensor sumBackwardFromSoftmax(Tensor p, LabelTensor labels, float[] slope, float scale) {
        int[] d = ChannelChunks.dims("SoftmaxExpLog.sumBackwardFromSoftmax", p);
        ChannelChunks.checkLabels("SoftmaxExpLog.sumBackwardFromSoftmax", p, d, labels);
        int b = d[0], c = d[1], sp = d[2];
        if (slope == null || slope.length != b * sp) {
            throw new IllegalArgumentException("SoftmaxExpLog.sumBackwardFromSoftmax: slope must have B * S = " + b * sp
                    + " entries, got " + (slope == null ? "null" : slope.length));
        }
        if (!Float.isFinite(scale)) throw new IllegalArgumentException("SoftmaxExpLog.sumBackwardFromSoftmax: scale must be finite, got " + scale);
        int nch = (sp + CHUNK - 1) / CHUNK, tasks = b * nch;
        Kernels k = Backend.kernels();
        Parallel.forRange(tasks, Math.max(1, Tensor.GRAIN / (c * CHUNK)), (s, e) -> {
            float[] a = scratch(c * CHUNK)[2];
            for (int t = s; t < e; t++) {
                int bi = t / nch, j0 = (t % nch) * CHUNK, len = Math.min(CHUNK, sp - j0);
                k.zipScalarRight(Binary.MUL, slope, bi * sp + j0, scale, a, 0, len);
                int at = p.offset + (bi * c) * sp + j0;
                k.labelSoftmaxGradient(p.data, at, c, sp, len, labels.data, labels.offset + bi * sp + j0, a, 0, p.data, at);
            }
        });
        return p;
    }

    /**
     * The pass behind sum and sumBackward: per task the softmax and its stats (m, log s) in one
     * kernel (p straight into keep's rows when kept), the label's log-probability and coefficient
     * picked from the logits and the stats ({@code pickLogSoftmax}), the term and (kept) the slope
     * on the task's compact rows.
     */
    private static double pass(String op, Tensor x, LabelTensor labels, int ignoreIndex, float[] coef, float gamma, float minLog,
                               Tensor keep, float[] slope) {
        int[] d = check(op, x, labels, coef, gamma, minLog);
        if (keep != null) ChannelChunks.gradientOutput(op, x, keep);   // checks keep's shape and storage
        int b = d[0], c = d[1], sp = d[2];
        if (slope != null && slope.length != b * sp) {
            throw new IllegalArgumentException(op + ": slope must have B * S = " + b * sp + " entries, got " + slope.length);
        }
        int nch = (sp + CHUNK - 1) / CHUNK, tasks = b * nch;
        double[] part = new double[tasks];
        // the picked coefficients: the ignore value, when a class index, is no class
        float[] pickCoef = pickCoefficients(coef, ignoreIndex, c);
        Kernels k = Backend.kernels();
        Parallel.forRange(tasks, Math.max(1, Tensor.GRAIN / (c * CHUNK)), (s, e) -> {
            float[][] sc = scratch(c * CHUNK);
            float[] buf = sc[0], p = sc[1];
            float[] stats = STATS.get();   // [m, log s] rows of len
            for (int t = s; t < e; t++) {
                int bi = t / nch, j0 = (t % nch) * CHUNK, len = Math.min(CHUNK, sp - j0);
                int lab = labels.offset + bi * sp + j0, at = (bi * c) * sp + j0;
                // the rows the pick reads: the strided logits (p straight into keep), or a compact
                // copy (nothing kept; one voxel, whose compact layout is one contiguous row: the row
                // kernels' path, as everywhere)
                float[] xa;
                int xBase, stride;
                if (keep != null && len > 1) {
                    k.softmaxAndLogSum(x.data, x.offset + at, c, sp, len, keep.data, keep.offset + at, stats, 0);
                    xa = x.data;
                    xBase = x.offset + at;
                    stride = sp;
                } else {
                    ChannelChunks.copyRows(x, bi, c, sp, j0, len, buf);
                    k.softmaxAndLogSum(buf, 0, c, len, len, p, 0, stats, 0);
                    if (keep != null) {
                        for (int ch = 0; ch < c; ch++) System.arraycopy(p, ch * len, keep.data, keep.offset + at + ch * sp, len);
                    }
                    xa = buf;
                    xBase = 0;
                    stride = len;
                }
                part[t] = chunkTerms(k, xa, xBase, c, stride, len, stats, labels.data, lab, pickCoef, gamma, minLog, sc, slope,
                        bi * sp + j0);
            }
        });
        double acc = 0;
        for (double v : part) acc += v;   // fixed order: task by task
        return acc;
    }

    /** The coefficients the pick uses: coef, with the ignore value's class (when it is a class index) 0. */
    static float[] pickCoefficients(float[] coef, int ignoreIndex, int c) {
        float[] pickCoef = coef.clone();
        if (ignoreIndex >= 0 && ignoreIndex < c) pickCoef[ignoreIndex] = 0f;
        return pickCoef;
    }

    /**
     * The terms of one chunk of len voxels after its softmax stats (m, log s rows of len at
     * stats[0], stats[len]): the label's lp and coefficient picked from the logits (rows of the
     * given stride from xBase in xa), the term, their dot product (returned), and (slope not null)
     * each voxel's slope into slope[so ..]. sc: scratch rows 2..4 of at least len floats.
     */
    static double chunkTerms(Kernels k, float[] xa, int xBase, int c, int stride, int len, float[] stats, int[] labels, int lab,
                             float[] pickCoef, float gamma, float minLog, float[][] sc, float[] slope, int so) {
        float[] lp = sc[2], w = sc[3], f = sc[4];
        k.pickLogSoftmax(xa, xBase, c, stride, len, stats, 0, len, labels, lab, pickCoef, lp, 0, w, 0);
        // the term f = max(ℓ, minLog)^γ, its dot with w and (slope given) a · γ max(ℓ, minLog)^(γ-1),
        // 0 below the clamp (its gradient mask): the power γ - 1 as f / max(ℓ, minLog), one pow per
        // voxel, not two
        return k.expLogTerm(lp, 0, w, 0, gamma, minLog, f, 0, slope, so, len);
    }
}
