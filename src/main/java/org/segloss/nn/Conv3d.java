package org.segloss.nn;

import java.util.Arrays;
import org.segloss.autograd.Ctx;
import org.segloss.autograd.Function;
import org.segloss.autograd.Var;
import org.segloss.tensor.Backend;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;
import org.segloss.tensor.kernel.Kernels;
import org.segloss.tensor.kernel.Parallel;

/**
 * 3-D convolution with a 3x3x3 kernel, stride 1, zero padding 1 (the shape-preserving conv of
 * U-Nets), as PyTorch's {@code Conv3d(in, out, 3, padding=1)}.
 *
 * <p>Shapes: x {@code [B, Cin, D, H, W]}, weight {@code [Cout, Cin, 3, 3, 3]}, bias {@code [Cout]},
 * y {@code [B, Cout, D, H, W]}.
 * <pre>
 * forward   y[b,o,p] = bias[o] + sum_{i,k} w[o,i,k] x[b,i,p+k-1]           (k in {0,1,2}^3, x = 0 outside)
 * backward  dx[b,i,q] = sum_{o,k} w[o,i,k] dy[b,o,q-k+1]
 *                     = conv(dy, w') with w'[i,o,k] = w[o,i,2-k]  (the same op on flipped, transposed weights)
 *           dw[o,i,k] = sum_{b,p} dy[b,o,p] x[b,i,p+k-1]
 *           dbias[o]  = sum_{b,p} dy[b,o,p]
 * </pre>
 * Initialisation: Kaiming normal (fan_in = Cin * 27, gain for a leaky ReLU of slope {@code a}),
 * bias 0, both seeded.
 *
 * <p>Implementation: tiled im2col + GEMM. The output voxels of one batch element are cut into
 * tiles of {@link #tileColumns} voxels; per tile, the [Cin*27, T] column block is built in a
 * per-thread buffer (bounded memory: about 2 MB, where a full im2col of a 16-channel 64^3 volume
 * would be 453 MB) and multiplied by the [Cout, Cin*27] weight matrix with the single-threaded
 * SGEMM kernel. Tiles run in parallel; each writes its own output columns, and each output is one
 * FMA chain over the whole Cin*27 in the GEMM, so y and dx are bit-identical for any thread count.
 * dw is accumulated per tile into its own partial, then the partials are summed in tile order.
 */
public final class Conv3d extends Module {
    private final int in, out;
    private final Parameter weight, bias;

    /** With bias, Kaiming init for ReLU (a = 0). */
    public Conv3d(int inChannels, int outChannels, long seed) {
        this(inChannels, outChannels, true, 0f, seed);
    }

    /** @param a negative slope of the leaky ReLU that follows (0 for ReLU), for the init gain */
    public Conv3d(int inChannels, int outChannels, boolean bias, float a, long seed) {
        this.in = Checks.positive("Conv3d", "inChannels", inChannels);
        this.out = Checks.positive("Conv3d", "outChannels", outChannels);
        this.weight = register(new Parameter("weight", Init.kaimingNormal(seed, a, out, in, 3, 3, 3)));
        this.bias = bias ? register(new Parameter("bias", Tensor.zeros(out))) : null;
    }

    public Parameter weight() { return weight; }

    /** The bias, or null when built without one. */
    public Parameter bias() { return bias; }

    @Override
    public Var forward(Var x) {
        Checks.volume("Conv3d", "x", x.shape(), in);
        return bias == null ? new Op().apply(x, weight.var()) : new Op().apply(x, weight.var(), bias.var());
    }

    /** The functional form: y = conv3d(x, w) (+ b); inputs as on the class, bias optional. */
    public static Var conv3d(Var x, Var w, Var b) {
        Shape ws = w.shape();
        if (ws.rank() != 5 || ws.dim(2) != 3 || ws.dim(3) != 3 || ws.dim(4) != 3) {
            throw new IllegalArgumentException("Conv3d: weight must have shape [Cout, Cin, 3, 3, 3], got " + ws);
        }
        Checks.volume("Conv3d", "x", x.shape(), ws.dim(1));
        if (b != null) Checks.shape("Conv3d", "bias", b.shape(), Shape.of(ws.dim(0)));
        return b == null ? new Op().apply(x, w) : new Op().apply(x, w, b);
    }

