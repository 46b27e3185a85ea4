package org.segloss.tensor.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * GEMM kernels against the scalar twin, and the {@link Gemm} driver (parallel split, batches).
 *
 * <p>The checks are public static so that {@code org.segloss.tensor.simd.VectorGemmTest} runs
 * them on the vector GEMM at every width directly; here they run on the scalar kernels and on
 * every width that {@link KernelProvider#supportedWidths()} offers.
 *
 * <p>Tolerance: |v - s| <= 1e-5 * (sum_p |a_ip b_pj| + beta |c_ij|) + 1e-6 per element. The
 * two sides sum the same products in the same p order but with different rounding (FMA vs
 * multiply-then-add, C added first vs last), so each error is a few ulps of the sum of
 * magnitudes times sqrt(k); 1e-5 relative is safe for k up to a few hundred, and the absolute
 * 1e-6 covers sums that cancel to about 0.
 */
public class GemmTest {

    /** The sizes that exercise tails: around the lane counts (4, 8, 16), tiles and blocks. */
    public static final int[] ODD = {1, 2, 3, 7, 15, 16, 17, 31, 33, 63, 65, 127, 129, 257};

    static Stream<Kernels> kernels() {
        List<Kernels> ks = new ArrayList<>();
        ks.add(ScalarKernels.INSTANCE);
        for (int bits : KernelProvider.supportedWidths()) ks.add(KernelProvider.vector(bits));
        return ks.stream();
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void matchesScalarAtOddSizes(Kernels k) {
        checkOddSizes(k);
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void kZeroGivesBetaC(Kernels k) {
        checkKZero(k);
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void parallelIsBitIdenticalForAnyThreadCount(Kernels k) {
        checkParallelDeterminism(k);
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void batchedMatchesPerProductCalls(Kernels k) {
        checkBatched(k);
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void piecesAtAnyBoundaryAreBitIdentical(Kernels k) {
        checkPieces(k);
    }

    // ---- the checks ---------------------------------------------------------------------------

    /** (m, n, k) shapes: each ODD size in each role with the other two fixed and odd, plus a few
     *  shapes across the vector GEMM's cache blocks (KC 192, MC 384, NC 3072). */
    public static List<int[]> oddShapes() {
        List<int[]> shapes = new ArrayList<>();
        for (int s : ODD) {
            shapes.add(new int[] {s, 17, 33});
            shapes.add(new int[] {33, s, 17});
            shapes.add(new int[] {17, 33, s});
        }
        for (int s : new int[] {3, 16, 65}) shapes.add(new int[] {s, s, s});
        shapes.add(new int[] {129, 65, 257});
        shapes.add(new int[] {65, 257, 129});
        shapes.add(new int[] {400, 70, 200});       // two MC blocks, two KC blocks
        shapes.add(new int[] {5, 3100, 7});         // two NC blocks
        shapes.add(new int[] {9, 40, 385});         // three KC blocks, last one 1 deep
        return shapes;
    }

    /** Every odd shape, all four transposes, beta 0 (C pre-filled with NaN) and beta 1. */
    public static void checkOddSizes(Kernels k) {
        SplittableRandom rnd = new SplittableRandom(42);
        for (int[] s : oddShapes()) {
            for (int t = 0; t < 4; t++) {
                for (float beta : new float[] {0f, 1f}) {
                    checkOne(k, rnd, (t & 1) != 0, (t & 2) != 0, s[0], s[1], s[2], beta);
                }
            }
        }
    }

    /**
     * One product with offsets and padded leading dimensions. The whole C buffer is pre-filled
     * (NaN for beta 0, random for beta 1); elements outside the m x n window must keep their bits.
     */
    public static void checkOne(Kernels k, SplittableRandom rnd, boolean transA, boolean transB,
                                int m, int n, int kk, float beta) {
        Problem p = new Problem(rnd, transA, transB, m, n, kk, beta);
        float[] cv = p.c.clone();
        float[] cs = p.c.clone();
        k.gemm(transA, transB, m, n, kk, p.a, p.aOff, p.lda, p.b, p.bOff, p.ldb, beta, cv, p.cOff, p.ldc);
        ScalarKernels.INSTANCE.gemm(transA, transB, m, n, kk, p.a, p.aOff, p.lda, p.b, p.bOff, p.ldb,
                beta, cs, p.cOff, p.ldc);
        p.assertClose(k.name(), cs, cv);
    }

    /** k = 0: C becomes beta * C (all zeros for beta 0, even from NaN). */
    public static void checkKZero(Kernels k) {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int t = 0; t < 4; t++) {
            for (float beta : new float[] {0f, 1f}) {
                boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                Problem p = new Problem(rnd, ta, tb, 37, 70, 0, beta);
                float[] c = p.c.clone();
                k.gemm(ta, tb, 37, 70, 0, p.a, p.aOff, p.lda, p.b, p.bOff, p.ldb, beta, c, p.cOff, p.ldc);
                for (int i = 0; i < c.length; i++) {
                    int r = (i - p.cOff) / p.ldc, col = (i - p.cOff) % p.ldc;
                    boolean inside = i >= p.cOff && r < 37 && col < 70;
                    float want = inside && beta == 0f ? 0f : p.c[i];
                    assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(c[i]),
                            k.name() + " k=0 beta=" + beta + " at " + i);
                }
                // Through the driver too, with several threads.
                float[] c2 = p.c.clone();
                withThreads(4, () -> Gemm.gemm(k, ta, tb, 37, 70, 0, p.a, p.aOff, p.lda, p.b, p.bOff,
                        p.ldb, beta, c2, p.cOff, p.ldc));
                assertBitsEqual(c, c2, k.name() + " Gemm.gemm k=0");
            }
        }
    }

    /**
     * {@link Gemm#gemm} at 1, 2 and 4 threads gives the same bits as one direct kernel call,
     * on shapes that split by rows, by columns and not at all, across all transposes and betas.
     */
    public static void checkParallelDeterminism(Kernels k) {
        SplittableRandom rnd = new SplittableRandom(3);
        int[][] shapes = {{300, 200, 150}, {1000, 37, 50}, {37, 1000, 70}, {130, 130, 130},
                          {17, 3, 5}, {250, 3100, 3}};
        for (int[] s : shapes) {
            for (int t = 0; t < 4; t++) {
                for (float beta : new float[] {0f, 1f}) {
                    boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                    int m = s[0], n = s[1], kk = s[2];
                    Problem p = new Problem(rnd, ta, tb, m, n, kk, beta);
                    float[] direct = p.c.clone();
                    k.gemm(ta, tb, m, n, kk, p.a, p.aOff, p.lda, p.b, p.bOff, p.ldb, beta, direct,
                            p.cOff, p.ldc);
                    for (int threads : new int[] {1, 2, 4}) {
                        float[] c = p.c.clone();
                        withThreads(threads, () -> Gemm.gemm(k, ta, tb, m, n, kk, p.a, p.aOff, p.lda,
                                p.b, p.bOff, p.ldb, beta, c, p.cOff, p.ldc));
                        assertBitsEqual(direct, c, k.name() + " Gemm.gemm threads=" + threads + " "
                                + m + "x" + n + "x" + kk + " tA=" + ta + " tB=" + tb + " beta=" + beta);
                    }
                }
            }
        }
    }

    /**
     * The property {@link Gemm} relies on, at boundaries it never uses itself: computing C in
     * pieces cut at arbitrary rows and columns (so an element moves between full and edge
     * register tiles, and between the small and the packed path) gives the same bits as one call.
     */
    public static void checkPieces(Kernels k) {
        SplittableRandom rnd = new SplittableRandom(13);
        int m = 71, n = 150, kk = 203;
        int[] rowCuts = {0, 1, 6, 23, 64, 71};
        int[] colCuts = {0, 5, 7, 70, 133, 150};
        for (int t = 0; t < 4; t++) {
            for (float beta : new float[] {0f, 1f}) {
                boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                Problem p = new Problem(rnd, ta, tb, m, n, kk, beta);
                float[] whole = p.c.clone();
                k.gemm(ta, tb, m, n, kk, p.a, p.aOff, p.lda, p.b, p.bOff, p.ldb, beta, whole, p.cOff, p.ldc);
                float[] pieces = p.c.clone();
                for (int r = 0; r + 1 < rowCuts.length; r++) {
                    for (int q = 0; q + 1 < colCuts.length; q++) {
                        int i0 = rowCuts[r], j0 = colCuts[q];
                        int mi = rowCuts[r + 1] - i0, nj = colCuts[q + 1] - j0;
                        k.gemm(ta, tb, mi, nj, kk, p.a, p.aOff + (ta ? i0 : i0 * p.lda), p.lda,
                                p.b, p.bOff + (tb ? j0 * p.ldb : j0), p.ldb, beta,
                                pieces, p.cOff + i0 * p.ldc + j0, p.ldc);
                    }
                }
                assertBitsEqual(whole, pieces, k.name() + " pieces tA=" + ta + " tB=" + tb + " beta=" + beta);
            }
        }
    }

    /**
     * {@link Gemm#gemmBatched}: each product equals a direct kernel call (bit for bit) at 1, 2
     * and 4 threads, with A broadcast (stride 0), B broadcast, neither, and a C stride of 0
     * (products summed into one C in batch order).
     */
    public static void checkBatched(Kernels k) {
        SplittableRandom rnd = new SplittableRandom(11);
        int batch = 3;
        int[][] shapes = {{70, 90, 40}, {5, 7, 3}, {200, 64, 33}};
        for (int[] s : shapes) {
            int m = s[0], n = s[1], kk = s[2];
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                int lda = (ta ? m : kk) + 3, ldb = (tb ? kk : n) + 2, ldc = n + 5;
                int aSize = (ta ? kk : m) * lda, bSize = (tb ? n : kk) * ldb, cSize = m * ldc;
                for (int mode = 0; mode < 4; mode++) {   // 0 none, 1 A broadcast, 2 B broadcast, 3 C sum
                    float beta = mode == 3 || mode == 1 ? 1f : 0f;
                    int aStride = mode == 1 ? 0 : aSize + 1, bStride = mode == 2 ? 0 : bSize + 4;
                    int cStride = mode == 3 ? 0 : cSize + 2;
                    int aOff = 2, bOff = 3, cOff = 1;
                    float[] a = random(rnd, aOff + batch * aSize + batch);
                    float[] b = random(rnd, bOff + batch * bSize + 4 * batch);
                    float[] c0 = random(rnd, cOff + batch * cSize + 2 * batch);
                    float[] want = c0.clone();
                    for (int i = 0; i < batch; i++) {
                        k.gemm(ta, tb, m, n, kk, a, aOff + i * aStride, lda, b, bOff + i * bStride, ldb,
                                mode == 3 && i > 0 ? 1f : beta, want, cOff + i * cStride, ldc);
                    }
                    for (int threads : new int[] {1, 2, 4}) {
                        float[] c = c0.clone();
                        withThreads(threads, () -> Gemm.gemmBatched(k, batch, ta, tb, m, n, kk,
                                a, aOff, aStride, lda, b, bOff, bStride, ldb, beta, c, cOff, cStride, ldc));
                        assertBitsEqual(want, c, k.name() + " gemmBatched mode=" + mode + " threads="
                                + threads + " " + m + "x" + n + "x" + kk + " tA=" + ta + " tB=" + tb);
                    }
                }
            }
        }
    }

    // ---- helpers ------------------------------------------------------------------------------

    /** Runs {@code r} with {@link Parallel#setThreads} = n, restoring the previous count. */
    public static void withThreads(int n, Runnable r) {
        int before = Parallel.threads();
        Parallel.setThreads(n);
        try {
            r.run();
        } finally {
            Parallel.setThreads(before);
        }
    }

    static float[] random(SplittableRandom rnd, int len) {
        float[] x = new float[len];
        for (int i = 0; i < len; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
        return x;
    }

    static void assertBitsEqual(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) {
                fail(what + ": first difference at " + i + ": " + want[i] + " vs " + got[i]);
            }
        }
    }

    /** Random operands with nonzero offsets and leading dimensions longer than the rows. */
    static final class Problem {
        final boolean transA, transB;
        final int m, n, k, aOff, lda, bOff, ldb, cOff, ldc;
        final float beta;
        final float[] a, b, c;

        Problem(SplittableRandom rnd, boolean transA, boolean transB, int m, int n, int k, float beta) {
            this.transA = transA;
            this.transB = transB;
            this.m = m;
            this.n = n;
            this.k = k;
            this.beta = beta;
            aOff = 3;
            bOff = 5;
            cOff = 7;
            lda = (transA ? m : k) + 2;
            ldb = (transB ? k : n) + 3;
            ldc = n + 4;
            a = random(rnd, aOff + (transA ? k : m) * lda + 1);
            b = random(rnd, bOff + (transB ? n : k) * ldb + 1);
            c = beta == 0f ? nan(cOff + m * ldc + 2) : random(rnd, cOff + m * ldc + 2);
        }

        private static float[] nan(int len) {
            float[] x = new float[len];
            java.util.Arrays.fill(x, Float.NaN);
            return x;
        }

        float a(int i, int p) {
            return transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
        }

        float b(int p, int j) {
            return transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
        }

        /** Inside the window: within tolerance of the scalar result; outside: untouched bits. */
        void assertClose(String name, float[] scalar, float[] got) {
            String where = name + " " + m + "x" + n + "x" + k + " tA=" + transA + " tB=" + transB
                    + " beta=" + beta;
            for (int idx = 0; idx < c.length; idx++) {
                int r = (idx - cOff) / ldc, col = (idx - cOff) % ldc;
                boolean inside = idx >= cOff && r < m && col < n;
                if (!inside) {
                    assertEquals(Float.floatToRawIntBits(c[idx]), Float.floatToRawIntBits(got[idx]),
                            where + ": wrote outside the C window at " + idx);
                    continue;
                }
                double mag = beta == 0f ? 0 : Math.abs(c[idx]);
                for (int p = 0; p < k; p++) mag += Math.abs((double) a(r, p) * b(p, col));
                double tol = 1e-5 * mag + 1e-6;
                float v = got[idx], s = scalar[idx];
                assertTrue(Float.isFinite(v), where + ": non-finite " + v + " at (" + r + "," + col + ")");
                assertTrue(Math.abs(v - s) <= tol, where + ": at (" + r + "," + col + ") " + v
                        + " vs scalar " + s + ", tolerance " + tol);
            }
        }
    }
}
