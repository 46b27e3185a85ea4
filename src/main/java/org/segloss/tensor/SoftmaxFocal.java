package org.segloss.tensor;

import org.segloss.tensor.kernel.Kernels;
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
 *   G_n  = a[y_n] · (lp · γ q^(γ-1) [floor ≤ q ≤ 1] · exp(lp) - max(q, floor)^γ)   (dℓ/dlp)
 *   A_n  = -s · G_n
 *   gx_k = p_k · A_n - [k = y_n] · A_n          (= s G_n ([k = y_n] - p_k), the log-softmax backward)
 * </pre>
 * with p = softmax_c(x) from the same exponentials as lp. The loss is the composed graph's
 * (log-softmax, product with the one-hot target, exp, 1 - ·, clamp, pow, products) term by
 * term with the same kernels, so the same bits per voxel; the gradient agrees with the composed
 * graph's to float32 rounding (its p_k is the softmax's, the graph's exp(logSoftmax), and s
 * enters before the last product). The floor clamps the factor so that its derivative stays
 * finite at p = 1 (the clamp's gradient is 0 below the floor, as the composed graph's).
 *
 * <p>Nothing full-size is stored but the gradient: the log-probabilities, the one-hot target and
 * the per-voxel loss map of the composed graph are never made. Work is cut into tasks (sample b,
 * a chunk of {@value #CHUNK} voxels), the partition depends on the shape only. Per task: the
 * softmax and its stats (m, log s) in one kernel, p written straight into the gradient's rows;
 * the label's lp and coefficient picked from the logits and the stats ({@code pickLogSoftmax},
 * which also finds NaN or infinite logits); the factor, G and the task's sum in one kernel over
 * compact rows of the task ({@code focalTerm}, with the bits of the kernels it fuses); the
 * gradient from p in one kernel ({@code labelSoftmaxGradient}). Per-task partial sums are in
 * double and added in increasing task order on the calling thread: the result does not depend
 * on the thread count. A forward pass can write the gradient at the scale its backward will
 * need ({@link #sum(Tensor, LabelTensor, int, float[], float, float, Tensor, float, String)}),
 * with the bits of {@link #sumBackward}: one softmax per step.
 */
public final class SoftmaxFocal {
    /** Voxels per task ({@link ChannelChunks#CHUNK}). */
    static final int CHUNK = ChannelChunks.CHUNK;

    /** Scratch rows per thread: [0], [1] of C * CHUNK floats, the rest of CHUNK floats. */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[8][0]);

    /** The softmax's stats per thread: [m, log s] rows of up to CHUNK floats. */
    private static final ThreadLocal<float[]> STATS = ThreadLocal.withInitial(() -> new float[2 * CHUNK]);

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

    /** {@code Σ_n ℓ_n} over every voxel (see the class comment), in double. */
    public static double sum(Tensor x, LabelTensor labels, int ignoreIndex, float[] coef, float gamma, float floor) {
        return pass("SoftmaxFocal.sum", x, labels, ignoreIndex, coef, gamma, floor, null, 1f, null);
    }

    /**
     * {@link #sum(Tensor, LabelTensor, int, float[], float, float)}, and when {@code gradient} (x's
     * shape, not sharing x's array) is given, the gradient of the sum at scale 1 written there,
     * every element, from this pass's own softmax and factor: the bits of {@link #sumBackward} at
     * scale 1, without a second softmax and factor.
     */
    public static double sum(Tensor x, LabelTensor labels, int ignoreIndex, float[] coef, float gamma, float floor, Tensor gradient) {
        return pass("SoftmaxFocal.sum", x, labels, ignoreIndex, coef, gamma, floor, gradient, 1f, null);
    }

    /**
     * {@link #sum(Tensor, LabelTensor, int, float[], float, float, Tensor)} with the gradient written
     * at {@code gradientScale} (finite; the bits of {@link #sumBackward} at that scale), rejecting
     * NaN or infinite logits under the name {@code finiteCheck} (null: no check) from the same pass.
     */
    public static double sum(Tensor x, LabelTensor labels, int ignoreIndex, float[] coef, float gamma, float floor, Tensor gradient,
                             float gradientScale, String finiteCheck) {
        if (!Float.isFinite(gradientScale)) {
            throw new IllegalArgumentException("SoftmaxFocal.sum: gradientScale must be finite, got " + gradientScale);
        }
        return pass("SoftmaxFocal.sum", x, labels, ignoreIndex, coef, gamma, floor, gradient, gradientScale, finiteCheck);
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
        check("SoftmaxFocal.sumBackward", x, labels, coef, gamma, floor);
        Tensor result = ChannelChunks.gradientOutput("SoftmaxFocal.sumBackward", x, out);   // every element is written below
        pass("SoftmaxFocal.sumBackward", x, labels, ignoreIndex, coef, gamma, floor, result, scale, null);
        return result;
    }

    /**
     * The pass behind sum and sumBackward: per task the softmax and its stats (m, log s) in one
     * kernel (p straight into the gradient's rows when one is written), the label's log-probability
     * and coefficient picked from the logits and the stats ({@code pickLogSoftmax}, which also
     * checks the logits), the factor, G and the sum in one kernel over the task's compact rows
     * ({@code focalTerm}), then the gradient from p in one kernel ({@code labelSoftmaxGradient}).
     */
    private static double pass(String op, Tensor x, LabelTensor labels, int ignoreIndex, float[] coef, float gamma, float floor,
                               Tensor gradient, float scale, String finiteCheck) {
        int[] d = check(op, x, labels, coef, gamma, floor);
        if (gradient != null) ChannelChunks.gradientOutput(op, x, gradient);   // checks its shape and storage
        int b = d[0], c = d[1], sp = d[2];
        int nch = (sp + CHUNK - 1) / CHUNK, tasks = b * nch;
        double[] part = new double[tasks];
        boolean[] nonFinite = finiteCheck != null ? new boolean[tasks] : null;
        // the picked coefficients: the ignore value, when a class index, is no class
        float[] pickCoef = coef.clone();
        if (ignoreIndex >= 0 && ignoreIndex < c) pickCoef[ignoreIndex] = 0f;
        Kernels k = Backend.kernels();
        Parallel.forRange(tasks, Math.max(1, Tensor.GRAIN / (c * CHUNK)), (s, e) -> {
            float[][] sc = scratch(c * CHUNK);
            float[] buf = sc[0], p = sc[1], lp = sc[2], w = sc[3], ex = sc[4], q = sc[5], f = sc[6], g = sc[7];
            float[] stats = STATS.get();   // [m, log s] rows of len
            for (int t = s; t < e; t++) {
                int bi = t / nch, j0 = (t % nch) * CHUNK, len = Math.min(CHUNK, sp - j0);
                int lab = labels.offset + bi * sp + j0, at = (bi * c) * sp + j0;
                // the rows the pick reads (xa) and where p lies (pa): the strided logits and the
                // gradient's rows, or compact copies (no gradient; one voxel, whose compact layout is
                // one contiguous row: the row kernels' path, as everywhere)
                float[] xa, pa;
                int xBase, pBase, stride;
                if (gradient != null && len > 1) {
                    k.softmaxAndLogSum(x.data, x.offset + at, c, sp, len, gradient.data, gradient.offset + at, stats, 0);
                    xa = x.data;
                    xBase = x.offset + at;
                    pa = gradient.data;
                    pBase = gradient.offset + at;
                    stride = sp;
                } else {
                    ChannelChunks.copyRows(x, bi, c, sp, j0, len, buf);
                    k.softmaxAndLogSum(buf, 0, c, len, len, p, 0, stats, 0);
                    xa = buf;
                    xBase = 0;
                    pa = p;
                    pBase = 0;
                    stride = len;
                }
                float finite = k.pickLogSoftmax(xa, xBase, c, stride, len, stats, 0, len, labels.data, lab, pickCoef, lp, 0, w, 0);
                if (nonFinite != null) nonFinite[t] = Float.isNaN(finite);
                // the factor, the gradient's coefficient a = -scale · G · w (when a gradient is
                // written) and Σ lp · factor · w in one kernel
                float dot = k.focalTerm(lp, 0, w, 0, gamma, floor, scale, ex, q, f, gradient != null ? g : null, 0, len);
                if (gradient != null) {
                    if (pa == p) {
                        k.labelSoftmaxGradient(p, 0, c, len, len, labels.data, lab, g, 0, p, 0);
                        for (int ch = 0; ch < c; ch++) System.arraycopy(p, ch * len, gradient.data, gradient.offset + at + ch * sp, len);
                    } else {
                        k.labelSoftmaxGradient(pa, pBase, c, stride, len, labels.data, lab, g, 0, pa, pBase);
                    }
                }
                part[t] = -(double) dot;
            }
        });
        if (nonFinite != null) {
            for (boolean bad : nonFinite) {
                if (bad) throw new IllegalArgumentException(finiteCheck + ": input contains NaN or infinity (shape " + x.shape + ")");
            }
        }
        double acc = 0;
        for (double v : part) acc += v;   // fixed order: task by task
        return acc;
    }
}
