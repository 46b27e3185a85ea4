package org.segloss.nn;

import org.segloss.autograd.Ctx;
import org.segloss.autograd.Function;
import org.segloss.autograd.Var;
import org.segloss.tensor.Backend;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;
import org.segloss.tensor.kernel.Gemm;
import org.segloss.tensor.kernel.Kernels;
import org.segloss.tensor.kernel.Parallel;

/**
 * Transposed 3-D convolution with kernel 2 and stride 2 (the U-Net upsampling), as PyTorch's
 * {@code ConvTranspose3d(in, out, 2, stride=2)}: every input voxel scatters a 2x2x2 block, and
 * the blocks tile the output without overlap.
 *
 * <p>Shapes: x {@code [B, Cin, D, H, W]}, weight {@code [Cin, Cout, 2, 2, 2]} (PyTorch's layout),
 * bias {@code [Cout]}, y {@code [B, Cout, 2D, 2H, 2W]}. With k = (kz, ky, kx) in {0,1}^3:
 * <pre>
 * forward   y[b,o,2p+k] = bias[o] + sum_i w[i,o,k] x[b,i,p]
 *           i.e. Z[b] = W^T[Cout*8, Cin] X[b][Cin, V], then a reshuffle of Z's rows into the blocks
 * backward  dZ[b][o*8+k, p] = dy[b,o,2p+k]   (the inverse reshuffle)
 *           dx[b] = W[Cin, Cout*8] dZ[b];  dw = sum_b X[b] dZ[b]^T;  dbias[o] = sum_{b,q} dy[b,o,q]
 * </pre>
 * Initialisation: Kaiming normal with fan_in = Cin (each output sums exactly Cin terms; PyTorch's
 * fan computation would use Cout * 8 for this weight layout), gain for a leaky ReLU of slope
 * {@code a}; bias 0. The GEMMs run through {@link Gemm} (parallel over blocks of the product,
 * bit-identical for any thread count); dw adds the batch elements in order.
 */
public final class ConvTranspose3d extends Module {
    private final int in, out;
    private final Parameter weight, bias;

    public ConvTranspose3d(int inChannels, int outChannels, long seed) {
        this(inChannels, outChannels, true, 0f, seed);
    }

    public ConvTranspose3d(int inChannels, int outChannels, boolean bias, float a, long seed) {
        this.in = Checks.positive("ConvTranspose3d", "inChannels", inChannels);
        this.out = Checks.positive("ConvTranspose3d", "outChannels", outChannels);
        this.weight = register(new Parameter("weight", Init.kaimingNormal(seed, Init.leakyReluGain(a), in, in, out, 2, 2, 2)));
        this.bias = bias ? register(new Parameter("bias", Tensor.zeros(out))) : null;
    }

    public Parameter weight() { return weight; }

    public Parameter bias() { return bias; }

    @Override
    public Var forward(Var x) {
        Checks.volume("ConvTranspose3d", "x", x.shape(), in);
        return bias == null ? new Op().apply(x, weight.var()) : new Op().apply(x, weight.var(), bias.var());
    }

    /** The functional form; bias may be null. */
    public static Var convTranspose3d(Var x, Var w, Var b) {
        Shape ws = w.shape();
        if (ws.rank() != 5 || ws.dim(2) != 2 || ws.dim(3) != 2 || ws.dim(4) != 2) {
            throw new IllegalArgumentException("ConvTranspose3d: weight must have shape [Cin, Cout, 2, 2, 2], got " + ws);
        }
        Checks.volume("ConvTranspose3d", "x", x.shape(), ws.dim(0));
        if (b != null) Checks.shape("ConvTranspose3d", "bias", b.shape(), Shape.of(ws.dim(1)));
        return b == null ? new Op().apply(x, w) : new Op().apply(x, w, b);
    }

    static final class Op extends Function {
        private static final Ctx.Key<float[]> INPUT = new Ctx.Key<>("input");
        private static final Ctx.Key<float[]> WEIGHTS = new Ctx.Key<>("weights");
        private static final Ctx.Key<Shape> INPUT_SHAPE = new Ctx.Key<>("input shape");
        private static final Ctx.Key<Integer> INPUT_COUNT = new Ctx.Key<>("input count");

