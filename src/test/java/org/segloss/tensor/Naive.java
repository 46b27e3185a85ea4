package org.segloss.tensor;

/** Index-by-index reference implementations (double accumulation) that the tensor ops are tested against. */
final class Naive {
    private Naive() {}

    static int[] unflatten(Shape s, int flat) {
        int[] idx = new int[s.rank()];
        for (int a = s.rank() - 1; a >= 0; a--) {
            idx[a] = flat % s.dim(a);
            flat /= s.dim(a);
        }
        return idx;
    }

    /** The element of t that broadcasts to output index idx (t right-aligned). */
    static float broadcastGet(Tensor t, int[] idx) {
        int off = idx.length - t.rank();
        int[] ti = new int[t.rank()];
        for (int a = 0; a < t.rank(); a++) ti[a] = t.dim(a) == 1 ? 0 : idx[a + off];
        return t.get(ti);
    }

    interface Op {
        double apply(double a, double b);
    }

    static double[] zip(Tensor a, Tensor b, Shape out, Op op) {
        double[] r = new double[out.size()];
        for (int i = 0; i < r.length; i++) {
            int[] idx = unflatten(out, i);
            r[i] = op.apply(broadcastGet(a, idx), broadcastGet(b, idx));
        }
        return r;
    }

    /** Sum over sorted axes, keepDims layout, in double. */
    static double[] sum(Tensor x, int[] axes) {
        Shape out = x.shape().reduce(axes, true);
        double[] r = new double[out.size()];
        for (int i = 0; i < x.size(); i++) {
            int[] idx = unflatten(x.shape(), i);
            for (int a : axes) idx[a] = 0;
            r[Tensor.flatIndex(out, idx, "naive")] += x.at(i);
        }
        return r;
    }

    static double[] max(Tensor x, int[] axes) {
        Shape out = x.shape().reduce(axes, true);
        double[] r = new double[out.size()];
        java.util.Arrays.fill(r, Double.NEGATIVE_INFINITY);
        for (int i = 0; i < x.size(); i++) {
            int[] idx = unflatten(x.shape(), i);
            for (int a : axes) idx[a] = 0;
            int o = Tensor.flatIndex(out, idx, "naive");
            r[o] = Math.max(r[o], x.at(i));
        }
        return r;
    }
}
