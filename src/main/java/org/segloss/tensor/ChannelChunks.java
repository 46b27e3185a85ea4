package org.segloss.tensor;

import org.segloss.tensor.kernel.Kernels;

/**
 * What the fused softmax ops ({@link SoftmaxSums}, {@link SoftmaxCrossEntropy},
 * {@link SoftmaxFocal}, {@link SoftmaxExpLog}) share: the task partition of logits
 * {@code [B, C, S]} (S = the flattened spatial size) into (sample b, a chunk of {@value #CHUNK}
 * voxels), the copy of a task's C rows into a compact scratch {@code [C, len]} (the softmax kernels
 * read and write with one common row stride), the check of the logits against a label map, and
 * the steps of the per-voxel label terms {@code Σ_n a[y_n] · f(log p_{y_n})} (focal, exp-log): the
 * chunk's log-softmax, the pick of the label's log-probability and coefficient, and the backward
 * from {@code dℓ/d log p_y} to the logits.
 */
final class ChannelChunks {
    /** Voxels per task: the scratch of one task is C * CHUNK floats, a few L1/L2 lines per channel. */
    static final int CHUNK = 2048;

    private ChannelChunks() {}

    /**
     * The scratch rows of the current thread in {@code holder}: rows 0 and 1 of at least
     * {@code wide} floats (a task's [C, len] chunks), the others of {@value #CHUNK} (per-voxel rows).
     */
    static float[][] scratchRows(ThreadLocal<float[][]> holder, int wide) {
        float[][] s = holder.get();
        if (s[0].length < wide) {
            s[0] = new float[wide];
            s[1] = new float[wide];
        }
        if (s[2].length < CHUNK) {
            for (int i = 2; i < s.length; i++) s[i] = new float[CHUNK];
        }
        return s;
    }

    /** Copies the C rows of task (bi, j0, len) of x {@code [B, C, S]} into buf {@code [C, len]}. */
    static void copyRows(Tensor x, int bi, int c, int sp, int j0, int len, float[] buf) {
        for (int ch = 0; ch < c; ch++) System.arraycopy(x.data, x.offset + (bi * c + ch) * sp + j0, buf, ch * len, len);
    }

    /** {B, C, S} of logits {@code [B, C, *spatial]}; {@code op} names the caller in the message. */
    static int[] dims(String op, Tensor x) {
        Shape s = x.shape;
        if (s.rank() < 3) throw new IllegalArgumentException(op + ": logits must be [B, C, *spatial], got " + s);
        return new int[] {s.dim(0), s.dim(1), s.product(2, s.rank())};
    }

    /**
     * The tensor a backward writes the whole gradient of logits x into: {@code out} when given
     * (e.g. an array recycled from the previous step; its contents are overwritten), else a new
     * one. {@code out} must have x's shape and must not share x's storage (x is read while the
     * gradient is written).
     */
    static Tensor gradientOutput(String op, Tensor x, Tensor out) {
        if (out == null) return Tensor.zeros(x.shape);
        if (!out.shape.equals(x.shape)) {
            throw new IllegalArgumentException(op + ": out must have the logits' shape " + x.shape + ", got " + out.shape);
        }
        if (out.data == x.data) throw new IllegalArgumentException(op + ": out must not share its array with the logits " + x.shape);
        return out;
    }

    /** Checks that labels (not null) are {@code [B, *spatial]} for logits x of dims d ({@link #dims}). */
    static void checkLabels(String op, Tensor x, int[] d, LabelTensor labels) {
        long n = (long) d[0] * d[2];
        if (labels == null || n != labels.size()) {
            throw new IllegalArgumentException(op + ": labels must be [B, *spatial] (" + n + " elements) for logits "
                    + x.shape + ", got " + (labels == null ? "null" : labels.shape));
        }
    }

    /** Log-softmax over the C rows of task (bi, j0, len) of x into buf {@code [C, len]} (compact rows). */
    static void logSoftmaxRows(Kernels k, Tensor x, int bi, int c, int sp, int j0, int len, float[] buf) {
        copyRows(x, bi, c, sp, j0, len, buf);
        k.logSoftmax(buf, 0, c, len, len, buf, 0);   // in place: out aliases x exactly
    }

    /**
     * The label's log-probability lp and coefficient w of each voxel of a chunk, from its
     * log-softmax logp {@code [C, len]} and the labels at {@code labels.data[lab, lab + len)}; both 0
     * where no class counts (the ignore value, a label outside [0, C), a class with coefficient 0).
     */
    static void pickLabel(Kernels k, LabelTensor labels, int lab, int ignore, float[] coef, float[] logp, int c, int len,
                          float[] lp, float[] w) {
        k.fill(lp, 0, len, 0f);
        k.fill(w, 0, len, 0f);
        for (int ch = 0; ch < c; ch++) {
            if (ch == ignore || coef[ch] == 0f) continue;
            k.selectWhereEqual(labels.data, lab, ch, logp, ch * len, lp, 0, lp, 0, len);
            k.addWhereEqual(labels.data, lab, ch, coef[ch], w, 0, w, 0, len);
        }
    }

    /**
     * The backward of a label term from {@code g = dℓ/d log p_y} per voxel of the chunk: g at the
     * label's channel and 0 elsewhere (the composed gather's scatter), through the log-softmax
     * ({@code gx_k = g [k = y] - p_k g}), written to rows (bi, ·, j0..j0+len) of the array out
     * {@code [B, C, S]} that starts at outOff. logp is the chunk's log-softmax; gl a scratch of
     * C * len floats.
     */
    static void labelGradient(Kernels k, LabelTensor labels, int lab, int ignore, float[] coef, float[] logp, float[] g,
                              int bi, int c, int sp, int j0, int len, float[] gl, float[] out, int outOff) {
        for (int ch = 0; ch < c; ch++) {
            k.fill(gl, ch * len, len, 0f);
            if (ch != ignore && coef[ch] != 0f) k.selectWhereEqual(labels.data, lab, ch, g, 0, gl, ch * len, gl, ch * len, len);
        }
        k.logSoftmaxBackward(logp, 0, gl, 0, c, len, len, gl, 0);
        for (int ch = 0; ch < c; ch++) System.arraycopy(gl, ch * len, out, outOff + (bi * c + ch) * sp + j0, len);
    }
}