        @Override
        protected Tensor forward(Ctx ctx, Tensor... t) {
            Shape xs = t[0].shape();
            int batch = xs.dim(0), cin = xs.dim(1), d = xs.dim(2), h = xs.dim(3), w = xs.dim(4);
            int cout = t[1].dim(1), v = d * h * w, m = cout * 8;
            float[] x = t[0].toArray(), wt = t[1].toArray(), bias = t.length > 2 ? t[2].toArray() : null;
            float[] y = new float[batch * cout * 8 * v], z = new float[batch * m * v];
            // Z[b] [Cout*8, V] = W^T (W is [Cin, Cout*8]) x X[b] ([Cin, V]), all b in one parallel call:
            // at the U-Net's coarse levels one product alone is too small to be split over the cores
            Gemm.gemmBatched(Backend.kernels(), batch, true, false, m, v, cin, wt, 0, 0, m, x, 0, cin * v, v,
                    0f, z, 0, m * v, v);
            Parallel.forRange(batch * cout, 1, (p0, p1) -> {
                for (int p = p0; p < p1; p++) {
                    int b = p / cout, o = p % cout;
                    reshuffle(z, b * m * v, y, b * m * v, o, d, h, w, bias == null ? 0f : bias[o], true);
                }
            });
            ctx.save(INPUT, x);
            ctx.save(WEIGHTS, wt);
            ctx.save(INPUT_SHAPE, xs);
            ctx.save(INPUT_COUNT, t.length);
            return Tensor.wrap(y, batch, cout, 2 * d, 2 * h, 2 * w);
        }

        @Override
        protected Tensor[] backward(Ctx ctx, Tensor g) {
            Shape xs = ctx.saved(INPUT_SHAPE);
            float[] x = ctx.saved(INPUT), wt = ctx.saved(WEIGHTS);
            int batch = xs.dim(0), cin = xs.dim(1), d = xs.dim(2), h = xs.dim(3), w = xs.dim(4);
            int cout = g.dim(1), v = d * h * w, m = cout * 8;
            float[] dz = new float[batch * m * v];
            boolean needX = ctx.needsInputGrad(0), needW = ctx.needsInputGrad(1);
            float[] dx = needX ? new float[x.length] : null, dw = needW ? new float[wt.length] : null;
            Kernels k = Backend.kernels();
            // dy read in place (a copy of it cost a 4 MB array per step at the U-Net's 32^3 level)
            g.readInPlace((dy, dyo) -> Parallel.forRange(batch * cout, 1, (p0, p1) -> {
                for (int p = p0; p < p1; p++) {
                    int b = p / cout, o = p % cout;
                    reshuffle(dz, b * m * v, dy, dyo + b * m * v, o, d, h, w, 0f, false);
                }
            }));
            // dx[b] = W [Cin, Cout*8] x dZ[b] [Cout*8, V], all b in one parallel call
            if (needX) Gemm.gemmBatched(k, batch, false, false, cin, v, m, wt, 0, 0, m, dz, 0, m * v, v, 0f, dx, 0, cin * v, v);
            // dw = sum_b X[b] [Cin, V] x dZ[b]^T [V, Cout*8], batch elements in order (C stride 0)
            if (needW) Gemm.gemmBatched(k, batch, false, true, cin, m, v, x, 0, cin * v, v, dz, 0, m * v, v, 0f, dw, 0, 0, m);
            Tensor[] grads = new Tensor[ctx.saved(INPUT_COUNT)];
            if (needX) grads[0] = Tensor.wrap(dx, xs.dims());
            if (needW) grads[1] = Tensor.wrap(dw, cin, cout, 2, 2, 2);
            if (grads.length > 2 && ctx.needsInputGrad(2)) grads[2] = Tensor.wrap(Conv3d.channelSums(g.toArray(), batch, cout, 8 * v), cout);
            for (int i = 0; i < grads.length; i++) {
                if (grads[i] != null) ctx.handOverGradient(i);   // each a new array nobody else holds
            }
            return grads;
        }
    }

    /**
     * Moves channel o between Z (from zb: [Cout*8, V], row o*8 + kz*4 + ky*2 + kx) and the output block
     * layout y[yb + o, 2z+kz, 2y+ky, 2x+kx]: Z -> y adding {@code bias} when {@code toY}, y -> Z otherwise.
     */
    private static void reshuffle(float[] z, int zb, float[] y, int yb, int o, int d, int h, int w, float bias, boolean toY) {
        int v = d * h * w, h2 = 2 * h, w2 = 2 * w, yo = yb + o * 8 * v;
        for (int k = 0; k < 8; k++) {
            int kz = k >> 2, ky = (k >> 1) & 1, kx = k & 1, zr = zb + (o * 8 + k) * v;
            for (int zz = 0, p = 0; zz < d; zz++) {
                for (int yy = 0; yy < h; yy++) {
                    int line = yo + ((2 * zz + kz) * h2 + 2 * yy + ky) * w2 + kx;
                    if (toY) {
                        for (int xx = 0; xx < w; xx++, p++) y[line + 2 * xx] = z[zr + p] + bias;
                    } else {
                        for (int xx = 0; xx < w; xx++, p++) z[zr + p] = y[line + 2 * xx];
                    }
                }
            }
        }
    }
}
