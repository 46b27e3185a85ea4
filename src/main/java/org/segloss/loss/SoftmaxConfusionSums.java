package org.segloss.loss;

import java.util.Arrays;
import org.segloss.autograd.Ctx;
import org.segloss.autograd.Function;
import org.segloss.autograd.Var;
import org.segloss.tensor.Backend;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;
import org.segloss.tensor.kernel.Kernels;
import org.segloss.tensor.kernel.Parallel;

/**
 * The softmax confusion sums as one differentiable op (a custom {@link Function}): input logits
 * {@code x [B, C, *spatial]}, constant labels {@code y [B, *spatial]}, output {@code [B, C, C]}
 * <pre>
 *   S[b, c, l] = Σ_i [y_bi = c] · softmax_l(x)[b, l, i]       (ignored voxels count for no c)
 * </pre>
 * the predicted mass of class l over the voxels labelled c. These are sufficient statistics for
 * every loss that is a function of per-voxel terms {@code f(y_i, p_i)} linear in p_i with
 * coefficients chosen by the label (the generalised Wasserstein Dice loss: W_i = Σ_l M[y_i, l] p_il).
 *
 * <p>Forward: one pass over tasks (sample b, a chunk of {@value #CHUNK} voxels; the partition
 * depends on the shape only): the chunk's C rows of logits are copied into a compact scratch
 * {@code [C, len]}, the softmax kernel runs in place, and for every label c present in the chunk
 * the C dot products with its indicator row. Partials are kept per task in double and added chunk
 * by chunk in increasing order on the calling thread: the result does not depend on the thread
 * count. Backward from {@code G = dL/dS}: {@code gp_l = G[b, y_i, l]} (0 at ignored voxels),
 * {@code gx = p ⊙ (gp − Σ_l p_l gp_l)} with p recomputed from x; the full-size probabilities are
 * never stored.
 */
