package org.segloss.tensor;

import org.segloss.tensor.kernel.Kernels;
import org.segloss.tensor.kernel.Parallel;

/**
 * Axis tasks: how an operation along one axis of a tensor viewed as [outer, n, inner] (softmax,
 * logSoftmax, logSumExp and their backward passes) is cut into tasks of (one outer slice, a chunk
 * of columns). The partition depends on the shape only, never on the thread count.
 */
final class AxisTasks {
    private AxisTasks() {}

    @FunctionalInterface
    interface AxisKernel {
        void run(Kernels k, float[] x, int xOff, int n, int inner, int cols, float[] out, int outOff);
    }

    /**
     * Columns per task of an axis kernel: a multiple of 64 (of every lane count), so a column is
     * computed by the vector body or the scalar tail regardless of how tasks fall on threads.
     */
    static int columnChunk(int n) {
        return Math.max(64, (Tensor.GRAIN / Math.max(1, n)) & ~63);
    }

    /**
     * Runs an axis kernel over [outer, n, inner] in tasks of (one outer slice, a chunk of
     * columns), so a single volume ([1, C, D, H, W]) still spreads over the cores.
     */
    static void forAxisTasks(int outer, int n, int inner, AxisTask task) {
        if (inner == 1) {   // contiguous rows: one task per row block
            Parallel.forRange(outer, Math.max(1, Tensor.GRAIN / Math.max(1, n)), (s, e) -> {
                for (int o = s; o < e; o++) task.run(o, 0, 1);
            });
            return;
        }
        int chunk = columnChunk(n);
        int per = (inner + chunk - 1) / chunk;
        Parallel.forRange(outer * per, 1, (s, e) -> {
            for (int t = s; t < e; t++) {
                int o = t / per, j0 = (t % per) * chunk;
                task.run(o, j0, Math.min(chunk, inner - j0));
            }
        });
    }

    @FunctionalInterface
    interface AxisTask {
        void run(int outerIndex, int firstColumn, int cols);
    }

    /** A new tensor of x's shape, body run over x along {@code axis} in axis tasks. */
    static Tensor alongAxis(Tensor x, String name, int axis, AxisKernel body) {
        return alongAxis(x, name, axis, body, Tensor.zeros(x.shape));
    }

    /**
     * body run over x along {@code axis} in axis tasks into {@code res} (x's shape; every element
     * is written, so it may hold anything before), which is returned.
     */
    static Tensor alongAxis(Tensor x, String name, int axis, AxisKernel body, Tensor res) {
        Shape shape = x.shape;
        int ax = shape.axis(axis, "axis", name);
        int n = shape.dim(ax), outer = shape.product(0, ax), inner = shape.product(ax + 1, x.rank());
        if (res.size() == 0) return res;
        Kernels k = Backend.kernels();
        forAxisTasks(outer, n, inner, (o, j0, cols) ->
                body.run(k, x.data, x.offset + o * n * inner + j0, n, inner, cols, res.data, res.offset + o * n * inner + j0));
        return res;
    }
}
