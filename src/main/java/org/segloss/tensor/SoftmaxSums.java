package org.segloss.tensor;

import org.segloss.tensor.kernel.Kernels;
import org.segloss.tensor.kernel.Kernels.Binary;
import org.segloss.tensor.kernel.Parallel;

/**
 * The loops behind {@link Tensor#softmaxClassSums} and {@link Tensor#softmaxClassSumsBackward}:
 * softmax over the channel axis of logits {@code [B, C, S]} (S = the flattened spatial size),
 * fused with per-(b, c) sums, so that no full-size probability tensor is ever made.
 *
 * <p>Work is cut into tasks (sample b, a chunk of {@value #CHUNK} voxels); the partition depends
 * on the shape only. Each task copies its C rows of logits into a compact scratch
 * {@code [C, len]} (the softmax kernel reads and writes with one common row stride), runs the
 * softmax kernel in place, and reduces with the dot / sum kernels (float lanes over at most
 * {@value #CHUNK} elements). The per-task partials are added in double, chunk by chunk in
 * increasing order, on the calling thread: the result does not depend on the thread count.
 */
final class SoftmaxSums {
    /** Voxels per task: the scratch of one task is C * CHUNK floats, a few L1/L2 lines per channel. */
    static final int CHUNK = 2048;

    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[3][0]);

    private SoftmaxSums() {}

    /** The three scratch buffers of the current thread, each of at least n floats. */
    private static float[][] scratch(int n) {
        float[][] s = SCRATCH.get();
        if (s[0].length < n) {
            for (int i = 0; i < s.length; i++) s[i] = new float[n];
        }
        return s;
    }

    /**
     * The one-hot form of labels[bi, j0 .. j0+len) into buf [C, len], as {@link LabelTensor#oneHot(int, int)}:
     * the ignore value (and any label outside [0, C)) gives a zero column.
     */
    private static void oneHotChunk(LabelTensor labels, int ignore, int bi, int c, int sp, int j0, int len, float[] buf) {
        java.util.Arrays.fill(buf, 0, c * len, 0f);
        int lo = labels.offset + bi * sp + j0;
        for (int j = 0; j < len; j++) {
            int v = labels.data[lo + j];
            if (v != ignore && v >= 0 && v < c) buf[v * len + j] = 1f;
        }
    }

    /** Checks the operands; returns {B, C, S}. */
    static int[] check(String op, Tensor x, Tensor[] maps, LabelTensor labels, Tensor mask) {
        Shape s = x.shape;
        if (s.rank() < 3) throw new IllegalArgumentException(op + ": logits must be [B, C, *spatial], got " + s);
        int b = s.dim(0), c = s.dim(1), sp = s.product(2, s.rank());
        for (int k = 0; k < maps.length; k++) {
            if (maps[k] == null || !maps[k].shape.equals(s)) {
                throw new IllegalArgumentException(op + ": map " + k + " must have the logits' shape " + s + ", got "
                        + (maps[k] == null ? "null" : maps[k].shape));
            }
        }
        if (labels != null && labels.size() != b * sp) {
            throw new IllegalArgumentException(op + ": labels must be [B, *spatial] (" + b * sp + " elements) for logits "
                    + s + ", got " + labels.shape);
        }
        if (mask != null && mask.size() != b * sp) {
            throw new IllegalArgumentException(op + ": mask must be [B, 1, *spatial] (" + b * sp + " elements) for logits "
                    + s + ", got " + mask.shape);
        }
        return new int[] {b, c, sp};
    }

    /** Softmax of task (bi, j0, len) into buf [C, len] (compact rows). */
    private static void softmaxChunk(Kernels k, Tensor x, int bi, int c, int sp, int j0, int len, float[] buf) {
        for (int ch = 0; ch < c; ch++) System.arraycopy(x.data, x.offset + (bi * c + ch) * sp + j0, buf, ch * len, len);
        k.softmax(buf, 0, c, len, len, buf, 0);   // in place: out aliases x exactly
    }

    static Tensor forward(Tensor x, Tensor[] maps, LabelTensor labels, int ignore, Tensor mask, boolean plain, boolean squares) {
        int[] d = check("softmaxClassSums", x, maps, labels, mask);
        int b = d[0], c = d[1], sp = d[2];
        int nl = labels != null ? 1 : 0, nk = nl + maps.length, m = nk + (plain ? 1 : 0) + (squares ? 1 : 0);
        int nch = (sp + CHUNK - 1) / CHUNK, tasks = b * nch;
        double[] part = new double[tasks * m * c];   // [task, statistic, channel]
        Kernels k = Backend.kernels();
        Parallel.forRange(tasks, Math.max(1, Tensor.GRAIN / (c * CHUNK)), (s, e) -> {
            float[][] sc = scratch(c * CHUNK);
            float[] buf = sc[0], hot = sc[2];
            for (int t = s; t < e; t++) {
                int bi = t / nch, j0 = (t % nch) * CHUNK, len = Math.min(CHUNK, sp - j0);
                softmaxChunk(k, x, bi, c, sp, j0, len, buf);
                if (labels != null) oneHotChunk(labels, ignore, bi, c, sp, j0, len, hot);
                int base = t * m * c;
                for (int ch = 0; ch < c; ch++) {
                    int po = ch * len;
                    if (mask != null) k.zip(Binary.MUL, buf, po, mask.data, mask.offset + bi * sp + j0, buf, po, len);
                    int row = (bi * c + ch) * sp + j0;
                    if (labels != null) part[base + ch] = k.dot(buf, po, hot, po, len);
                    for (int q = nl; q < nk; q++) part[base + q * c + ch] = k.dot(buf, po, maps[q - nl].data, maps[q - nl].offset + row, len);
                    int q = nk;
                    if (plain) part[base + (q++) * c + ch] = k.sum(buf, po, len);
                    if (squares) part[base + q * c + ch] = k.dot(buf, po, buf, po, len);
                }
            }
        });
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

    static Tensor backward(Tensor x, Tensor[] maps, LabelTensor labels, int ignore, Tensor mask, boolean plain, boolean squares,
                           Tensor grads) {
        int[] d = check("softmaxClassSumsBackward", x, maps, labels, mask);
        int b = d[0], c = d[1], sp = d[2];
        int nl = labels != null ? 1 : 0, nk = nl + maps.length, m = nk + (plain ? 1 : 0) + (squares ? 1 : 0);
        if (!grads.shape.equals(Shape.of(m, b, c))) {
            throw new IllegalArgumentException("softmaxClassSumsBackward: grads must be [" + m + ", " + b + ", " + c
                    + "] (one [B, C] slab per statistic), got " + grads.shape);
        }
        float[] gr = grads.toArray();
        int nch = (sp + CHUNK - 1) / CHUNK, tasks = b * nch;
        Tensor res = Tensor.zeros(x.shape);
        Kernels k = Backend.kernels();
        Parallel.forRange(tasks, Math.max(1, Tensor.GRAIN / (c * CHUNK)), (s, e) -> {
            float[][] sc = scratch(c * CHUNK);
            float[] p = sc[0], gp = sc[1], hot = sc[2];
            for (int t = s; t < e; t++) {
                int bi = t / nch, j0 = (t % nch) * CHUNK, len = Math.min(CHUNK, sp - j0);
                softmaxChunk(k, x, bi, c, sp, j0, len, p);
                if (labels != null) oneHotChunk(labels, ignore, bi, c, sp, j0, len, hot);
                for (int ch = 0; ch < c; ch++) {
                    // gp_c = mask * (sum_k dS_k w_k + dP + 2 dQ p_c): the gradient w.r.t. p_c
                    int po = ch * len, row = (bi * c + ch) * sp + j0;
                    int q = nk;
                    k.fill(gp, po, len, plain ? gr[((q++) * b + bi) * c + ch] : 0f);
                    if (labels != null) k.triad(gp, po, gr[bi * c + ch], hot, po, gp, po, len);
                    for (int w = nl; w < nk; w++) {
                        k.triad(gp, po, gr[(w * b + bi) * c + ch], maps[w - nl].data, maps[w - nl].offset + row, gp, po, len);
                    }
                    if (squares) k.triad(gp, po, 2f * gr[(q * b + bi) * c + ch], p, po, gp, po, len);
                    if (mask != null) k.zip(Binary.MUL, gp, po, mask.data, mask.offset + bi * sp + j0, gp, po, len);
                }
                // gz = p * (gp - sum_c p_c gp_c), in place over gp
                k.softmaxBackward(p, 0, gp, 0, c, len, len, gp, 0);
                for (int ch = 0; ch < c; ch++) System.arraycopy(gp, ch * len, res.data, (bi * c + ch) * sp + j0, len);
            }
        });
        return res;
    }
}
