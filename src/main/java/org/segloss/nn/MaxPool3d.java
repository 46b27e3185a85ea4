package org.segloss.nn;

import org.segloss.autograd.Ctx;
import org.segloss.autograd.Function;
import org.segloss.autograd.Var;
import org.segloss.tensor.Backend;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;
import org.segloss.tensor.kernel.Kernels;
import org.segloss.tensor.kernel.Parallel;

/**
 * Max pooling over 2x2x2 windows with stride 2, as PyTorch's {@code MaxPool3d(2)}: x
 * {@code [B, C, D, H, W]} -> y {@code [B, C, D/2, H/2, W/2]} (floor: a trailing odd plane, row or
 * column is dropped).
 * <pre>
 * forward   y[b,c,p] = max_{k in {0,1}^3} x[b,c,2p+k];  a[b,c,p] = the first k (kz, ky, kx
 *           lexicographic) attaining it: ties go to the first index, like PyTorch
 * backward  dx[b,c,2p+a[b,c,p]] = dy[b,c,p]; 0 elsewhere (windows do not overlap)
 * </pre>
 * NOTE: at a tie the whole gradient goes to the first maximum (PyTorch's rule; Var.max splits it).
 * The forward is {@code Kernels.maxPoolRow} per output row (the vector twin: a block of outputs at
 * once, the even and odd input columns split by a two-vector rearrange), the same maxima and indices.
 */
public final class MaxPool3d extends Module {
    @Override
    public Var forward(Var x) {
        Checks.volume("MaxPool3d", "x", x.shape(), -1);
        Shape s = x.shape();
        if (s.dim(2) < 2 || s.dim(3) < 2 || s.dim(4) < 2) {
            throw new IllegalArgumentException("MaxPool3d: x must have D, H, W >= 2 (kernel 2), got shape " + s);
        }
        return new Op().apply(x);
    }

    static final class Op extends Function {
        private static final Ctx.Key<int[]> ARGMAX = new Ctx.Key<>("argmax");
        private static final Ctx.Key<Shape> INPUT_SHAPE = new Ctx.Key<>("input shape");

        @Override
        protected Tensor forward(Ctx ctx, Tensor... t) {
            Shape s = t[0].shape();
            int planes = s.dim(0) * s.dim(1), d = s.dim(2), h = s.dim(3), w = s.dim(4);
            int od = d / 2, oh = h / 2, ow = w / 2, v = d * h * w, ov = od * oh * ow;
            float[] y = new float[planes * ov];
            int[] arg = new int[planes * ov];           // flat index into x of each output's maximum
            Kernels k = Backend.kernels();
            t[0].readInPlace((x, xo) -> Parallel.forRange(planes, 1, (p0, p1) -> {
                for (int pl = p0; pl < p1; pl++) {
                    for (int z = 0; z < od; z++) {
                        for (int yy = 0; yy < oh; yy++) {
                            // the four input rows of output row (z, yy): (kz, ky) = (0,0), (0,1), (1,0), (1,1)
                            int r00 = xo + pl * v + (2 * z * h + 2 * yy) * w, r10 = r00 + h * w, q = pl * ov + (z * oh + yy) * ow;
                            k.maxPoolRow(x, r00, r00 + w, r10, r10 + w, xo, ow, y, q, arg, q);
                        }
                    }
                }
            }));
            ctx.save(ARGMAX, arg);
            ctx.save(INPUT_SHAPE, s);
            return Tensor.wrap(y, s.dim(0), s.dim(1), od, oh, ow);
        }

        @Override
        protected Tensor[] backward(Ctx ctx, Tensor g) {
            Shape s = ctx.saved(INPUT_SHAPE);
            int[] arg = ctx.saved(ARGMAX);
            float[] dx = new float[s.size()];
            int planes = s.dim(0) * s.dim(1), ov = arg.length / planes;
            // parallel over planes: a plane's maxima lie in its own input plane, so writes are disjoint
            g.readInPlace((gy, go) -> Parallel.forRange(planes, 1, (p0, p1) -> {
                for (int q = p0 * ov, e = p1 * ov; q < e; q++) dx[arg[q]] = gy[go + q];
            }));
            ctx.handOverGradient(0);   // dx: a new array nobody else holds
            return new Tensor[] {Tensor.wrap(dx, s.dims())};
        }
    }
}
