package org.segloss.tensor;

import java.util.Arrays;
import org.segloss.tensor.kernel.Kernels;
import org.segloss.tensor.kernel.Kernels.Binary;
import org.segloss.tensor.kernel.Parallel;

/**
 * The reduction scheduler behind {@link Tensor#sum}, {@link Tensor#max}, {@link Tensor#min},
 * {@link Tensor#sumTo} and {@link Tensor#sumDouble}: groups the reduced axes into one
 * [outer, n, inner] view and cuts it into tasks whose partition depends on the shape only.
 */
final class Reductions {
    /**
     * The fixed partition of reductions: blocks of this many elements are summed in float lanes,
     * the block sums in double, in a fixed order. The partition does not depend on the thread
     * count, so neither does any result.
     */
    static final int BLOCK = 4096;

    private Reductions() {}

    enum Reduce { SUM, MAX, MIN }

    static Tensor reduce(Tensor x, Reduce op, int[] axesIn, boolean keepDims, String name) {
        int[] axes = x.shape.axes(axesIn, name);
        Shape outShape = x.shape.reduce(axes, keepDims);
        boolean[] red = new boolean[x.rank()];
        for (int a : axes) red[a] = true;
        if (op != Reduce.SUM) {
            for (int a : axes) {
                if (x.shape.dim(a) == 0) throw new IllegalArgumentException(name + ": cannot reduce the empty axis " + a + " of " + x.shape);
            }
        }
        // Group the axes (size-1 axes dropped) into runs of reduced / kept axes.
        int groups = 0, reducedGroups = 0;
        int prev = -1;
        for (int i = 0; i < x.rank(); i++) {
            if (x.shape.dim(i) == 1) continue;
            int kind = red[i] ? 1 : 0;
            if (kind != prev) {
                groups++;
                if (kind == 1) reducedGroups++;
                prev = kind;
            }
        }
        Tensor src = x;
        int outer, n, inner;
        if (reducedGroups <= 1) {
            int first = -1, last = -1;
            for (int i = 0; i < x.rank(); i++) {
                if (red[i] && x.shape.dim(i) != 1) {
                    if (first < 0) first = i;
                    last = i;
                }
            }
            if (first < 0) return new Tensor(x.toArray(), 0, outShape);   // only size-1 axes reduced
            outer = x.shape.product(0, first);
            n = x.shape.product(first, last + 1);
            inner = x.shape.product(last + 1, x.rank());
        } else {
            // Several separate runs: move the kept axes to the front (one copy), reduce the tail.
            int[] perm = new int[x.rank()];
            int j = 0;
            for (int i = 0; i < x.rank(); i++) if (!red[i]) perm[j++] = i;
            for (int i = 0; i < x.rank(); i++) if (red[i]) perm[j++] = i;
            src = x.permute(perm);
            n = 1;
            for (int a : axes) n *= x.shape.dim(a);
            outer = x.size() / Math.max(1, n);
            inner = 1;
            if (n == 0) outer = outShape.size();
        }
        float[] out = new float[outShape.size()];
        reduce3(op, src.data, src.offset, outer, n, inner, out);
        return new Tensor(out, 0, outShape);
    }

    /** Sum of every element of x, accumulated in double: block sums in float lanes, added in double in order. */
    static double sumDouble(Tensor x) {
        int nb = (x.size() + BLOCK - 1) / BLOCK;
        double[] part = blockSums(x.data, x.offset, x.size(), nb);
        double s = 0;
        for (double p : part) s += p;
        return s;
    }

    /** Per-block partial sums in double over BLOCK-element blocks of [off, off + n). */
    private static double[] blockSums(float[] x, int off, int n, int nb) {
        double[] part = new double[nb];
        Kernels k = Backend.kernels();
        Parallel.forRange(nb, Math.max(1, Tensor.GRAIN / BLOCK), (s, e) -> {
            for (int b = s; b < e; b++) {
                int start = b * BLOCK;
                part[b] = k.sum(x, off + start, Math.min(BLOCK, n - start));
            }
        });
        return part;
    }

    /** Reduces x viewed as [outer, n, inner] over the middle axis into out[outer * inner]. */
    static void reduce3(Reduce op, float[] x, int off, int outer, int n, int inner, float[] out) {
        Kernels k = Backend.kernels();
        if (inner == 1) {
            int nb = Math.max(1, (n + BLOCK - 1) / BLOCK);
            int tasks = outer * nb;
            double[] part = new double[tasks];
            Parallel.forRange(tasks, Math.max(1, Tensor.GRAIN / Math.max(1, Math.min(n, BLOCK))), (s, e) -> {
                for (int t = s; t < e; t++) {
                    int o = t / nb, b = t % nb;
                    int start = b * BLOCK, len = Math.min(BLOCK, n - start);
                    int p = off + o * n + start;
                    part[t] = switch (op) {
                        case SUM -> len <= 0 ? 0 : k.sum(x, p, len);
                        case MAX -> k.max(x, p, len);
                        case MIN -> k.min(x, p, len);
                    };
                }
            });
            for (int o = 0; o < outer; o++) {
                double acc = op == Reduce.SUM ? 0 : part[o * nb];
                for (int b = op == Reduce.SUM ? 0 : 1; b < nb; b++) {
                    double v = part[o * nb + b];
                    acc = switch (op) {
                        case SUM -> acc + v;
                        case MAX -> (Double.isNaN(v) || v > acc) ? v : acc;
                        case MIN -> (Double.isNaN(v) || v < acc) ? v : acc;
                    };
                    if (Double.isNaN(acc) && op != Reduce.SUM) break;
                }
                out[o] = (float) acc;
            }
            return;
        }
        // inner > 1: accumulate whole rows (vectorised along inner) in chunks of the inner axis.
        final int chunk = 2048, rowsPerFloatBlock = 64;
        int nj = (inner + chunk - 1) / chunk;
        // the row buffers no longer than a row (a [2, 4] slab summed over the batch took two fresh
        // arrays of 24 KB: up to 6 first-touched pages, about 60 us, while the heap grew)
        int width = Math.min(chunk, inner);
        Parallel.forRange(outer * nj, Math.max(1, Tensor.GRAIN / Math.max(1, n * chunk)), (s, e) -> {
            float[] acc = new float[width];
            double[] dacc = op == Reduce.SUM ? new double[width] : null;
            for (int t = s; t < e; t++) {
                int o = t / nj, j0 = (t % nj) * chunk, len = Math.min(chunk, inner - j0);
                int base = off + o * n * inner + j0;
                if (op == Reduce.SUM) {
                    Arrays.fill(dacc, 0, len, 0.0);
                    // rows are added in float for up to 64 rows, then flushed into double
                    for (int k0 = 0; k0 < n; k0 += rowsPerFloatBlock) {
                        int k1 = Math.min(n, k0 + rowsPerFloatBlock);
                        System.arraycopy(x, base + k0 * inner, acc, 0, len);
                        for (int kk = k0 + 1; kk < k1; kk++) k.zip(Binary.ADD, acc, 0, x, base + kk * inner, acc, 0, len);
                        for (int j = 0; j < len; j++) dacc[j] += acc[j];
                    }
                    for (int j = 0; j < len; j++) out[o * inner + j0 + j] = (float) dacc[j];
                } else {
                    Binary b = op == Reduce.MAX ? Binary.MAX : Binary.MIN;
                    System.arraycopy(x, base, acc, 0, len);
                    for (int kk = 1; kk < n; kk++) k.zip(b, acc, 0, x, base + kk * inner, acc, 0, len);
                    System.arraycopy(acc, 0, out, o * inner + j0, len);
                }
            }
        });
    }
}
