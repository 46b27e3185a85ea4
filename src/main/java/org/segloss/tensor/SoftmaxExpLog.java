package org.segloss.tensor;

import org.segloss.tensor.kernel.Kernels;
import org.segloss.tensor.kernel.Kernels.Binary;
import org.segloss.tensor.kernel.Kernels.Unary;
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
 *   G_n  = -s · a[y_n] · γ max(ℓ_n, minLog)^(γ-1) · [ℓ_n ≥ minLog]        (dt/d log p_y)
 *   gx_k = G_n [k = y_n] - p_k G_n  =  s · a[y_n] · h'(ℓ_n) · (p_k - [k = y_n])
 * </pre>
 * the chain rule of the composed graph (log-softmax, gather, negation, clamp, pow, product with
 * the per-voxel weight) evaluated in the same order with the same kernels, so the values agree
 * with it to float32 rounding. The clamp keeps the slope finite as p_y → 1 (for γ &lt; 1 the
 * slope γ ℓ^(γ-1) diverges at ℓ = 0); below it the gradient is exactly 0, at ℓ = minLog it passes,
 * as the composed clamp's.
 *
 * <p>Nothing full-size is stored: the log-probabilities, the gathered -log p, the per-voxel weights
 * and the term map of the composed graph are never made. Work is cut into tasks (sample b, a chunk
 * of {@value #CHUNK} voxels) as in {@link SoftmaxFocal}, with the same shared steps
 * ({@link ChannelChunks}): each task copies its C rows into a compact scratch {@code [C, len]},
 * runs the log-softmax kernel in place and picks the label's row class by class. Per-task partial
 * sums are in double and added in increasing task order on the calling thread: the result does
 * not depend on the thread count.
 */
public final class SoftmaxExpLog {
    /** Voxels per task ({@link ChannelChunks#CHUNK}). */
    static final int CHUNK = ChannelChunks.CHUNK;

    /** Scratch rows per thread: [0], [1] of C * CHUNK floats, the rest of CHUNK floats. */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[7][0]);

    private SoftmaxExpLog() {}

    private static float[][] scratch(int wide) {
        return ChannelChunks.scratchRows(SCRATCH, wide);
    }

    /** Checks the operands; returns {B, C, S}. */
    private static int[] check(String op, Tensor x, LabelTensor labels, float[] coef, float gamma, float minLog) {
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

    /** ℓ = -lp into nl and {@code max(ℓ, minLog)^γ} into f (the power skipped for γ = 1). */
    private static void term(Kernels k, float[] lp, float gamma, float minLog, int len, float[] nl, float[] f) {
        k.map(Unary.NEG, lp, 0, nl, 0, len);
        k.clamp(nl, 0, minLog, Float.POSITIVE_INFINITY, f, 0, len);
        if (gamma != 1f) k.pow(f, 0, gamma, f, 0, len);
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
        return sum(x, labels, ignoreIndex, coef, gamma, minLog, null);
    }

    /**
     * {@link #sum(Tensor, LabelTensor, int, float[], float, float)}, keeping the log-softmax: when
     * {@code keep} (x's shape, not sharing x's array) is given, {@code logSoftmax_c(x)} is written
     * there, every element, the bits this pass computed, so that {@link #sumBackwardFromLogSoftmax}
     * turns it into the gradient in place without a log-softmax of its own (the same bits as
     * {@link #sumBackward}, the composed order of the scale kept).
     */
    public static double sum(Tensor x, LabelTensor labels, int ignoreIndex, float[] coef, float gamma, float minLog, Tensor keep) {
        int[] d = check("SoftmaxExpLog.sum", x, labels, coef, gamma, minLog);
        if (keep != null) ChannelChunks.gradientOutput("SoftmaxExpLog.sum", x, keep);   // checks keep's shape and storage
        int b = d[0], c = d[1], sp = d[2];
        int nch = (sp + CHUNK - 1) / CHUNK, tasks = b * nch;
        double[] part = new double[tasks];
        Kernels k = Backend.kernels();
        Parallel.forRange(tasks, Math.max(1, Tensor.GRAIN / (c * CHUNK)), (s, e) -> {
            float[][] sc = scratch(c * CHUNK);
            float[] logp = sc[0], lp = sc[2], w = sc[3], nl = sc[4], f = sc[5];
            for (int t = s; t < e; t++) {
                int bi = t / nch, j0 = (t % nch) * CHUNK, len = Math.min(CHUNK, sp - j0);
                int lab = labels.offset + bi * sp + j0;
                ChannelChunks.logSoftmaxRows(k, x, bi, c, sp, j0, len, logp);
                if (keep != null) {
                    for (int ch = 0; ch < c; ch++) System.arraycopy(logp, ch * len, keep.data, keep.offset + (bi * c + ch) * sp + j0, len);
                }
                ChannelChunks.pickLabel(k, labels, lab, ignoreIndex, coef, logp, c, len, lp, w);
                term(k, lp, gamma, minLog, len, nl, f);
                part[t] = k.dot(f, 0, w, 0, len);
            }
        });
        double acc = 0;
        for (double v : part) acc += v;   // fixed order: task by task
        return acc;
    }

    /** The gradient of {@code scale · sum(...)} with respect to x (see the class comment), a new tensor. */
    public static Tensor sumBackward(Tensor x, LabelTensor labels, int ignoreIndex, float[] coef, float gamma, float minLog,
                                     float scale) {
        return sumBackward(x, labels, ignoreIndex, coef, gamma, minLog, scale, null);
    }

    /**
     * {@link #sumBackward(Tensor, LabelTensor, int, float[], float, float, float)} written into
     * {@code out} (x's shape, not sharing x's array; every element is overwritten), or a new
     * tensor when out is null.
     */
    public static Tensor sumBackward(Tensor x, LabelTensor labels, int ignoreIndex, float[] coef, float gamma, float minLog,
                                     float scale, Tensor out) {
        return backward("SoftmaxExpLog.sumBackward", x, false, labels, ignoreIndex, coef, gamma, minLog, scale,
                ChannelChunks.gradientOutput("SoftmaxExpLog.sumBackward", x, out));
    }

    /**
     * The gradient of {@code scale · sum(...)} from the log-softmax that
     * {@link #sum(Tensor, LabelTensor, int, float[], float, float, Tensor)} kept: logp is overwritten
     * with the gradient with respect to the logits and returned, no log-softmax in this pass; the
     * same bits as {@link #sumBackward}.
     */
    public static Tensor sumBackwardFromLogSoftmax(Tensor logp, LabelTensor labels, int ignoreIndex, float[] coef, float gamma,
                                                   float minLog, float scale) {
        return backward("SoftmaxExpLog.sumBackwardFromLogSoftmax", logp, true, labels, ignoreIndex, coef, gamma, minLog, scale, logp);
    }

    /** The backward over src: the logits, or (kept) their log-softmax, then result may be src. */
    private static Tensor backward(String op, Tensor src, boolean kept, LabelTensor labels, int ignoreIndex, float[] coef, float gamma,
                                   float minLog, float scale, Tensor result) {
        Tensor x = src;
        int[] d = check(op, x, labels, coef, gamma, minLog);
        int b = d[0], c = d[1], sp = d[2];
        int nch = (sp + CHUNK - 1) / CHUNK, tasks = b * nch;
        float[] res = result.data;
        int ro = result.offset;
        Kernels k = Backend.kernels();
        Parallel.forRange(tasks, Math.max(1, Tensor.GRAIN / (c * CHUNK)), (s, e) -> {
            float[][] sc = scratch(c * CHUNK);
            float[] logp = sc[0], gl = sc[1], lp = sc[2], w = sc[3], nl = sc[4], dh = sc[5], g = sc[6];
            for (int t = s; t < e; t++) {
                int bi = t / nch, j0 = (t % nch) * CHUNK, len = Math.min(CHUNK, sp - j0);
                int lab = labels.offset + bi * sp + j0;
                // the task's log-softmax [C, len]: the kept rows (copied before the gradient overwrites them), or computed
                if (kept) ChannelChunks.copyRows(x, bi, c, sp, j0, len, logp);
                else ChannelChunks.logSoftmaxRows(k, x, bi, c, sp, j0, len, logp);
                ChannelChunks.pickLabel(k, labels, lab, ignoreIndex, coef, logp, c, len, lp, w);
                k.map(Unary.NEG, lp, 0, nl, 0, len);
                // the composed order: (s · a) · max(ℓ, minLog)^(γ-1) · γ, the clamp's mask, the negation
                k.zipScalarRight(Binary.MUL, w, 0, scale, g, 0, len);
                if (gamma != 1f) {
                    k.clamp(nl, 0, minLog, Float.POSITIVE_INFINITY, dh, 0, len);
                    k.pow(dh, 0, gamma - 1f, dh, 0, len);
                    k.zip(Binary.MUL, g, 0, dh, 0, g, 0, len);
                    k.zipScalarRight(Binary.MUL, g, 0, gamma, g, 0, len);
                }
                k.clampGrad(g, 0, nl, 0, minLog, Float.POSITIVE_INFINITY, g, 0, len);
                k.map(Unary.NEG, g, 0, g, 0, len);
                ChannelChunks.labelGradient(k, labels, lab, ignoreIndex, coef, logp, g, bi, c, sp, j0, len, gl, res, ro);
            }
        });
        return result;
    }
}
