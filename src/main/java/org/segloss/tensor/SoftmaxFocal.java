package org.segloss.tensor;

import org.segloss.tensor.kernel.Kernels;
import org.segloss.tensor.kernel.Kernels.Binary;
import org.segloss.tensor.kernel.Kernels.Unary;
import org.segloss.tensor.kernel.Parallel;

/**
 * The fused softmax focal term against a label map (Lin et al., "Focal loss for dense object
 * detection", ICCV 2017, arXiv 1708.02002, Eq. 5): logits {@code x [B, C, *spatial]}, labels
 * {@code y [B, *spatial]}, a coefficient per class {@code a} (C entries: the α and class weights
 * of the label's channel; 0 for a channel that does not enter the loss). Per voxel n with
 * {@code lp = logSoftmax_c(x)[y_n]} (log-sum-exp form) and {@code q = 1 - exp(lp)}:
 * <pre>
 *   ℓ_n = -a[y_n] · max(q, floor)^γ · lp          (γ = 0: ℓ_n = -a[y_n] · lp)
 * </pre>
 * and ℓ_n = 0 where the label is the ignore value or outside [0, C). {@link #sum} gives
 * {@code Σ_n ℓ_n}; {@link #sumBackward} its gradient with respect to x times a scale s:
 * <pre>
 *   G_n  = s · a[y_n] · (lp · γ q^(γ-1) [floor ≤ q ≤ 1] · exp(lp) - max(q, floor)^γ)   (dℓ/dlp)
 *   gx_k = G_n [k = y_n] - p_k G_n                                                 (log-softmax backward)
 * </pre>
 * the chain rule of the composed graph (log-softmax, product with the one-hot target, exp,
 * 1 - ·, clamp, pow, products) evaluated in the same order with the same kernels, so the values
 * agree with it to float32 rounding. The floor clamps the factor so that its derivative stays
 * finite at p = 1 (the clamp's gradient is 0 below the floor, as the composed graph's).
 *
 * <p>Nothing full-size is stored: the log-probabilities, the one-hot target and the per-voxel
 * loss map of the composed graph are never made. Work is cut into tasks (sample b, a chunk of
 * {@value #CHUNK} voxels), the partition depends on the shape only; each task copies its C rows
 * into a compact scratch {@code [C, len]}, runs the log-softmax kernel in place and picks the
 * label's row class by class ({@code selectWhereEqual}, {@code addWhereEqual}). Per-task partial
 * sums are in double and added in increasing task order on the calling thread: the result does
 * not depend on the thread count. The gradient is computed at scale 1 and then multiplied by s,
 * so that a forward pass can write it ({@link #sum(Tensor, LabelTensor, int, float[], float, float,
 * Tensor)}) and a backward only scale it ({@code Tensor.muli}), with the bits of
 * {@link #sumBackward}.
 */
public final class SoftmaxFocal {
    /** Voxels per task ({@link ChannelChunks#CHUNK}). */
    static final int CHUNK = ChannelChunks.CHUNK;

