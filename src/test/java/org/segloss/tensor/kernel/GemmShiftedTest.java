package org.segloss.tensor.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Kernels#gemmShiftedB}, {@link Kernels#gemmShiftedBt} and {@link Kernels#gemmShiftedBtChain} (the implicit-im2col products
 * of Conv3d) at every vector width against the scalar twin, at sizes around the lane counts and
 * the 4-row / 4-vector tiles, with negative offsets, offsets into the arrays, padded leading
 * dimensions, beta 0 (NaN in C must not leak) and 1, and no write outside C.
 *
 * <p>Tolerance as in {@link GemmTest}: 1e-5 * (sum of |products| + beta |C|) + 1e-6.
 */
class GemmShiftedTest {

    static final int[] MS = {1, 3, 4, 5, 8, 16, 17, 24};
    static final int[] NS = {1, 3, 15, 16, 17, 63, 64, 65, 129, 2100};
    static final int[] KS = {1, 2, 4, 5, 27, 54};

    static Stream<Kernels> vectors() {
        List<Kernels> ks = new ArrayList<>();
        for (int bits : KernelProvider.supportedWidths()) ks.add(KernelProvider.vector(bits));
        return ks.stream();
    }

    /** Every vector kernel set and the scalar twin. */
    static List<Kernels> allKernels() {
        List<Kernels> all = new ArrayList<>(vectors().toList());
        all.add(ScalarKernels.INSTANCE);
        return all;
    }

    /** k row offsets in [-spread, spread], and the src length that keeps every read in range. */
    record Rows(int[] offs, int srcOff, float[] src) {
        static Rows random(SplittableRandom r, int k, int n, int spread) {
            int[] offs = new int[k];
            for (int p = 0; p < k; p++) offs[p] = r.nextInt(2 * spread + 1) - spread;
            int srcOff = spread + 3;
            float[] src = new float[srcOff + spread + n + 5];
            for (int i = 0; i < src.length; i++) src[i] = (float) r.nextGaussian();
            return new Rows(offs, srcOff, src);
        }
    }

