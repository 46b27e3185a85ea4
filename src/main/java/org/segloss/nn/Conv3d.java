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
 * <p>Implementation: implicit im2col. The input is copied once into a zero-padded
 * [B, Cin, D+2, H+2, W+2] layout, where the 27 neighbours of a voxel sit at fixed offsets, so
 * y = w[Cout, Cin*27] x B with B's rows the padded input shifted by those offsets, read in place
 * by {@link Kernels#gemmShiftedB} (its packed form; no column buffer: a full im2col of a 16-channel 64^3 volume
 * would be 453 MB, and a tiled one is copied and packed per tile). The padded voxels are cut
 * into tiles of at most {@link #TILE_COLUMNS} run in parallel; each output is one FMA chain over the
 * Cin*27 taps, so y and dx (the same op on the padded dy with flipped, transposed weights) are
 * bit-identical for any thread count. dw = dy x B^T is accumulated over fixed groups of voxels
 * into one partial per group, then the partials are added in group order (see
 * {@link #weightGrad}); from 16 output channels each weight is one FMA chain over the voxels with
 * the channels in the lanes ({@link Kernels#gemmShiftedBtChain}), below that dot products summed
 * per lane ({@link Kernels#gemmShiftedBt}).
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
        private static final Ctx.Key<float[]> PADDED_INPUT = new Ctx.Key<>("padded input");
        private static final Ctx.Key<float[]> WEIGHTS = new Ctx.Key<>("weights");
        private static final Ctx.Key<Shape> INPUT_SHAPE = new Ctx.Key<>("input shape");
        private static final Ctx.Key<Integer> INPUT_COUNT = new Ctx.Key<>("input count");

        @Override
        protected Tensor forward(Ctx ctx, Tensor... t) {
            Shape xs = t[0].shape();
            int b = xs.dim(0), cin = xs.dim(1), cout = t[1].dim(0), v = xs.size() / (b * cin);
            float[] w = t[1].toArray();
            Padded geometry = new Padded(xs.dim(2), xs.dim(3), xs.dim(4));
            // the padded x is this op's own: from the pool, every element rewritten, handed back after use;
            // y (a fresh array: it escapes to the graph) is allocated and zeroed by one thread while the others pad
            float[][] fresh = new float[1][];
            float[] xp = geometry.padInto(t[0], b, cin, ScratchPool.take(b * cin * geometry.vol()), b * cout * v, fresh);
            float[] y = fresh[0];
            conv(xp, b, cin, xs.dim(2), xs.dim(3), xs.dim(4), w, cout, t.length > 2 ? t[2].toArray() : null, y);
            if (!ctx.needsInputGrad(1)) {
                ScratchPool.give(xp);   // no dw, no backward use (dx needs only w)
                xp = null;
            }
            // backward needs the padded x for dw and w for dx: keep them
            ctx.save(PADDED_INPUT, xp);
            ctx.save(WEIGHTS, w);
            ctx.save(INPUT_SHAPE, xs);
            ctx.save(INPUT_COUNT, t.length);
            return Tensor.wrap(y, b, cout, xs.dim(2), xs.dim(3), xs.dim(4));
        }

        @Override
        protected Tensor[] backward(Ctx ctx, Tensor g) {
            Shape xs = ctx.saved(INPUT_SHAPE);
            float[] xp = ctx.saved(PADDED_INPUT), w = ctx.saved(WEIGHTS);
            int b = xs.dim(0), cin = xs.dim(1), d = xs.dim(2), h = xs.dim(3), wd = xs.dim(4);
            int cout = g.dim(1);

            Tensor[] grads = new Tensor[ctx.saved(INPUT_COUNT)];
            boolean dx = ctx.needsInputGrad(0), dw = ctx.needsInputGrad(1);
            // the padded dy is scratch (nothing keeps it): a per-thread buffer, every element rewritten
            // (and dx's fresh output array allocated and zeroed by one thread while the others pad)
            Padded geometry = new Padded(d, h, wd);
            float[][] fresh = new float[1][];
            float[] dyp = dx || dw ? geometry.padInto(g, b, cout, scratchDy(b * cout * geometry.vol()), dx ? xs.size() : -1, fresh) : null;
            if (dx) {
                float[] gx = fresh[0];
                conv(dyp, b, cout, d, h, wd, flipTranspose(w, cout, cin), cin, null, gx);
                grads[0] = Tensor.wrap(gx, xs.dims());
            }
            if (dw) grads[1] = Tensor.wrap(weightGrad(xp, dyp, b, cin, cout, d, h, wd), cout, cin, 3, 3, 3);
            if (xp != null) ScratchPool.give(xp);   // its last use: the next forward pads into it
            // dbias: the tensor reduction (vector lanes, blocked double partials, parallel) without copying g out first
            if (grads.length > 2 && ctx.needsInputGrad(2)) grads[2] = g.sum(new int[] {0, 2, 3, 4}, false);
            for (int i = 0; i < grads.length; i++) {
                if (grads[i] != null) ctx.handOverGradient(i);   // each a new array nobody else holds
            }
            return grads;
        }
    }

    // ---- kernels on flat arrays --------------------------------------------------------------

    /**
     * The zero-padded layout [C, D+2, H+2, W+2] of one batch element's volume. In it, the 27
     * neighbours of the voxel at padded index q are q + off for fixed offsets off (no border
     * tests: they read zeros), so a convolution is a product whose B rows are the padded input
     * shifted by those offsets ({@link Kernels#gemmShiftedB}), an implicit im2col. The voxels
     * are the padded indices [first, first + span), or only the D*H interior rows of W voxels
     * that start at {@link #rowStarts} (the ring positions in the span are (span - D*H*W)/span of
     * it: 6 % at 64^3, 11 % at 32^3, 20 % at 16^3).
     */
    record Padded(int d, int h, int w) {
        int wp() { return w + 2; }
        int plane() { return (h + 2) * (w + 2); }
        int vol() { return (d + 2) * plane(); }
        /** Padded index of voxel (0, 0, 0). */
        int first() { return plane() + wp() + 1; }
        /** Padded indices from voxel (0, 0, 0) to voxel (D-1, H-1, W-1), inclusive. */
        int span() { return (d - 1) * plane() + (h - 1) * wp() + w; }

        /** The padded index of voxel (z, y, 0) for line z*H + y, every line of the volume. */
        int[] rowStarts() {
            int[] starts = new int[d * h];
            for (int z = 0, r = 0; z < d; z++) {
                for (int y = 0; y < h; y++) starts[r++] = first() + z * plane() + y * wp();
            }
            return starts;
        }

        /** offs[(ch*3 + kz)*9 + ky*3 + kx] = ch*vol + (kz-1)*plane + (ky-1)*wp + (kx-1). */
        int[] offsets(int channels) {
            int[] offs = new int[channels * 27];
            for (int ch = 0, r = 0; ch < channels; ch++) {
                for (int kz = 0; kz < 3; kz++) {
                    for (int ky = 0; ky < 3; ky++) {
                        for (int kx = 0; kx < 3; kx++) {
                            offs[r++] = ch * vol() + (kz - 1) * plane() + (ky - 1) * wp() + (kx - 1);
                        }
                    }
                }
            }
            return offs;
        }

        /** x[B, C, D, H, W] copied into a zeroed [B, C, D+2, H+2, W+2]. */
        float[] pad(float[] x, int batch, int c) {
            return pad(Tensor.wrap(x, batch, c, d, h, w), batch, c);
        }

        /**
         * x padded into the first B*C*vol floats of {@code xp}, writing every one of them (the
         * ring zeros too), so xp may hold anything before.
         */
        float[] padInto(Tensor x, int batch, int c, float[] xp) {
            return padInto(x, batch, c, xp, -1, null);
        }

        /**
         * {@link #padInto(Tensor, int, int, float[])}, and when {@code freshFloats >= 0} also
         * {@code fresh[0] = new float[freshFloats]} as one more part of the same parallel call: the
         * JVM zeroes a new array on the allocating thread alone (about 1.4 ms per 16 MiB here), so
         * a layer's output array is allocated on one thread while the others copy.
         */
        float[] padInto(Tensor x, int batch, int c, float[] xp, int freshFloats, float[][] fresh) {
            int v = d * h * w, vp = vol(), planes = batch * c, wp = wp(), pl = plane(), slices = planes * (d + 2);
            // part 0 allocates, the others pad runs of z-slices of at least PAD_PART_FLOATS in all
            // (a part per slice of a 32^3 volume did too little work for its hand-out)
            int perPart = Math.max(1, PAD_PART_FLOATS / pl), runs = (slices + perPart - 1) / perPart;
            int allocParts = freshFloats >= 0 ? 1 : 0;
            Parallel.forEach(allocParts + runs, part -> {
                if (part < allocParts) {
                    fresh[0] = new float[freshFloats];
                    return;
                }
                int s0 = (part - allocParts) * perPart, s1 = Math.min(slices, s0 + perPart);
                for (int s = s0; s < s1; s++) padSlice(x, xp, s, v, vp, wp, pl);
            });
            return xp;
        }

        /** Padded z-slice s (plane p = s / (D+2), padded z = s mod (D+2)) of xp from x, ring zeros too. */
        private void padSlice(Tensor x, float[] xp, int s, int v, int vp, int wp, int pl) {
            int p = s / (d + 2), zp = s - p * (d + 2), base = p * vp + zp * pl;
            if (zp == 0 || zp == d + 1) {
                Arrays.fill(xp, base, base + pl, 0f);
                return;
            }
            Arrays.fill(xp, base, base + wp, 0f);
            Arrays.fill(xp, base + (h + 1) * wp, base + pl, 0f);
            for (int y = 0; y < h; y++) {
                int src = p * v + ((zp - 1) * h + y) * w, dst = base + (y + 1) * wp;
                xp[dst] = 0f;
                x.copyTo(src, xp, dst + 1, w);
                xp[dst + w + 1] = 0f;
            }
        }

        /** The same from a tensor, read in place (no toArray copy of the whole volume). */
        float[] pad(Tensor x, int batch, int c) {
            int v = d * h * w, vp = vol(), planes = batch * c;
            float[] xp = new float[planes * vp];
            Parallel.forRange(planes * d, 1, (s0, s1) -> {
                for (int s = s0; s < s1; s++) {
                    int p = s / d, z = s - p * d;
                    for (int y = 0; y < h; y++) {
                        int src = p * v + (z * h + y) * w, dst = p * vp + first() + z * plane() + y * wp();
                        x.copyTo(src, xp, dst, w);
                    }
                }
            });
            return xp;
        }
    }

    /**
     * Tile widths are multiples of this: 192 = 3 x 64 = 4 x 48, a whole number of the kernel's
     * register tiles (8 rows x 3 vectors, 4 rows x 4 vectors) for 16-, 8- and 4-lane vectors, so
     * that only a span's last tile has columns left for the narrower, slower tiles.
     */
    static final int TILE_QUANTUM = 192;
    /** Columns (padded voxels) per forward tile at most: a multiple of {@link #TILE_QUANTUM}. */
    static final int TILE_COLUMNS = 10 * TILE_QUANTUM;
    /** Columns per forward tile at least (small volumes): a multiple of {@link #TILE_QUANTUM}. */
    static final int MIN_TILE_COLUMNS = 2 * TILE_QUANTUM;
    /** Forward tiles aim for at least this many per batch element (small volumes: parallelism). */
    static final int MIN_TILES = 16;
    /** At most this many dw partials (fixed by the shape, never by the thread count). */
    static final int MAX_GROUPS = 8;
    /** Aim for at least this many padded voxels per dw partial. */
    static final int MIN_GROUP_COLUMNS = 1024;
    /** Output channels per dw part: the height of gemmShiftedBt's register tile. */
    static final int DW_ROWS = 8;
    /** Output channels per dw part with gemmShiftedBtChain (one AVX-512 vector of them), and the fewest that take it. */
    static final int CHAIN_ROWS = 16;
    /** Floats per part of the padding copy at least (whole z-slices; 64 KiB). */
    static final int PAD_PART_FLOATS = 1 << 14;
    /** Bound on the floats held by dw partials (16 MB). */
    static final int MAX_PARTIAL_FLOATS = 1 << 22;

    /**
     * Padded voxels per forward tile for a span of {@code span} padded voxels: span / MIN_TILES
     * rounded up to TILE_QUANTUM, within [MIN_TILE_COLUMNS, TILE_COLUMNS], at most the span. Any
     * tiling gives the same bits (each output is one chain over the taps); this only sets the
     * parallel grain and how many columns fall to the narrower register tiles. (It was 64 and
     * [256, 2048]: a 2048-wide tile left 32 columns per tile, a 256-wide one 16, to the 4-row
     * one-vector tiles, which do 4 FMAs per 5 loads against the 8 x 3 tile's 24 per 11.)
     */
    static int tileColumns(int span) {
        int t = ((span + MIN_TILES - 1) / MIN_TILES + TILE_QUANTUM - 1) / TILE_QUANTUM * TILE_QUANTUM;
        return Math.min(span, Math.max(MIN_TILE_COLUMNS, Math.min(TILE_COLUMNS, t)));
    }

    private static final ThreadLocal<float[][]> BUFFER = ThreadLocal.withInitial(() -> new float[1][0]);

    private static final ThreadLocal<float[][]> DY_BUFFER = ThreadLocal.withInitial(() -> new float[1][0]);

    /** The calling thread's buffer for the padded dy of backward: at least n floats, contents undefined. */
    private static float[] scratchDy(int n) {
        float[][] holder = DY_BUFFER.get();
        if (holder[0].length < n) holder[0] = new float[n];
        return holder[0];
    }

    /** A per-thread scratch array of at least n floats (contents undefined). */
    private static float[] scratch(int n) {
        float[][] holder = BUFFER.get();
        if (holder[0].length < n) holder[0] = new float[n];
        return holder[0];
    }

    /**
     * y[B, Cout, D, H, W] = w[Cout, C*27] * im2col(x) (+ bias[Cout]) from the padded input
     * xp[B, C, D+2, H+2, W+2], tile by tile in parallel. Also computes dx (xp = padded dy,
     * w = flipped transposed weights, no bias). Every output is one FMA chain over the C*27
     * taps in the kernel, whatever its tile: bit-identical for any thread count.
     */
    static void conv(float[] xp, int batch, int c, int d, int h, int w, float[] wmat, int cout, float[] bias, float[] y) {
        conv(xp, batch, c, d, h, w, wmat, cout, bias, y, tileColumns(new Padded(d, h, w).span()));
    }

    /**
     * {@link #conv} in tiles of about {@code t} padded voxels (any t &gt; 0 gives the same bits; for
     * tests). When W is a whole number of the kernels' vectors, a tile is a run of max(1, t / W)
     * interior rows written straight into y ({@link Kernels#gemmShiftedBRowsPacked}: the ring
     * positions of the span are not computed); otherwise it
     * is t consecutive padded voxels whose interior {@link #scatter} copies out.
     */
    static void conv(float[] xp, int batch, int c, int d, int h, int w, float[] wmat, int cout, float[] bias, float[] y, int t) {
        boolean rows = w % Math.max(1, Backend.kernels().lanes()) == 0;
        conv(xp, batch, c, d, h, w, wmat, cout, bias, y, t, rows);
    }

    /** {@link #conv} in tiles of rows or of spans, as chosen (both give the same bits; for tests). */
    static void conv(float[] xp, int batch, int c, int d, int h, int w, float[] wmat, int cout, float[] bias, float[] y,
                     int t, boolean inRows) {
        Padded g = new Padded(d, h, w);
        int k = c * 27, span = g.span(), v = d * h * w;
        int[] offs = g.offsets(c);
        Kernels kern = Backend.kernels();
        // the weights packed once for every tile (packing per tile cost about a tenth of a
        // forward at 8^3 and 16^3, where tiles are 256 voxels long)
        float[] packed = kern.packShiftedA(cout, k, wmat, 0, k);
        if (inRows) {
            int lines = d * h, perTile = Math.max(1, t / w), rowTiles = (lines + perTile - 1) / perTile;
            int[] rowStarts = g.rowStarts();
            Parallel.forEach(batch * rowTiles, part -> {
                int b = part / rowTiles, r0 = (part % rowTiles) * perTile, rows = Math.min(lines, r0 + perTile) - r0;
                int yOff = b * cout * v + r0 * w;
                // y[b, :, rows r0 .. r0+rows) = wmat[Cout, K] x B, B(p, (r, j)) = xp[b, rowStarts[r0 + r] + j + offs[p]]
                kern.gemmShiftedBRowsPacked(cout, k, packed, xp, b * c * g.vol(), rowStarts, r0, rows, w, offs, y, yOff, v);
                if (bias != null) {
                    for (int o = 0; o < cout; o++) {
                        float bo = bias[o];
                        for (int j = yOff + o * v, e = j + rows * w; j < e; j++) y[j] += bo;
                    }
                }
            });
            return;
        }
        int tiles = (span + t - 1) / t;
        Parallel.forEach(batch * tiles, part -> {
            int b = part / tiles, q0 = (part % tiles) * t, n = Math.min(span, q0 + t) - q0;
            float[] ct = scratch(cout * n);
            // ct[Cout, n] = wmat[Cout, K] x B, B(p, j) = xp[b, first + q0 + j + offs[p]]
            kern.gemmShiftedBPacked(cout, n, k, packed, xp, b * c * g.vol() + g.first() + q0, offs, ct, 0, n);
            scatter(ct, n, g, g.first() + q0, cout, bias, y, b * cout * v);
        });
    }

    /** Copies the interior columns of ct[Cout, n] (padded indices qa .. qa+n-1) into y (+ bias). */
    private static void scatter(float[] ct, int n, Padded g, int qa, int cout, float[] bias, float[] y, int yOff) {
        int d = g.d(), h = g.h(), w = g.w(), wp = g.wp(), v = d * h * w, qb = qa + n;
        for (int line = qa / wp, last = (qb - 1) / wp; line <= last; line++) {
            int zp = line / (h + 2), yp = line - zp * (h + 2);
            if (zp < 1 || zp > d || yp < 1 || yp > h) continue;
            int s = Math.max(qa, line * wp + 1), e = Math.min(qb, line * wp + w + 1);
            if (s >= e) continue;
            int dst = yOff + ((zp - 1) * h + (yp - 1)) * w + (s - line * wp - 1), src = s - qa, len = e - s;
            for (int o = 0; o < cout; o++) {
                int so = o * n + src, dO = dst + o * v;
                if (bias == null) {
                    System.arraycopy(ct, so, y, dO, len);
                } else {
                    float bo = bias[o];
                    for (int j = 0; j < len; j++) y[dO + j] = ct[so + j] + bo;
                }
            }
        }
    }

    /**
     * dw[Cout, Cin*27] = sum over batch and voxels of dy[b, :, p] x im2col(x)[:, p]^T, from the
     * padded xp and dyp (the zero ring of dyp drops the ring positions).
     *
     * <p>The batch x span sequence is cut into G consecutive groups (G depends on the shape
     * only). Each group runs on one thread and accumulates its range in order into its own
     * partial (beta = 1 continues the sums); the partials are then added in group order. With
     * one group (a layer with a huge Cout*K), the caller's single range runs in parallel over
     * blocks of 4 output channels instead (each C element is computed the same way in any row
     * block). Either way the bits do not depend on the thread count. This is the lane-sum kernel
     * ({@link Kernels#gemmShiftedBt}) over the padded spans; from 16 output channels
     * ({@link #chained}: a rule of Cout alone) {@link #weightGradInRows} takes over.
     */
    static float[] weightGrad(float[] xp, float[] dyp, int batch, int cin, int cout, int d, int h, int w) {
        return weightGrad(xp, dyp, batch, cin, cout, d, h, w, MAX_PARTIAL_FLOATS);
    }

    static float[] weightGrad(float[] xp, float[] dyp, int batch, int cin, int cout, int d, int h, int w, int maxPartialFloats) {
        if (chained(cout)) return weightGradInRows(xp, dyp, batch, cin, cout, d, h, w, maxPartialFloats);
        Padded g = new Padded(d, h, w);
        int k = cin * 27, span = g.span(), vp = g.vol(), size = cout * k;
        long total = (long) batch * span;
        int groups = (int) Math.max(1, Math.min(Math.min((total + MIN_GROUP_COLUMNS - 1) / MIN_GROUP_COLUMNS, MAX_GROUPS),
                maxPartialFloats / size));
        int[] offs = g.offsets(cin);
        Kernels kern = Backend.kernels();
        if (groups == 1) {
            float[] dw = new float[size];
            int rows = 4, rowBlocks = (cout + rows - 1) / rows;
            Parallel.forEach(rowBlocks, rb -> {
                int r0 = rb * rows, m = Math.min(cout, r0 + rows) - r0;
                for (int b = 0; b < batch; b++) {
                    kern.gemmShiftedBt(m, k, span, dyp, (b * cout + r0) * vp + g.first(), vp,
                            xp, b * cin * vp + g.first(), offs, b == 0 ? 0f : 1f, dw, r0 * k, k);
                }
            });
            return dw;
        }
        // one part per group and block of DW_ROWS output channels: a C element gets the same
        // arithmetic whichever rows share its kernel call, so the rows may be split (more, smaller
        // parts) without a change of bits
        float[] partial = new float[groups * size];
        inGroups(total, span, groups, cout, DW_ROWS, (gi, r0, m, b, q0, n, first) ->
                // partial[g][r0:r0+m] (+)= dyp[b, r0:r0+m, q0:q0+n] ([m, n], lda = vol) x B^T, B(j, q) = xp[b, q + offs[j]]
                kern.gemmShiftedBt(m, k, n, dyp, (b * cout + r0) * vp + g.first() + q0, vp,
                        xp, b * cin * vp + g.first() + q0, offs, first ? 0f : 1f, partial, gi * size + r0 * k, k));
        return sumOfPartials(partial, groups, size);
    }

    /** A run of one dw part: group gi, output channels r0 .. r0+m, units [start, start+count) of batch element b. */
    private interface GroupRun {
        void run(int gi, int r0, int m, int b, int start, int count, boolean first);
    }

    /**
     * Cuts the batch x perBatch units (padded voxels or lines) into {@code groups} consecutive
     * ranges and Cout into blocks of {@code rows}; one parallel part per group and block runs its
     * range in order, one {@link GroupRun} per batch element it touches ({@code first} for its first).
     */
    private static void inGroups(long total, int perBatch, int groups, int cout, int rows, GroupRun body) {
        int rowBlocks = (cout + rows - 1) / rows;
        Parallel.forEach(groups * rowBlocks, part -> {
            int gi = part / rowBlocks, r0 = (part % rowBlocks) * rows, m = Math.min(cout, r0 + rows) - r0;
            long s0 = total * gi / groups, s1 = total * (gi + 1) / groups;
            for (long s = s0; s < s1; ) {
                int b = (int) (s / perBatch), start = (int) (s - (long) b * perBatch), count = (int) Math.min(perBatch - start, s1 - s);
                body.run(gi, r0, m, b, start, count, s == s0);
                s += count;
            }
        });
    }

    /** dw = the groups' partials [groups, size] added in group order: fixed, whatever ran where. */
    private static float[] sumOfPartials(float[] partial, int groups, int size) {
        if (groups == 1) return partial;
        float[] dw = Arrays.copyOf(partial, size);
        Parallel.forRange(size, 1024, (s, e) -> {
            for (int gi = 1; gi < groups; gi++) {
                int off = gi * size;
                for (int i = s; i < e; i++) dw[i] += partial[off + i];
            }
        });
        return dw;
    }

    /**
     * {@link #weightGrad} with the chain kernel over the interior rows alone
     * ({@link Kernels#gemmShiftedBtChainRows}; the ring's dy is zero, so its columns would add
     * only work). The batch x D*H lines are cut into G consecutive groups of
     * whole lines (G depends on the shape only), each accumulated in order into its own partial
     * by row blocks of CHAIN_ROWS output channels, the partials then added in group order; with
     * one group, the row blocks run in parallel over all lines. Bit-identical for any thread count.
     */
    private static float[] weightGradInRows(float[] xp, float[] dyp, int batch, int cin, int cout, int d, int h, int w,
                                            int maxPartialFloats) {
        Padded g = new Padded(d, h, w);
        int k = cin * 27, vp = g.vol(), size = cout * k, lines = d * h;
        long total = (long) batch * lines;
        int groups = (int) Math.max(1, Math.min(Math.min(Math.min(
                ((long) batch * d * h * w + MIN_GROUP_COLUMNS - 1) / MIN_GROUP_COLUMNS, MAX_GROUPS), maxPartialFloats / size), total));
        int[] offs = g.offsets(cin), rowStarts = g.rowStarts();
        Kernels kern = Backend.kernels();
        float[] partial = new float[groups * size];
        inGroups(total, lines, groups, cout, CHAIN_ROWS, (gi, r0, m, b, r, rows, first) ->
                // partial[g][r0:r0+m] (+)= over the rows: dyp[b, r0:r0+m, q] x xp[b, :, q + offs[j]]
                kern.gemmShiftedBtChainRows(m, k, dyp, (b * cout + r0) * vp, vp, xp, b * cin * vp, rowStarts, r, rows, w,
                        offs, first ? 0f : 1f, partial, gi * size + r0 * k, k));
        return sumOfPartials(partial, groups, size);
    }

    /**
     * Whether dw of a layer with {@code cout} output channels takes {@link Kernels#gemmShiftedBtChain}
     * (the channels in the lanes, one FMA chain per weight) rather than {@link Kernels#gemmShiftedBt}
     * (lane sums over the voxels): from 16 channels, a full AVX-512 vector; with fewer, lanes would
     * stay empty (measured: spec/performance.md, "dw with the output channels in the lanes"). A
     * rule of the shape alone, so the bits depend on neither the thread count nor the CPU's width.
     */
    static boolean chained(int cout) {
        return cout >= CHAIN_ROWS;
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
}