    /** Scratch rows per thread: [0], [1] of C * CHUNK floats, the rest of CHUNK floats. */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[9][0]);

    private SoftmaxFocal() {}

    private static float[][] scratch(int wide) {
        return ChannelChunks.scratchRows(SCRATCH, wide);
    }

    /** Checks the operands; returns {B, C, S}. */
    private static int[] check(String op, Tensor x, LabelTensor labels, float[] coef, float gamma, float floor) {
        int[] d = ChannelChunks.dims(op, x);
        ChannelChunks.checkLabels(op, x, d, labels);
        int b = d[0], c = d[1], sp = d[2];
        if (coef == null || coef.length != c) {
            throw new IllegalArgumentException(op + ": coef must have C = " + c + " entries, got "
                    + (coef == null ? "null" : coef.length));
        }
        if (!(gamma >= 0f) || Float.isInfinite(gamma)) {
            throw new IllegalArgumentException(op + ": gamma must be finite and >= 0, got " + gamma);
        }
        if (!(floor > 0f && floor < 1f)) throw new IllegalArgumentException(op + ": floor must be in (0, 1), got " + floor);
        return new int[] {b, c, sp};
    }

    /**
     * The factor {@code max(1 - exp(lp), floor)^γ} into factor; e = exp(lp) and q = 1 - e (before
     * the clamp) are left in e and q. Skipped for γ = 0 (the factor is 1; callers do not read it).
     */
    private static void factor(Kernels k, float[] lp, float gamma, float floor, int len, float[] e, float[] q, float[] factor) {
        k.map(Unary.EXP, lp, 0, e, 0, len);
        k.zipScalarLeft(Binary.SUB, 1f, e, 0, q, 0, len);
        k.clamp(q, 0, floor, 1f, factor, 0, len);
        k.pow(factor, 0, gamma, factor, 0, len);
    }

    /** {@code Σ_n ℓ_n} over every voxel (see the class comment), in double. */
    public static double sum(Tensor x, LabelTensor labels, int ignoreIndex, float[] coef, float gamma, float floor) {
        return sum(x, labels, ignoreIndex, coef, gamma, floor, null);
    }

    /**
     * {@link #sum(Tensor, LabelTensor, int, float[], float, float)}, and when {@code gradient} (x's
     * shape, not sharing x's array) is given, the gradient of the sum at scale 1 written there,
     * every element, from this pass's own log-softmax and factor: {@code Tensor.muli} then
     * makes it the gradient at any scale, the bits of {@link #sumBackward} at that scale, without
     * a second log-softmax and factor.
     */
    public static double sum(Tensor x, LabelTensor labels, int ignoreIndex, float[] coef, float gamma, float floor, Tensor gradient) {
        int[] d = check("SoftmaxFocal.sum", x, labels, coef, gamma, floor);
        if (gradient != null) ChannelChunks.gradientOutput("SoftmaxFocal.sum", x, gradient);   // checks its shape and storage
        int b = d[0], c = d[1], sp = d[2];
        int nch = (sp + CHUNK - 1) / CHUNK, tasks = b * nch;
        double[] part = new double[tasks];
        Kernels k = Backend.kernels();
        Parallel.forRange(tasks, Math.max(1, Tensor.GRAIN / (c * CHUNK)), (s, e) -> {
            float[][] sc = scratch(c * CHUNK);
            float[] logp = sc[0], gl = sc[1], lp = sc[2], w = sc[3], ex = sc[4], q = sc[5], f = sc[6], dq = sc[7], g = sc[8];
            for (int t = s; t < e; t++) {
                int bi = t / nch, j0 = (t % nch) * CHUNK, len = Math.min(CHUNK, sp - j0);
                int lab = labels.offset + bi * sp + j0;
                ChannelChunks.logSoftmaxRows(k, x, bi, c, sp, j0, len, logp);
                ChannelChunks.pickLabel(k, labels, lab, ignoreIndex, coef, logp, c, len, lp, w);
                if (gamma != 0f) factor(k, lp, gamma, floor, len, ex, q, f);
                if (gradient != null) {
                    // before lp is scaled by the factor below: the backward's G from lp, e, q and the factor
                    unscaledChunkGradient(k, labels, lab, ignoreIndex, coef, gamma, floor, logp, lp, w, ex, q, f, dq, g, gl,
                            bi, c, sp, j0, len, gradient.data, gradient.offset);
                }
                if (gamma != 0f) k.zip(Binary.MUL, lp, 0, f, 0, lp, 0, len);   // lp · factor
                part[t] = -(double) k.dot(lp, 0, w, 0, len);
            }
        });
        double acc = 0;
        for (double v : part) acc += v;
        return acc;
    }

    /** The gradient of {@code scale · sum(...)} with respect to x (see the class comment), a new tensor. */
    public static Tensor sumBackward(Tensor x, LabelTensor labels, int ignoreIndex, float[] coef, float gamma, float floor,
                                     float scale) {
        return sumBackward(x, labels, ignoreIndex, coef, gamma, floor, scale, null);
    }

    /**
     * {@link #sumBackward(Tensor, LabelTensor, int, float[], float, float, float)} written into
     * {@code out} (x's shape, not sharing x's array; every element is overwritten), or a new
     * tensor when out is null.
     */
    public static Tensor sumBackward(Tensor x, LabelTensor labels, int ignoreIndex, float[] coef, float gamma, float floor,
                                     float scale, Tensor out) {
        int[] d = check("SoftmaxFocal.sumBackward", x, labels, coef, gamma, floor);
        int b = d[0], c = d[1], sp = d[2];
        int nch = (sp + CHUNK - 1) / CHUNK, tasks = b * nch;
        Tensor result = ChannelChunks.gradientOutput("SoftmaxFocal.sumBackward", x, out);   // every element is written below
        float[] res = result.data;
        int ro = result.offset;
        Kernels k = Backend.kernels();
        Parallel.forRange(tasks, Math.max(1, Tensor.GRAIN / (c * CHUNK)), (s, e) -> {
            float[][] sc = scratch(c * CHUNK);
            float[] logp = sc[0], gl = sc[1], lp = sc[2], w = sc[3], ex = sc[4], q = sc[5], f = sc[6], dq = sc[7], g = sc[8];
            for (int t = s; t < e; t++) {
                int bi = t / nch, j0 = (t % nch) * CHUNK, len = Math.min(CHUNK, sp - j0);
                int lab = labels.offset + bi * sp + j0;
                ChannelChunks.logSoftmaxRows(k, x, bi, c, sp, j0, len, logp);
                ChannelChunks.pickLabel(k, labels, lab, ignoreIndex, coef, logp, c, len, lp, w);
                if (gamma != 0f) factor(k, lp, gamma, floor, len, ex, q, f);
                unscaledChunkGradient(k, labels, lab, ignoreIndex, coef, gamma, floor, logp, lp, w, ex, q, f, dq, g, gl,
                        bi, c, sp, j0, len, res, ro);
                if (scale != 1f) {
                    for (int ch = 0; ch < c; ch++) {
                        int row = ro + (bi * c + ch) * sp + j0;
                        k.zipScalarRight(Binary.MUL, res, row, scale, res, row, len);
                    }
                }
            }
        });
        return result;
    }

    /**
     * The gradient of the sum at scale 1 for task (bi, j0, len), into rows (bi, ·, j0..j0+len) of
     * out {@code [B, C, S]} from outOff: G = (lp · γ q^(γ-1) [floor ≤ q ≤ 1] · e - factor) · w, then
     * through the pick and the log-softmax. lp, w, e, q and the factor are the task's
     * (from {@link #factor}, before lp is multiplied by the factor); dq, g, gl scratch.
     */
    private static void unscaledChunkGradient(Kernels k, LabelTensor labels, int lab, int ignoreIndex, float[] coef, float gamma,
                                              float floor, float[] logp, float[] lp, float[] w, float[] ex, float[] q, float[] f,
                                              float[] dq, float[] g, float[] gl, int bi, int c, int sp, int j0, int len,
                                              float[] out, int outOff) {
        if (gamma != 0f) {
            k.clamp(q, 0, floor, 1f, dq, 0, len);
            k.pow(dq, 0, gamma - 1f, dq, 0, len);
            k.zipScalarRight(Binary.MUL, dq, 0, gamma, dq, 0, len);
            k.clampGrad(dq, 0, q, 0, floor, 1f, dq, 0, len);
            k.zip(Binary.MUL, lp, 0, dq, 0, g, 0, len);
            k.zip(Binary.MUL, g, 0, ex, 0, g, 0, len);
            k.zip(Binary.SUB, g, 0, f, 0, g, 0, len);
        } else {
            k.fill(g, 0, len, -1f);
        }
        k.zip(Binary.MUL, g, 0, w, 0, g, 0, len);
        // dℓ/dlp_k: G at the label's channel, 0 elsewhere; then gx = gl - p Σ_k gl_k
        ChannelChunks.labelGradient(k, labels, lab, ignoreIndex, coef, logp, g, bi, c, sp, j0, len, gl, out, outOff);
    }
}
