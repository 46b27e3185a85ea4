package org.segloss.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.segloss.autograd.Var;
import org.segloss.tensor.Backend;
import org.segloss.tensor.Tensor;
import org.segloss.tensor.kernel.Kernels;
import org.segloss.tensor.kernel.Parallel;
import org.segloss.tensor.kernel.ScalarKernels;

/** Conv3d against a direct 7-loop convolution, gradient checks, determinism, bad arguments. */
class Conv3dTest {

    /** y[b,o,z,y,x] = bias[o] + sum_{i,kz,ky,kx} w[o,i,kz,ky,kx] x[b,i,z+kz-1,y+ky-1,x+kx-1]. */
    static float[] naive(Tensor x, Tensor w, Tensor bias) {
        int bs = x.dim(0), ci = x.dim(1), d = x.dim(2), h = x.dim(3), wd = x.dim(4), co = w.dim(0);
        float[] y = new float[bs * co * d * h * wd];
        int j = 0;
        for (int b = 0; b < bs; b++)
            for (int o = 0; o < co; o++)
                for (int z = 0; z < d; z++)
                    for (int yy = 0; yy < h; yy++)
                        for (int xx = 0; xx < wd; xx++) {
                            double s = bias == null ? 0 : bias.get(o);
                            for (int i = 0; i < ci; i++)
                                for (int kz = 0; kz < 3; kz++)
                                    for (int ky = 0; ky < 3; ky++)
                                        for (int kx = 0; kx < 3; kx++) {
                                            int sz = z + kz - 1, sy = yy + ky - 1, sx = xx + kx - 1;
                                            if (sz < 0 || sz >= d || sy < 0 || sy >= h || sx < 0 || sx >= wd) continue;
                                            s += (double) w.get(o, i, kz, ky, kx) * x.get(b, i, sz, sy, sx);
                                        }
                            y[j++] = (float) s;
                        }
        return y;
    }

    @Property(tries = 30)
    void forwardMatchesDirectConvolution(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int b = 1 + r.nextInt(2), ci = 1 + r.nextInt(3), co = 1 + r.nextInt(3);
        // sizes 1..6 include the degenerate 1 (every neighbour padded) and even sizes
        int d = 1 + r.nextInt(6), h = 1 + r.nextInt(6), w = 1 + r.nextInt(6);
        Tensor x = Tensor.randn(r.nextLong(), b, ci, d, h, w);
        Conv3d conv = new Conv3d(ci, co, r.nextLong());
        conv.bias().value().addi(Tensor.randn(r.nextLong(), co));
        float[] y = conv.forward(Var.constant(x)).value().toArray();
        NnTesting.assertClose(naive(x, conv.weight().value(), conv.bias().value()), y, 1e-4f, "Conv3d forward");
    }

    @Test
    void forwardMatchesAcrossManyTiles() {
        // 9 x 40 x 41 voxels: a span of about 15 000 padded voxels, several tiles of TILE_COLUMNS per batch element
        Tensor x = Tensor.randn(1, 2, 2, 9, 40, 41);
        Tensor w = Tensor.randn(2, 3, 2, 3, 3, 3), bias = Tensor.randn(3, 3);
        Var y = Conv3d.conv3d(Var.constant(x), Var.constant(w), Var.constant(bias));
        assertTrue(Conv3d.tileColumns(new Conv3d.Padded(9, 40, 41).span()) < 9 * 40 * 41, "several tiles");
        NnTesting.assertClose(naive(x, w, bias), y.value().toArray(), 1e-4f, "Conv3d forward, tiled");
    }

    @Property(tries = 25)
    void gradientsMatchFiniteDifferences(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int b = 1 + r.nextInt(2), ci = 1 + r.nextInt(3), co = 1 + r.nextInt(3);
        int d = NnTesting.odd(r), h = NnTesting.odd(r), w = NnTesting.odd(r);
        Tensor x = Tensor.randn(r.nextLong(), b, ci, d, h, w);
        Tensor wt = Tensor.randn(r.nextLong(), co, ci, 3, 3, 3).muli(0.3f), bias = Tensor.randn(r.nextLong(), co);
        NnTesting.assertGrad("Conv3d [" + b + "," + ci + "->" + co + "," + d + "," + h + "," + w + "]",
                v -> Conv3d.conv3d(v[0], v[1], v[2]), x, wt, bias);
    }

