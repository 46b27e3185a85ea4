package org.segloss.tensor;

/**
 * What the fused softmax ops ({@link SoftmaxSums}, {@link SoftmaxCrossEntropy},
 * {@link SoftmaxFocal}, {@link SoftmaxExpLog}) share: the task partition of logits
 * {@code [B, C, S]} (S = the flattened spatial size) into (sample b, a chunk of {@value #CHUNK}
 * voxels), the copy of a task's C rows into a compact scratch {@code [C, len]} (the softmax kernels
 * read and write with one common row stride), the per-thread scratch rows, the checks of the
 * logits, of a label map against them and of a gradient output. The per-voxel label terms
 * {@code Σ_n a[y_n] · f(log p_{y_n})} (focal, exp-log) take their steps from kernels
 * ({@code softmaxAndLogSum}, {@code pickLogSoftmax}, {@code labelSoftmaxGradient}).
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
}