    /** The differentiable op: inputs (x, w) or (x, w, bias). */
    static final class Op extends Function {
        @Override
        protected Tensor forward1(Ctx ctx, Tensor... t) {
            Shape xs = t[0].shape();
            int b = xs.dim(0), cin = xs.dim(1), cout = t[1].dim(0), v = xs.size() / (b * cin);
            float[] x = t[0].toArray(), w = t[1].toArray();
            float[] y = new float[b * cout * v];
            conv(x, b, cin, xs.dim(2), xs.dim(3), xs.dim(4), w, cout, t.length > 2 ? t[2].toArray() : null, y);
            // backward needs x for dw and w for dx: keep the copies already made
            ctx.put("x", x);
            ctx.put("w", w);
            ctx.put("shape", xs);
            ctx.put("inputs", t.length);
            return Tensor.wrap(y, b, cout, xs.dim(2), xs.dim(3), xs.dim(4));
        }

        @Override
        protected Tensor[] backward1(Ctx ctx, Tensor g) {
            Shape xs = ctx.get("shape");
            float[] x = ctx.get("x"), w = ctx.get("w");
            int b = xs.dim(0), cin = xs.dim(1), d = xs.dim(2), h = xs.dim(3), wd = xs.dim(4);
            int cout = g.dim(1);
            float[] dy = g.toArray();
            Tensor[] grads = new Tensor[ctx.<Integer>get("inputs")];
            if (ctx.needsInputGrad(0)) {
                float[] dx = new float[x.length];
                conv(dy, b, cout, d, h, wd, flipTranspose(w, cout, cin), cin, null, dx);
                grads[0] = Tensor.wrap(dx, xs.dims());
            }
            if (ctx.needsInputGrad(1)) grads[1] = Tensor.wrap(weightGrad(x, dy, b, cin, cout, d, h, wd), cout, cin, 3, 3, 3);
            if (grads.length > 2 && ctx.needsInputGrad(2)) grads[2] = Tensor.wrap(channelSums(dy, b, cout, d * h * wd), cout);
            return grads;
        }
    }

    // ---- kernels on flat arrays --------------------------------------------------------------

    /** Floats per im2col tile buffer (2 MB): a few L2s' worth, so the GEMM reads it from cache. */
    static final int TILE_FLOATS = 1 << 19;

    /** Output voxels per tile for K = Cin*27 rows: a multiple of 64 (the GEMM's column tile), at least 64. */
    static int tileColumns(int k, int v) {
        int t = Math.max(64, (TILE_FLOATS / k) / 64 * 64);
        return Math.min(t, v);
    }

    private static final ThreadLocal<float[][]> BUFFER = ThreadLocal.withInitial(() -> new float[1][0]);

    /** A per-thread scratch array of at least n floats (contents undefined). */
    private static float[] scratch(int n) {
        float[][] holder = BUFFER.get();
        if (holder[0].length < n) holder[0] = new float[n];
        return holder[0];
    }

    /**
     * y[B, Cout, V] = w[Cout, C*27] * im2col(x[B, C, D, H, W]) (+ bias[Cout]), tile by tile in
     * parallel. Also computes dx (x = dy, w = flipped transposed weights, no bias).
     */
    static void conv(float[] x, int batch, int c, int d, int h, int w, float[] wmat, int cout, float[] bias, float[] y) {
        int v = d * h * w, k = c * 27, t = tileColumns(k, v), tiles = (v + t - 1) / t;
        Kernels kern = Backend.kernels();
        Parallel.forEach(batch * tiles, part -> {
            int b = part / tiles, v0 = (part % tiles) * t, n = Math.min(v, v0 + t) - v0;
            float[] col = scratch(k * n);
            im2col(x, b * c * v, c, d, h, w, v0, n, col);
            int yOff = b * cout * v + v0;
            // y[b, :, v0:v0+n] = wmat[Cout, K] x col[K, n]  (ldc = V: the tile is a column block)
            kern.gemm(false, false, cout, n, k, wmat, 0, k, col, 0, n, 0f, y, yOff, v);
            if (bias != null) {
                for (int o = 0; o < cout; o++) {
                    float bo = bias[o];
                    for (int j = yOff + o * v, e = j + n; j < e; j++) y[j] += bo;
                }
            }
        });
    }

