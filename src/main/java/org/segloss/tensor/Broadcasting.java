package org.segloss.tensor;

import org.segloss.tensor.kernel.Kernels;
import org.segloss.tensor.kernel.Kernels.Binary;
import org.segloss.tensor.kernel.Parallel;

/**
 * The broadcasting engine behind {@link Tensor}'s binary operations (add, sub, mul, div, minimum,
 * maximum and {@link Tensor#elementwise(Binary, Tensor)}): NumPy broadcasting of two operands,
 * walked as long contiguous or constant runs for the kernels.
 */
final class Broadcasting {
    private Broadcasting() {}

    /** Strides of {@code s} viewed as {@code target}: 0 along broadcast axes. */
    static int[] broadcastStrides(Shape s, Shape target) {
        int r = target.rank(), off = r - s.rank();
        int[] st = s.strides();
        int[] out = new int[r];
        for (int i = off; i < r; i++) out[i] = s.dim(i - off) == 1 ? 0 : st[i - off];
        return out;
    }


    /**
     * A binary op with NumPy broadcasting. The output is walked as [outer, inner], where inner is
     * the longest run of trailing axes along which each operand is either contiguous or constant,
     * so the kernels see long vector-vector or vector-scalar runs (a per-class weight
     * [1, C, 1, 1, 1] against [B, C, D, H, W] runs over D*H*W voxels at a time).
     */
    static Tensor zip(String name, Binary op, Tensor a, Tensor b) {
        Shape out = a.shape.equals(b.shape) ? a.shape : Shape.broadcast(name, a.shape, b.shape);
        Tensor res = Tensor.zeros(out);
        int n = out.size();
        if (n == 0) return res;
        Kernels k = Backend.kernels();
        if (a.shape.equals(b.shape)) {
            Parallel.forRange(n, Tensor.GRAIN, (s, e) -> k.zip(op, a.data, a.offset + s, b.data, b.offset + s, res.data, s, e - s));
            return res;
        }
        int r = out.rank();
        int[] sa = broadcastStrides(a.shape, out), sb = broadcastStrides(b.shape, out);
        // kind of an axis for one operand: 0 = size 1 in the output (neutral), 1 = full, 2 = broadcast
        int split = r;     // axes [split, r) form the inner run
        int ka = 0, kb = 0;
        for (int ax = r - 1; ax >= 0; ax--) {
            if (out.dim(ax) == 1) {
                split = ax;
                continue;
            }
            int ca = sa[ax] == 0 ? 2 : 1, cb = sb[ax] == 0 ? 2 : 1;
            if (ka == 0) {
                ka = ca;
                kb = cb;
            } else if (ca != ka || cb != kb) {
                break;
            }
            split = ax;
        }
        int inner = out.product(split, r);
        int outer = n / inner;
        if (outer == 1) {   // one long run (a tensor against a scalar): split the run itself over the cores
            int ao0 = a.offset, bo0 = b.offset;
            final int ka0 = ka == 0 ? 1 : ka, kb0 = kb == 0 ? 1 : kb;
            Parallel.forRange(n, Tensor.GRAIN, (s, e) -> {
                if (ka0 == 1 && kb0 == 1) k.zip(op, a.data, ao0 + s, b.data, bo0 + s, res.data, s, e - s);
                else if (ka0 == 1) k.zipScalarRight(op, a.data, ao0 + s, b.data[bo0], res.data, s, e - s);
                else if (kb0 == 1) k.zipScalarLeft(op, a.data[ao0], b.data, bo0 + s, res.data, s, e - s);
                else k.fill(res.data, s, e - s, org.segloss.tensor.kernel.ScalarKernels.apply(op, a.data[ao0], b.data[bo0]));
            });
            return res;
        }
        final int kindA = ka == 0 ? 1 : ka, kindB = kb == 0 ? 1 : kb;
        int[] dims = out.dims();
        final int sp = split;
        Parallel.forRange(outer, Math.max(1, Tensor.GRAIN / inner), (s, e) -> {
            for (int o = s; o < e; o++) {
                int ao = a.offset, bo = b.offset, rem = o;
                for (int ax = sp - 1; ax >= 0; ax--) {
                    int c = rem % dims[ax];
                    rem /= dims[ax];
                    ao += c * sa[ax];
                    bo += c * sb[ax];
                }
                int ro = o * inner;
                if (kindA == 1 && kindB == 1) k.zip(op, a.data, ao, b.data, bo, res.data, ro, inner);
                else if (kindA == 1) k.zipScalarRight(op, a.data, ao, b.data[bo], res.data, ro, inner);
                else if (kindB == 1) k.zipScalarLeft(op, a.data[ao], b.data, bo, res.data, ro, inner);
                else k.fill(res.data, ro, inner, org.segloss.tensor.kernel.ScalarKernels.apply(op, a.data[ao], b.data[bo]));
            }
        });
        return res;
    }
}