    @ParameterizedTest
    @MethodSource("vectors")
    void shiftedBMatchesScalar(Kernels v) {
        SplittableRandom r = new SplittableRandom(1);
        for (int m : MS) for (int n : NS) for (int k : KS) {
            String ctx = v.name() + " gemmShiftedB m=" + m + " n=" + n + " k=" + k;
            Rows rows = Rows.random(r, k, n, 40);
            int lda = k + 2, aOff = 3, ldc = n + 3, cOff = 2;
            float[] a = random(r, aOff + m * lda);
            float[] c0 = random(r, cOff + m * ldc + 4);
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) c0[cOff + i * ldc + j] = Float.NaN;
            float[] cs = c0.clone(), cv = c0.clone();
            ScalarKernels.INSTANCE.gemmShiftedB(m, n, k, a, aOff, lda, rows.src, rows.srcOff, rows.offs, cs, cOff, ldc);
            v.gemmShiftedB(m, n, k, a, aOff, lda, rows.src, rows.srcOff, rows.offs, cv, cOff, ldc);
            compare(ctx, c0, cs, cv, cOff, m, n, ldc, (i, j) -> {
                double s = 0;
                for (int p = 0; p < k; p++) s += Math.abs(a[aOff + i * lda + p] * rows.src[rows.srcOff + rows.offs[p] + j]);
                return s;
            });
        }
    }

    @ParameterizedTest
    @MethodSource("vectors")
    void shiftedBtMatchesScalar(Kernels v) {
        SplittableRandom r = new SplittableRandom(2);
        int[] lens = {1, 3, 15, 16, 17, 65, 2047, 2049, 8200};
        for (float beta : new float[] {0f, 1f}) for (int m : MS) for (int k : KS) for (int n : lens) {
            String ctx = v.name() + " gemmShiftedBt beta=" + beta + " m=" + m + " k=" + k + " n=" + n;
            Rows rows = Rows.random(r, k, n, 40);
            int lda = n + 5, aOff = 1, ldc = k + 3, cOff = 2;
            float[] a = random(r, aOff + m * lda);
            float[] c0 = random(r, cOff + m * ldc + 4);
            if (beta == 0f) for (int i = 0; i < m; i++) for (int j = 0; j < k; j++) c0[cOff + i * ldc + j] = Float.NaN;
            float[] cs = c0.clone(), cv = c0.clone();
            ScalarKernels.INSTANCE.gemmShiftedBt(m, k, n, a, aOff, lda, rows.src, rows.srcOff, rows.offs, beta, cs, cOff, ldc);
            v.gemmShiftedBt(m, k, n, a, aOff, lda, rows.src, rows.srcOff, rows.offs, beta, cv, cOff, ldc);
            compare(ctx, c0, cs, cv, cOff, m, k, ldc, (i, j) -> {
                double s = beta == 0f ? 0 : Math.abs(c0[cOff + i * ldc + j]);
                for (int q = 0; q < n; q++) s += Math.abs(a[aOff + i * lda + q] * rows.src[rows.srcOff + rows.offs[j] + q]);
                return s;
            });
        }
    }

    /** Conv3d's offsets for cin channels of a padded volume d x h x w: 27 taps per channel, in runs of three (kx). */
    static int[] convOffsets(int cin, int d, int h, int w) {
        int wp = w + 2, plane = (h + 2) * wp, vol = (d + 2) * plane;
        int[] offs = new int[cin * 27];
        for (int ch = 0, r = 0; ch < cin; ch++) {
            for (int kz = 0; kz < 3; kz++) for (int ky = 0; ky < 3; ky++) for (int kx = 0; kx < 3; kx++) {
                offs[r++] = ch * vol + (kz - 1) * plane + (ky - 1) * wp + (kx - 1);
            }
        }
        return offs;
    }

    /**
     * {@link Kernels#gemmShiftedBtChain}: the vector kernel gives the scalar chain's bits, at every
     * width, for rows around the lane counts (lanes left empty, several lane blocks), taps in runs
     * of three (Conv3d's: the 24-tap tiles, and their remainders) and at random offsets (the
     * one-tap path), column counts around the 256-column blocks, beta 0 (NaN in C must not leak)
     * and 1, offsets into padded arrays, and no write outside C; and the chains are the sums
     * (against double within the usual tolerance).
     */
    @ParameterizedTest
    @MethodSource("vectors")
    void shiftedBtChainGivesTheScalarBits(Kernels v) {
        SplittableRandom r = new SplittableRandom(7);
        int[] ms = {1, 3, 7, 8, 15, 16, 17, 32, 33};
        int[] lens = {0, 1, 17, 255, 256, 257, 600};
        for (float beta : new float[] {0f, 1f}) for (int m : ms) for (int n : lens) for (int kind = 0; kind < 3; kind++) {
            // kind 0: Conv3d's offsets for 2 channels (54 taps: 2 tiles of 24 and 6 single taps);
            // 1: for 1 channel (27 taps); 2: 29 random offsets (no runs of three)
            Rows rows;
            if (kind == 2) {
                rows = Rows.random(r, 29, n, 40);
            } else {
                int cin = kind == 0 ? 2 : 1, d = 3, h = 4, w = 5, vol = (d + 2) * (h + 2) * (w + 2), first = (h + 2) * (w + 2) + (w + 2) + 1;
                float[] src = random(r, cin * vol + n + 2 * first + 8);
                rows = new Rows(convOffsets(cin, d, h, w), first + 3, src);
            }
            int k = rows.offs.length;
            String ctx = v.name() + " gemmShiftedBtChain beta=" + beta + " m=" + m + " k=" + k + " n=" + n + " kind=" + kind;
            int lda = n + 5, aOff = 1, ldc = k + 3, cOff = 2;
            float[] a = random(r, aOff + m * lda);
            float[] c0 = random(r, cOff + m * ldc + 4);
            if (beta == 0f) for (int i = 0; i < m; i++) for (int j = 0; j < k; j++) c0[cOff + i * ldc + j] = Float.NaN;
            float[] cs = c0.clone(), cv = c0.clone();
            ScalarKernels.INSTANCE.gemmShiftedBtChain(m, k, n, a, aOff, lda, rows.src, rows.srcOff, rows.offs, beta, cs, cOff, ldc);
            v.gemmShiftedBtChain(m, k, n, a, aOff, lda, rows.src, rows.srcOff, rows.offs, beta, cv, cOff, ldc);
            for (int i = 0; i < cv.length; i++) {
                if (Float.floatToRawIntBits(cs[i]) != Float.floatToRawIntBits(cv[i])) fail(ctx + ": element " + i + " scalar " + cs[i] + ", vector " + cv[i]);
            }
            // nothing written outside C (checked by compare), and each chain is its sum
            compare(ctx, c0, cs, cv, cOff, m, k, ldc, (i, j) -> 0);
            for (int i = 0; i < m; i++) for (int j = 0; j < k; j++) {
                double want = beta == 0f ? 0 : c0[cOff + i * ldc + j], scale = Math.abs(want);
                for (int q = 0; q < n; q++) {
                    double p = (double) a[aOff + i * lda + q] * rows.src[rows.srcOff + rows.offs[j] + q];
                    want += p;
                    scale += Math.abs(p);
                }
                double got = cs[cOff + i * ldc + j];
                if (!(Math.abs(got - want) <= 1e-5 * scale + 1e-6)) fail(ctx + " at C(" + i + ", " + j + "): " + got + ", sum in double " + want);
            }
        }
    }

    /**
     * {@link Kernels#gemmShiftedBtChainRows}: the vector kernel gives the bits of the scalar twin
     * (gemmShiftedBtChain row after row), at every width, for rows of lengths around 16 and the
     * 512-column blocks (several rows per block, rows split across blocks), starts anywhere
     * (gaps, overlaps, backwards), Conv3d's offsets (the 24-tap tiles) and random ones, zero
     * rows, beta 0 (NaN in C must not leak) and 1, and no write outside C.
     */
    @ParameterizedTest
    @MethodSource("vectors")
    void shiftedBtChainRowsGiveTheScalarBits(Kernels v) {
        SplittableRandom r = new SplittableRandom(9);
        for (float beta : new float[] {0f, 1f}) for (int m : new int[] {1, 16, 17, 33}) {
            for (int len : new int[] {1, 15, 16, 17, 64, 100, 700}) for (int rowCount : new int[] {0, 1, 2, 5, 9}) {
                for (int kind = 0; kind < 2; kind++) {
                    int spread = 270, room = 3 * len + 50, rowsOff = 1, aOff = 2, lda = spread + room + len + 7, ldc = 60, cOff = 3;
                    int[] offs;
                    if (kind == 0) {
                        offs = convOffsets(2, 3, 4, 5);   // 54 taps, |offset| <= 260
                    } else {
                        offs = new int[29];
                        for (int p = 0; p < offs.length; p++) offs[p] = r.nextInt(2 * spread + 1) - spread;
                    }
                    int k = offs.length;
                    int[] starts = new int[rowsOff + rowCount];
                    for (int i = 0; i < starts.length; i++) starts[i] = r.nextInt(room);
                    int srcOff = spread + 1;
                    float[] src = random(r, srcOff + room + len + spread + 2), a = random(r, aOff + m * lda);
                    float[] c0 = random(r, cOff + m * ldc + 4);
                    if (beta == 0f) for (int i = 0; i < m; i++) for (int j = 0; j < k; j++) c0[cOff + i * ldc + j] = Float.NaN;
                    float[] cs = c0.clone(), cv = c0.clone();
                    ScalarKernels.INSTANCE.gemmShiftedBtChainRows(m, k, a, aOff, lda, src, srcOff, starts, rowsOff, rowCount, len,
                            offs, beta, cs, cOff, ldc);
                    v.gemmShiftedBtChainRows(m, k, a, aOff, lda, src, srcOff, starts, rowsOff, rowCount, len, offs, beta, cv, cOff, ldc);
                    String ctx = v.name() + " gemmShiftedBtChainRows beta=" + beta + " m=" + m + " len=" + len + " rows=" + rowCount
                            + " kind=" + kind;
                    for (int i = 0; i < cv.length; i++) {
                        if (Float.floatToRawIntBits(cs[i]) != Float.floatToRawIntBits(cv[i])) {
                            fail(ctx + ": element " + i + " scalar " + cs[i] + ", vector " + cv[i]);
                        }
                    }
                    compare(ctx, c0, cs, cv, cOff, m, k, ldc, (i, j) -> 0);
                    if (beta == 0f && rowCount == 0) assertEquals(0f, cv[cOff], ctx + ": no rows, beta 0 gives 0");
                }
            }
        }
    }

    /** Splitting C by rows or columns does not change a bit (Conv3d's determinism relies on it). */
    @ParameterizedTest
    @MethodSource("vectors")
    void splittingCIsBitNeutral(Kernels v) {
        SplittableRandom r = new SplittableRandom(3);
        int m = 11, n = 150, k = 27;
        Rows rows = Rows.random(r, k, n, 30);
        float[] a = random(r, m * k), whole = new float[m * n], parts = new float[m * n];
        v.gemmShiftedB(m, n, k, a, 0, k, rows.src, rows.srcOff, rows.offs, whole, 0, n);
        // rows 0..4, 5..10; columns 0..69, 70..149 of each
        for (int[] rs : new int[][] {{0, 5}, {5, 11}}) {
            for (int[] cs : new int[][] {{0, 70}, {70, 150}}) {
                v.gemmShiftedB(rs[1] - rs[0], cs[1] - cs[0], k, a, rs[0] * k, k, rows.src, rows.srcOff + cs[0], rows.offs,
                        parts, rs[0] * n + cs[0], n);
            }
        }
        for (int i = 0; i < whole.length; i++) {
            assertEquals(Float.floatToRawIntBits(whole[i]), Float.floatToRawIntBits(parts[i]), "gemmShiftedB at " + i);
        }
        int lda = 500;
        rows = Rows.random(r, k, 480, 30);
        float[] a2 = random(r, m * lda), dw = new float[m * k], dwRows = new float[m * k];
        v.gemmShiftedBt(m, k, 480, a2, 0, lda, rows.src, rows.srcOff, rows.offs, 0f, dw, 0, k);
        v.gemmShiftedBt(3, k, 480, a2, 0, lda, rows.src, rows.srcOff, rows.offs, 0f, dwRows, 0, k);
        v.gemmShiftedBt(m - 3, k, 480, a2, 3 * lda, lda, rows.src, rows.srcOff, rows.offs, 0f, dwRows, 3 * k, k);
        for (int i = 0; i < dw.length; i++) {
            assertEquals(Float.floatToRawIntBits(dw[i]), Float.floatToRawIntBits(dwRows[i]), "gemmShiftedBt at " + i);
        }
    }

    /**
     * Columns split at awkward places (each piece ends in a masked last vector, or is shorter
     * than one vector) give the bits of the whole product; and dw's column blocks (2,500
     * columns: several blocks and a tail) give the 8-row tiles the bits of the one-at-a-time
     * dot products of rows 8.. (the lane chains run over all columns in order).
     */
    @ParameterizedTest
    @MethodSource("vectors")
    void maskedTailsAndColumnBlocksAreBitNeutral(Kernels v) {
        SplittableRandom r = new SplittableRandom(5);
        int m = 6, n = 203, k = 29;
        Rows rows = Rows.random(r, k, n, 50);
        float[] a = random(r, m * k), whole = new float[m * n], parts = new float[m * n];
        v.gemmShiftedB(m, n, k, a, 0, k, rows.src, rows.srcOff, rows.offs, whole, 0, n);
        int[] cuts = {0, 1, 4, 21, 37, 100, 101, 203};
        for (int c = 0; c + 1 < cuts.length; c++) {
            v.gemmShiftedB(m, cuts[c + 1] - cuts[c], k, a, 0, k, rows.src, rows.srcOff + cuts[c], rows.offs, parts, cuts[c], n);
        }
        for (int i = 0; i < whole.length; i++) {
            assertEquals(Float.floatToRawIntBits(whole[i]), Float.floatToRawIntBits(parts[i]), "gemmShiftedB at " + i);
        }
        // 102 taps: 34 groups of 3 (the gathered end for 32 of them at 16 lanes, the scalar end for
        // the rest), 2,500 columns: a tail of 4 at every width; beta 0, then beta 1 onto that
        int rowsA = 16, len = 2500, kk = 102;
        rows = Rows.random(r, kk, len, 60);
        float[] a2 = random(r, rowsA * len), tiled = new float[rowsA * kk], single = new float[rowsA * kk];
        for (float beta : new float[] {0f, 1f}) {
            v.gemmShiftedBt(rowsA, kk, len, a2, 0, len, rows.src, rows.srcOff, rows.offs, beta, tiled, 0, kk);
            // one row at a time: m = 1 has no 8-row tile, so every element is a lone dot product
            for (int i = 0; i < rowsA; i++) {
                v.gemmShiftedBt(1, kk, len, a2, i * len, len, rows.src, rows.srcOff, rows.offs, beta, single, i * kk, kk);
            }
            for (int i = 0; i < tiled.length; i++) {
                assertEquals(Float.floatToRawIntBits(single[i]), Float.floatToRawIntBits(tiled[i]), "gemmShiftedBt beta " + beta + " at " + i);
            }
        }
    }

    /**
     * Row counts that are multiples of 8 take the 8-row x 3-vector tiles (then 4-row tiles for the
     * last columns): every element the same FMA chain, so the bits of computing each row alone
     * (m = 1: the 4-row tile's edge path), at column counts around multiples of 3 and 4 vectors.
     */
    @ParameterizedTest
    @MethodSource("vectors")
    void eightRowTilesAreBitNeutral(Kernels v) {
        SplittableRandom r = new SplittableRandom(7);
        int lanes = v.lanes(), k = 27;
        for (int m : new int[] {8, 16, 24}) {
            for (int n : new int[] {3 * lanes, 3 * lanes + 1, 4 * lanes + 5, 12 * lanes - 1, 7 * lanes + 3}) {
                Rows rows = Rows.random(r, k, n, 40);
                float[] a = random(r, m * k), whole = new float[m * n], single = new float[m * n];
                v.gemmShiftedB(m, n, k, a, 0, k, rows.src, rows.srcOff, rows.offs, whole, 0, n);
                for (int i = 0; i < m; i++) v.gemmShiftedB(1, n, k, a, i * k, k, rows.src, rows.srcOff, rows.offs, single, i * n, n);
                for (int i = 0; i < whole.length; i++) {
                    assertEquals(Float.floatToRawIntBits(single[i]), Float.floatToRawIntBits(whole[i]),
                            v.name() + " gemmShiftedB m=" + m + " n=" + n + " at " + i);
                }
            }
        }
    }

    /** A packed once by packShiftedA gives gemmShiftedB's bits, for the scalar and every vector kernel. */
    @Test
    void packedAGivesTheSameBits() {
        SplittableRandom r = new SplittableRandom(6);
        for (Kernels v : allKernels()) {
            for (int m : new int[] {1, 3, 4, 7, 17}) for (int n : new int[] {1, 15, 17, 70, 133}) for (int k : new int[] {1, 5, 27, 58}) {
                Rows rows = Rows.random(r, k, n, 30);
                int lda = k + 3, aOff = 2;
                float[] a = random(r, aOff + m * lda), plain = new float[m * n], packed = new float[m * n];
                v.gemmShiftedB(m, n, k, a, aOff, lda, rows.src, rows.srcOff, rows.offs, plain, 0, n);
                v.gemmShiftedBPacked(m, n, k, v.packShiftedA(m, k, a, aOff, lda), rows.src, rows.srcOff, rows.offs, packed, 0, n);
                for (int i = 0; i < plain.length; i++) {
                    assertEquals(Float.floatToRawIntBits(plain[i]), Float.floatToRawIntBits(packed[i]),
                            v.name() + " packed m=" + m + " n=" + n + " k=" + k + " at " + i);
                }
            }
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> v.gemmShiftedBPacked(5, 4, 3, new float[6], new float[20], 5, new int[] {0, 1, 2}, new float[20], 0, 4));
            assertTrue(e.getMessage().contains("packedA") && e.getMessage().contains("got 6"), e.getMessage());
        }
    }

    /**
     * gemmShiftedBRowsPacked gives each row the bits of gemmShiftedBPacked over that row alone:
     * rows of whole vectors (the 8 x 3 tiles across row ends, 4 x 1 tiles for the last one or
     * two vectors) and rows that are not (each row a span of its own), row counts 1-7 with
     * starts anywhere (gaps, overlaps, backwards), m on and off the 8-row tiles, C's other
     * elements untouched (NaN in C must not leak).
     */
    @Test
    void rowsGiveTheBitsOfEachRowAlone() {
        SplittableRandom r = new SplittableRandom(8);
        for (Kernels v : allKernels()) {
            int l = v.lanes();
            for (int m : new int[] {1, 4, 8, 12, 16, 24}) for (int len : new int[] {l, 2 * l, 3 * l, 4 * l, l + 1, 5}) {
                for (int rows : new int[] {1, 2, 3, 5, 7}) {
                    int k = 27 + r.nextInt(3), spread = 40, rowsOff = 2, srcOff = 3, ldc = rows * len + 5, cOff = 4;
                    int[] offs = new int[k], starts = new int[rowsOff + rows];
                    for (int p = 0; p < k; p++) offs[p] = r.nextInt(2 * spread + 1) - spread;
                    int room = 6 * len + 60;
                    for (int i = 0; i < starts.length; i++) starts[i] = spread + r.nextInt(room);
                    float[] src = random(r, srcOff + spread + room + len + spread + 5);
                    float[] packed = v.packShiftedA(m, k, random(r, m * k), 0, k);
                    float[] c0 = random(r, cOff + m * ldc);
                    for (int i = 0; i < m; i++) for (int j = 0; j < rows * len; j++) c0[cOff + i * ldc + j] = Float.NaN;
                    float[] byRows = c0.clone(), alone = c0.clone();
                    v.gemmShiftedBRowsPacked(m, k, packed, src, srcOff, starts, rowsOff, rows, len, offs, byRows, cOff, ldc);
                    for (int q = 0; q < rows; q++) {
                        v.gemmShiftedBPacked(m, len, k, packed, src, srcOff + starts[rowsOff + q], offs, alone, cOff + q * len, ldc);
                    }
                    for (int i = 0; i < c0.length; i++) {
                        assertEquals(Float.floatToRawIntBits(alone[i]), Float.floatToRawIntBits(byRows[i]),
                                v.name() + " rows m=" + m + " len=" + len + " rows=" + rows + " at " + i);
                    }
                }
            }
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> v.gemmShiftedBRowsPacked(8, 3, new float[6], new float[400], 5, new int[] {0}, 0, 1, 4 * l,
                            new int[] {0, 1, 2}, new float[8 * 4 * l], 0, 4 * l));
            assertTrue(e.getMessage().contains("packedA") && e.getMessage().contains("got 6"), e.getMessage());
        }
    }

    @Test
    void emptyAndZeroK() {
        for (Kernels v : Stream.concat(Stream.of((Kernels) ScalarKernels.INSTANCE), vectors()).toList()) {
            float[] c = {Float.NaN, Float.NaN, 7f};
            v.gemmShiftedB(1, 2, 0, new float[0], 0, 0, new float[0], 0, new int[0], c, 0, 2);
            assertTrue(c[0] == 0f && c[1] == 0f && c[2] == 7f, v.name() + " k = 0 gives 0");
            float[] d = {Float.NaN, 5f};
            v.gemmShiftedBt(1, 1, 0, new float[0], 0, 0, new float[1], 0, new int[] {0}, 0f, d, 0, 1);
            assertTrue(d[0] == 0f && d[1] == 5f, v.name() + " n = 0, beta 0 gives 0");
        }
    }

    interface Scale {
        double of(int i, int j);
    }

    static void compare(String ctx, float[] c0, float[] cs, float[] cv, int cOff, int rows, int cols, int ldc, Scale scale) {
        for (int idx = 0; idx < c0.length; idx++) {
            int rr = idx - cOff;
            boolean inside = rr >= 0 && rr / ldc < rows && rr % ldc < cols;
            if (!inside) {
                assertEquals(Float.floatToRawIntBits(c0[idx]), Float.floatToRawIntBits(cv[idx]), ctx + ": wrote outside C at " + idx);
                continue;
            }
            int i = rr / ldc, j = rr % ldc;
            double tol = 1e-5 * scale.of(i, j) + 1e-6, d = Math.abs(cs[idx] - cv[idx]);
            if (!(d <= tol)) fail(ctx + " at C(" + i + ", " + j + "): scalar " + cs[idx] + ", vector " + cv[idx] + ", tol " + tol);
        }
    }

    static float[] random(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }
}