    @Test
    void gradientsWithoutBias() {
        Tensor x = Tensor.randn(5, 1, 2, 3, 3, 3), w = Tensor.randn(6, 2, 2, 3, 3, 3);
        NnTesting.assertGrad("Conv3d no bias", v -> Conv3d.conv3d(v[0], v[1], null), x, w);
    }

    /** Width 33 takes tiles of padded spans, 32 tiles of rows (whole vectors at every width). */
    @ParameterizedTest
    @ValueSource(ints = {33, 32})
    void bitIdenticalForAnyThreadCount(int width) {
        Tensor x = Tensor.randn(11, 2, 3, 7, 30, width);
        Tensor w = Tensor.randn(12, 4, 3, 3, 3, 3), bias = Tensor.randn(13, 4);
        Tensor seed = Tensor.randn(14, 2, 4, 7, 30, width);
        int saved = Parallel.threads();
        float[][] first = null;
        try {
            for (int t : new int[] {1, 2, 3}) {
                Parallel.setThreads(t);
                Var vx = Var.param(x.copy()), vw = Var.param(w.copy()), vb = Var.param(bias.copy());
                Var y = Conv3d.conv3d(vx, vw, vb);
                y.backward(seed);
                float[][] got = {y.value().toArray(), vx.grad().toArray(), vw.grad().toArray(), vb.grad().toArray()};
                if (first == null) first = got;
                else for (int i = 0; i < got.length; i++) assertArrayEquals(first[i], got[i], "output " + i + " on " + t + " threads");
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    @Test
    void backwardReusesItsPaddedDyBufferCleanly() {
        // backward pads dy into a per-thread buffer that keeps whatever the last (bigger) layer left
        // there; every element, ring zeros included, must be rewritten
        Tensor xa = Tensor.randn(31, 1, 2, 9, 11, 13), wa = Tensor.randn(32, 3, 2, 3, 3, 3), ga = Tensor.randn(33, 1, 3, 9, 11, 13);
        Tensor xb = Tensor.randn(34, 2, 3, 4, 5, 6), wb = Tensor.randn(35, 2, 3, 3, 3, 3), gb = Tensor.randn(36, 2, 2, 4, 5, 6);
        float[][] first = grads(xb, wb, gb);
        grads(xa, wa, ga);
        float[][] again = grads(xb, wb, gb);
        for (int i = 0; i < first.length; i++) assertArrayEquals(first[i], again[i], "gradient " + i);
        // and against the padded dy built in a fresh, zeroed array
        Conv3d.Padded g = new Conv3d.Padded(4, 5, 6);
        float[] dx = new float[xb.size()];
        Conv3d.conv(g.pad(gb.toArray(), 2, 2), 2, 2, 4, 5, 6, Conv3d.flipTranspose(wb.toArray(), 2, 3), 3, null, dx);
        assertArrayEquals(dx, first[0], "dx");
        float[] dw = Conv3d.weightGrad(g.pad(xb.toArray(), 2, 3), g.pad(gb.toArray(), 2, 2), 2, 3, 2, 4, 5, 6);
        assertArrayEquals(dw, first[1], "dw");
    }

    private static float[][] grads(Tensor x, Tensor w, Tensor seed) {
        Var vx = Var.param(x.copy()), vw = Var.param(w.copy());
        Conv3d.conv3d(vx, vw, null).backward(seed);
        return new float[][] {vx.grad().toArray(), vw.grad().toArray()};
    }

    @Test
    void weightGradientOneGroupMatchesManyGroups() {
        // the serial-tiles path (taken when the partials would exceed their memory bound) against the grouped path
        int b = 2, ci = 2, co = 3, d = 5, h = 30, w = 31;
        Conv3d.Padded g = new Conv3d.Padded(d, h, w);
        float[] x = g.pad(Tensor.randn(21, b, ci, d, h, w).toArray(), b, ci);
        float[] dy = g.pad(Tensor.randn(22, b, co, d, h, w).toArray(), b, co);
        float[] grouped = Conv3d.weightGrad(x, dy, b, ci, co, d, h, w);
        float[] serial = Conv3d.weightGrad(x, dy, b, ci, co, d, h, w, 1);
        NnTesting.assertClose(grouped, serial, 1e-4f, "dw one group vs grouped");
        // the chain kernel's one group: each weight one chain over every interior row of the batch, in order
        int co16 = 16;
        float[] dy16 = g.pad(Tensor.randn(23, b, co16, d, h, w).toArray(), b, co16), want = new float[co16 * ci * 27];
        for (int bb = 0; bb < b; bb++) {
            Backend.kernels().gemmShiftedBtChainRows(co16, ci * 27, dy16, bb * co16 * g.vol(), g.vol(), x, bb * ci * g.vol(),
                    g.rowStarts(), 0, d * h, w, g.offsets(ci), bb == 0 ? 0f : 1f, want, 0, ci * 27);
        }
        assertArrayEquals(want, Conv3d.weightGrad(x, dy16, b, ci, co16, d, h, w, 1), "chained dw in one group");
    }

    @Test
    void tileWidthDoesNotChangeBits() {
        // each output is one FMA chain over the taps whatever its tile and register tile: widths that
        // leave every kind of column remainder (8x3, 4x4, masked one-vector tiles) give the same bits
        int b = 2, c = 16, d = 5, h = 7, w = 9;
        Conv3d.Padded g = new Conv3d.Padded(d, h, w);
        float[] xp = g.pad(Tensor.randn(41, b, c, d, h, w).toArray(), b, c), wm = Tensor.randn(42, c, c, 3, 3, 3).toArray();
        float[] bias = Tensor.randn(43, c).toArray(), ref = new float[b * c * d * h * w];
        Conv3d.conv(xp, b, c, d, h, w, wm, c, bias, ref, g.span());   // one tile per batch element
        for (int t : new int[] {1, 17, 64, 100, 192, 256, 385, Conv3d.tileColumns(g.span())}) {
            float[] y = new float[ref.length];
            Conv3d.conv(xp, b, c, d, h, w, wm, c, bias, y, t);
            assertArrayEquals(ref, y, "tiles of " + t);
        }
    }

    /**
     * Tiles of interior rows (written straight into y) give the bits of tiles of padded spans,
     * for rows of 16 and 32 voxels (whole vectors at every width), 16 channels (the 8-row
     * register tiles) and 3 (a row at a time), tiles of one row to one batch element; and the
     * convolution they compute is the definition's.
     */
    @Test
    void rowTilesGiveTheBitsOfSpanTiles() {
        for (int[] s : new int[][] {{2, 16, 3, 5, 16}, {1, 3, 16, 4, 32}, {2, 16, 8, 2, 16}}) {
            int b = s[0], ci = s[1], co = s[2], d = s[3], h = 6, w = s[4];
            Conv3d.Padded g = new Conv3d.Padded(d, h, w);
            Tensor x = Tensor.randn(51, b, ci, d, h, w), wt = Tensor.randn(52, co, ci, 3, 3, 3), bias = Tensor.randn(53, co);
            float[] xp = g.pad(x.toArray(), b, ci), ref = new float[b * co * d * h * w];
            Conv3d.conv(xp, b, ci, d, h, w, wt.toArray(), co, bias.toArray(), ref, Conv3d.tileColumns(g.span()), false);
            NnTesting.assertClose(naive(x, wt, bias), ref, 1e-4f, "Conv3d forward in spans");
            for (int t : new int[] {1, w, 3 * w + 5, 192, g.span()}) {
                float[] y = new float[ref.length];
                Conv3d.conv(xp, b, ci, d, h, w, wt.toArray(), co, bias.toArray(), y, t, true);
                assertArrayEquals(ref, y, "rows of " + w + ", " + ci + " -> " + co + ", tiles of " + t);
            }
        }
    }

    @Test
    void tileWidthsAreWholeRegisterTiles() {
        for (int s : new int[] {4, 8, 16, 32, 64, 100}) {
            int span = new Conv3d.Padded(s, s, s).span(), t = Conv3d.tileColumns(span);
            assertTrue(t == span || t % Conv3d.TILE_QUANTUM == 0, "tile " + t + " of span " + span);
            assertTrue(t <= Conv3d.TILE_COLUMNS && (t >= Conv3d.MIN_TILE_COLUMNS || t == span), "tile " + t + " of span " + span);
        }
    }

    @Test
    void weightGradRowBlocksGiveTheBitsOfWholeGroups() {
        // weightGrad runs each group in blocks of DW_ROWS output channels (CHAIN_ROWS from 16 on,
        // the chain kernel over whole lines); the same groups with all Cout rows in one kernel call
        // per range (as before the split) must give the same bits, for Cout around multiples of 8
        // and 16 and with rows past the last multiple
        for (Kernels kern : new Kernels[] {ScalarKernels.INSTANCE, Backend.kernels()}) {
            try (Backend.Scope ignored = Backend.use(kern)) {
                for (int co : new int[] {3, 8, 13, 15, 16, 20, 24, 33}) {
                    int bs = 2, ci = 3, d = 8, h = 12, w = 13;
                    Conv3d.Padded g = new Conv3d.Padded(d, h, w);
                    float[] xp = g.pad(Tensor.randn(51 + co, bs, ci, d, h, w).toArray(), bs, ci);
                    float[] dyp = g.pad(Tensor.randn(61 + co, bs, co, d, h, w).toArray(), bs, co);
                    float[] dw = Conv3d.weightGrad(xp, dyp, bs, ci, co, d, h, w);
                    assertArrayEquals(wholeGroups(xp, dyp, bs, ci, co, g), dw, "Cout " + co + " " + kern);
                }
            }
        }
    }

    /**
     * From 16 output channels dw takes the chain kernel (the channels in the lanes): its weights
     * against the definition summed in double, dw[o,i,k] = sum_{b,p} dy[b,o,p] x[b,i,p+k-1] (x = 0
     * outside), and the same bits on 1, 2 and 3 threads, through the layer's backward; 17 channels
     * leave a lane block with one row.
     */
    @Test
    void chainedWeightGradientIsTheSumOnAnyThreadCount() {
        int b = 2, ci = 3, d = 5, h = 6;
        for (int[] cw : new int[][] {{16, 7}, {17, 7}, {16, 32}}) {
            int co = cw[0], w = cw[1];
            assertTrue(Conv3d.chained(co), "Cout " + co + " takes the chain kernel");
            Tensor x = Tensor.randn(81 + co, b, ci, d, h, w), wt = Tensor.randn(82, co, ci, 3, 3, 3), seed = Tensor.randn(83, b, co, d, h, w);
            float[] xs = x.toArray(), dy = seed.toArray();
            double[] want = new double[co * ci * 27];
            double[] scale = new double[want.length];
            for (int o = 0; o < co; o++) for (int i = 0; i < ci; i++) for (int k = 0; k < 27; k++) {
                int kz = k / 9 - 1, ky = k / 3 % 3 - 1, kx = k % 3 - 1, at = (o * ci + i) * 27 + k;
                for (int bb = 0; bb < b; bb++) for (int z = 0; z < d; z++) for (int yy = 0; yy < h; yy++) for (int xx = 0; xx < w; xx++) {
                    int zs = z + kz, ys = yy + ky, xs2 = xx + kx;
                    if (zs < 0 || zs >= d || ys < 0 || ys >= h || xs2 < 0 || xs2 >= w) continue;
                    double p = (double) dy[(((bb * co + o) * d + z) * h + yy) * w + xx] * xs[(((bb * ci + i) * d + zs) * h + ys) * w + xs2];
                    want[at] += p;
                    scale[at] += Math.abs(p);
                }
            }
            int saved = Parallel.threads();
            float[] first = null;
            try {
                for (int t : new int[] {1, 2, 3}) {
                    Parallel.setThreads(t);
                    Var vw = Var.param(wt.copy());
                    Conv3d.conv3d(Var.constant(x), vw, null).backward(seed);
                    float[] dw = vw.grad().toArray();
                    if (first == null) {
                        first = dw;
                        for (int j = 0; j < dw.length; j++) {
                            assertEquals(want[j], dw[j], 1e-5 * scale[j] + 1e-6, "Cout " + co + " dw at " + j);
                        }
                    } else {
                        assertArrayEquals(first, dw, "Cout " + co + " dw on " + t + " threads");
                    }
                }
            } finally {
                Parallel.setThreads(saved);
            }
        }
    }

    /** dw as weightGrad computed it with one kernel call per group and range over all Cout rows. */
    private static float[] wholeGroups(float[] xp, float[] dyp, int batch, int cin, int cout, Conv3d.Padded g) {
        if (Conv3d.chained(cout)) return wholeGroupsOfRows(xp, dyp, batch, cin, cout, g);
        int k = cin * 27, span = g.span(), vp = g.vol(), size = cout * k;
        long total = (long) batch * span;
        int groups = (int) Math.min((total + Conv3d.MIN_GROUP_COLUMNS - 1) / Conv3d.MIN_GROUP_COLUMNS, Conv3d.MAX_GROUPS);
        assertTrue(groups > 1, "several groups");
        int[] offs = g.offsets(cin);
        float[] dw = new float[size], partial = new float[size];
        for (int gi = 0; gi < groups; gi++) {
            long s0 = total * gi / groups, s1 = total * (gi + 1) / groups;
            boolean firstCall = true;
            for (long s = s0; s < s1; ) {
                int b = (int) (s / span), q0 = (int) (s - (long) b * span), n = (int) Math.min(span - q0, s1 - s);
                Backend.kernels().gemmShiftedBt(cout, k, n, dyp, b * cout * vp + g.first() + q0, vp,
                        xp, b * cin * vp + g.first() + q0, offs, firstCall ? 0f : 1f, partial, 0, k);
                firstCall = false;
                s += n;
            }
            for (int i = 0; i < size; i++) dw[i] = gi == 0 ? partial[i] : dw[i] + partial[i];
        }
        return dw;
    }

    /** The same for the chain kernel: groups of whole lines of the batch x D*H lines, only the interior rows. */
    private static float[] wholeGroupsOfRows(float[] xp, float[] dyp, int batch, int cin, int cout, Conv3d.Padded g) {
        int k = cin * 27, vp = g.vol(), size = cout * k, lines = g.d() * g.h();
        long total = (long) batch * lines;
        int groups = (int) Math.min(((long) batch * lines * g.w() + Conv3d.MIN_GROUP_COLUMNS - 1) / Conv3d.MIN_GROUP_COLUMNS,
                Conv3d.MAX_GROUPS);
        assertTrue(groups > 1, "several groups");
        int[] offs = g.offsets(cin), starts = new int[lines];
        for (int z = 0; z < g.d(); z++) for (int y = 0; y < g.h(); y++) starts[z * g.h() + y] = g.first() + z * g.plane() + y * g.wp();
        float[] dw = new float[size], partial = new float[size];
        for (int gi = 0; gi < groups; gi++) {
            long l0 = total * gi / groups, l1 = total * (gi + 1) / groups;
            for (long line = l0; line < l1; ) {
                int b = (int) (line / lines), r = (int) (line - (long) b * lines), rows = (int) Math.min(lines - r, l1 - line);
                Backend.kernels().gemmShiftedBtChainRows(cout, k, dyp, b * cout * vp, vp, xp, b * cin * vp, starts, r, rows, g.w(),
                        offs, line == l0 ? 0f : 1f, partial, 0, k);
                line += rows;
            }
            for (int i = 0; i < size; i++) dw[i] = gi == 0 ? partial[i] : dw[i] + partial[i];
        }
        return dw;
    }

    @Test
    void weightGradientAloneMatchesBoth() {
        // x without a gradient: backward pads dy without allocating a dx array (and returns no dx)
        Tensor x = Tensor.randn(71, 2, 3, 5, 6, 7), w = Tensor.randn(72, 4, 3, 3, 3, 3), seed = Tensor.randn(73, 2, 4, 5, 6, 7);
        Var vw = Var.param(w.copy());
        Conv3d.conv3d(Var.constant(x), vw, null).backward(seed);
        assertArrayEquals(grads(x, w, seed)[1], vw.grad().toArray(), "dw without dx");
    }

    @Test
    void badArgumentsNameTheLayerAndParameter() {
        Conv3d conv = new Conv3d(2, 4, 0);
        var e = assertThrows(IllegalArgumentException.class, () -> conv.forward(Var.constant(Tensor.zeros(1, 3, 4, 4, 4))));
        assertTrue(e.getMessage().contains("Conv3d") && e.getMessage().contains("x") && e.getMessage().contains("2 channels")
                && e.getMessage().contains("got 3"), e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> conv.forward(Var.constant(Tensor.zeros(2, 4, 4, 4))));
        assertTrue(e2.getMessage().contains("rank 5") && e2.getMessage().contains("[2, 4, 4, 4]"), e2.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Conv3d(0, 4, 0));
    }

    @Test
    void kaimingInitHasTheRightSpread() {
        Conv3d conv = new Conv3d(16, 32, 7);
        float[] w = conv.weight().value().toArray();
        double ss = 0;
        for (float v : w) ss += v * v;
        double std = Math.sqrt(ss / w.length), expected = Math.sqrt(2.0 / (16 * 27));
        assertTrue(Math.abs(std / expected - 1) < 0.05, "std " + std + " vs " + expected);
        assertArrayEquals(w, new Conv3d(16, 32, 7).weight().value().toArray(), "seeded");
        assertTrue(conv.namedParameters().keySet().toString().equals("[weight, bias]"));
    }
}