    /** dw[Cout, Cin*27] = sum over batch and tiles of dy[b, :, tile] x im2col(x)[:, tile]^T, in tile order. */
    static float[] weightGrad(float[] x, float[] dy, int batch, int cin, int cout, int d, int h, int w) {
        int v = d * h * w, k = cin * 27, t = tileColumns(k, v), tiles = (v + t - 1) / t, parts = batch * tiles;
        int size = cout * k;
        float[] partial = new float[parts * size];
        Kernels kern = Backend.kernels();
        Parallel.forEach(parts, part -> {
            int b = part / tiles, v0 = (part % tiles) * t, n = Math.min(v, v0 + t) - v0;
            float[] col = scratch(k * n);
            im2col(x, b * cin * v, cin, d, h, w, v0, n, col);
            // partial[part] = dy[b, :, v0:v0+n] ([Cout, n], lda = V) x col^T ([n, K])
            kern.gemm(false, true, cout, k, n, dy, b * cout * v + v0, v, col, 0, n, 0f, partial, part * size, k);
        });
        // sum the partials in part order: fixed, whatever ran where
        float[] dw = Arrays.copyOf(partial, size);
        Parallel.forRange(size, 1024, (s, e) -> {
            for (int p = 1; p < parts; p++) {
                int off = p * size;
                for (int i = s; i < e; i++) dw[i] += partial[off + i];
            }
        });
        return dw;
    }

    /** w'[Cin, Cout*27] with w'[i, o, k] = w[o, i, 26 - k] (k the flat 3x3x3 index: all three axes flipped). */
    static float[] flipTranspose(float[] w, int cout, int cin) {
        float[] f = new float[w.length];
        for (int o = 0; o < cout; o++) {
            for (int i = 0; i < cin; i++) {
                int src = (o * cin + i) * 27, dst = (i * cout + o) * 27;
                for (int k = 0; k < 27; k++) f[dst + k] = w[src + 26 - k];
            }
        }
        return f;
    }

    /** s[c] = sum over b and the V voxels of g[b, c, :], in double, in a fixed order. */
    static float[] channelSums(float[] g, int batch, int c, int v) {
        float[] s = new float[c];
        Parallel.forRange(c, 1, (c0, c1) -> {
            for (int ch = c0; ch < c1; ch++) {
                double acc = 0;
                for (int b = 0; b < batch; b++) {
                    for (int j = (b * c + ch) * v, e = j + v; j < e; j++) acc += g[j];
                }
                s[ch] = (float) acc;
            }
        });
        return s;
    }

    /**
     * col[C*27, n]: row (ch, kz, ky, kx), column j holds x[ch, z+kz-1, y+ky-1, xx+kx-1] (0 outside
     * the volume) for the output voxel v0 + j = (z, y, xx). Copies whole runs along W.
     */
    static void im2col(float[] x, int xOff, int c, int d, int h, int w, int v0, int n, float[] col) {
        int hw = h * w, v = d * hw, v1 = v0 + n;
        for (int ch = 0; ch < c; ch++) {
            int base = xOff + ch * v;
            for (int kz = 0; kz < 3; kz++) {
                for (int ky = 0; ky < 3; ky++) {
                    for (int kx = 0; kx < 3; kx++) {
                        int row = ((ch * 3 + kz) * 3 + ky) * 3 + kx, rOff = row * n;
                        for (int p = v0; p < v1; ) {
                            int z = p / hw, rem = p - z * hw, y = rem / w, x0 = rem - y * w;
                            int len = Math.min(w - x0, v1 - p), dst = rOff + p - v0;
                            int zz = z + kz - 1, yy = y + ky - 1;
                            if (zz < 0 || zz >= d || yy < 0 || yy >= h) {
                                Arrays.fill(col, dst, dst + len, 0f);
                            } else {
                                // output xs in [x0, x0+len) read x at xs + kx - 1, valid in [1-kx, w+1-kx)
                                int xa = Math.max(x0, 1 - kx), xb = Math.min(x0 + len, w + 1 - kx);
                                int src = base + zz * hw + yy * w + kx - 1;
                                if (xa > x0) Arrays.fill(col, dst, dst + (xa - x0), 0f);
                                if (xb > xa) System.arraycopy(x, src + xa, col, dst + (xa - x0), xb - xa);
                                if (x0 + len > Math.max(xa, xb)) Arrays.fill(col, dst + Math.max(xa, xb) - x0, dst + len, 0f);
                            }
                            p += len;
                        }
                    }
                }
            }
        }
    }
}