final class SoftmaxConfusionSums extends Function {
    /** Voxels per task (as {@code SoftmaxSums}): the scratch of one task is C · CHUNK floats per buffer. */
    static final int CHUNK = 2048;
    private static final int GRAIN = 1 << 14;
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[3][0]);

    private final LabelTensor labels;
    private final int ignoreIndex;

    /**
     * @param labels      {@code [B, *spatial]}, values in [0, C) or {@code ignoreIndex}
     * @param ignoreIndex the label of ignored voxels (any value outside [0, C) when none)
     */
    SoftmaxConfusionSums(LabelTensor labels, int ignoreIndex) {
        if (labels == null) throw new IllegalArgumentException("SoftmaxConfusionSums: labels must not be null");
        this.labels = labels;
        this.ignoreIndex = ignoreIndex;
    }

    /** {@code S [B, C, C]} of the logits {@code [B, C, *spatial]} and the label map. */
    static Var of(Var logits, LabelTensor labels, int ignoreIndex) {
        return new SoftmaxConfusionSums(labels, ignoreIndex).apply(logits);
    }

    private static float[][] scratch(int n) {
        float[][] s = SCRATCH.get();
        if (s[0].length < n) {
            for (int i = 0; i < s.length; i++) s[i] = new float[n];
        }
        return s;
    }

    /** Checks the operands; returns {B, C, S}. */
    private int[] check(Shape s) {
        if (s.rank() < 3) throw new IllegalArgumentException("SoftmaxConfusionSums: logits must be [B, C, *spatial], got " + s);
        int b = s.dim(0), c = s.dim(1), sp = s.product(2, s.rank());
        if ((long) b * sp != labels.size()) {
            throw new IllegalArgumentException("SoftmaxConfusionSums: labels must be [B, *spatial] (" + (long) b * sp
                    + " elements) for logits " + s + ", got " + labels.shape());
        }
        return new int[] {b, c, sp};
    }

    /**
     * The indicator rows of labels[bi, j0 .. j0+len) into hot [C, len] (ignored voxels: a zero
     * column); present[c] tells whether label c occurs in the chunk. Throws on a label outside
     * [0, C) that is not the ignore value.
     */
    private void indicators(int bi, int c, int sp, int j0, int len, float[] hot, boolean[] present) {
        Arrays.fill(hot, 0, c * len, 0f);
        Arrays.fill(present, false);
        int lo = bi * sp + j0;
        for (int j = 0; j < len; j++) {
            int v = labels.at(lo + j);
            if (v == ignoreIndex) continue;
            if (v < 0 || v >= c) {
                throw new IllegalArgumentException("SoftmaxConfusionSums: labels must be in [0, " + c + ") or the ignore value "
                        + ignoreIndex + ", got " + v + " at flat index " + (lo + j));
            }
            hot[v * len + j] = 1f;
            present[v] = true;
        }
    }

    /** Softmax of task (bi, j0, len) into buf [C, len] (compact rows). */
    private static void softmaxChunk(Kernels k, Tensor x, int bi, int c, int sp, int j0, int len, float[] buf) {
        for (int ch = 0; ch < c; ch++) x.copyTo((bi * c + ch) * sp + j0, buf, ch * len, len);
        k.softmax(buf, 0, c, len, len, buf, 0);
    }

    @Override
    protected Tensor forward1(Ctx ctx, Tensor... in) {
        Tensor x = in[0];
        int[] d = check(x.shape());
        int b = d[0], c = d[1], sp = d[2], cc = c * c;
        int nch = (sp + CHUNK - 1) / CHUNK, tasks = b * nch;
        double[] part = new double[tasks * cc];   // [task, c, l]
        Kernels k = Backend.kernels();
        Parallel.forRange(tasks, Math.max(1, GRAIN / (c * CHUNK)), (s, e) -> {
            float[][] sc = scratch(c * CHUNK);
            float[] p = sc[0], hot = sc[2];
            boolean[] present = new boolean[c];
            for (int t = s; t < e; t++) {
                int bi = t / nch, j0 = (t % nch) * CHUNK, len = Math.min(CHUNK, sp - j0);
                softmaxChunk(k, x, bi, c, sp, j0, len, p);
                indicators(bi, c, sp, j0, len, hot, present);
                for (int g = 0; g < c; g++) {
                    if (!present[g]) continue;
                    for (int l = 0; l < c; l++) part[t * cc + g * c + l] = k.dot(p, l * len, hot, g * len, len);
                }
            }
        });
        float[] out = new float[b * cc];
        for (int bi = 0; bi < b; bi++) {
            for (int q = 0; q < cc; q++) {
                double acc = 0;
                for (int j = 0; j < nch; j++) acc += part[(bi * nch + j) * cc + q];
                out[bi * cc + q] = (float) acc;
            }
        }
        ctx.saveForBackward(x);
        return Tensor.wrap(out, b, c, c);
    }

    @Override
    protected Tensor[] backward1(Ctx ctx, Tensor g) {
        if (!ctx.needsInputGrad(0)) return new Tensor[] {null};
        Tensor x = ctx.saved(0);
        int[] d = check(x.shape());
        int b = d[0], c = d[1], sp = d[2], cc = c * c;
        if (g.size() != b * cc) {
            throw new IllegalArgumentException("SoftmaxConfusionSums: the gradient must be [" + b + ", " + c + ", " + c + "], got "
                    + g.shape());
        }
        float[] gr = g.toArray();
        int nch = (sp + CHUNK - 1) / CHUNK, tasks = b * nch;
        float[] res = new float[x.size()];
        Kernels k = Backend.kernels();
        Parallel.forRange(tasks, Math.max(1, GRAIN / (c * CHUNK)), (s, e) -> {
            float[][] sc = scratch(c * CHUNK);
            float[] p = sc[0], gp = sc[1], hot = sc[2];
            boolean[] present = new boolean[c];
            for (int t = s; t < e; t++) {
                int bi = t / nch, j0 = (t % nch) * CHUNK, len = Math.min(CHUNK, sp - j0);
                softmaxChunk(k, x, bi, c, sp, j0, len, p);
                indicators(bi, c, sp, j0, len, hot, present);
                for (int l = 0; l < c; l++) {
                    // gp_l = Σ_c G[b, c, l] [y = c]: the gradient w.r.t. p_l
                    int po = l * len;
                    k.fill(gp, po, len, 0f);
                    for (int q = 0; q < c; q++) {
                        if (present[q]) k.triad(gp, po, gr[bi * cc + q * c + l], hot, q * len, gp, po, len);
                    }
                }
                // gx = p * (gp - Σ_l p_l gp_l), in place over gp
                k.softmaxBackward(p, 0, gp, 0, c, len, len, gp, 0);
                for (int l = 0; l < c; l++) System.arraycopy(gp, l * len, res, (bi * c + l) * sp + j0, len);
            }
        });
        return new Tensor[] {Tensor.wrap(res, x.shape().dims())};
    }
}
