package org.segloss.tensor.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Blocked, packed SGEMM on the Vector API (the GotoBLAS / BLIS scheme), single-threaded.
 *
 * <p>Loops, outermost first ({@code C[m, n] = op(A)[m, k] * op(B)[k, n] (+ C)}):
 * <pre>
 *   jc over n in NC columns:
 *     pc over k in KC steps:     pack B[pc:+kc, jc:+nc] into micro-panels of kc x NR   (L3 / L2)
 *       ic over m in MC rows:    pack A[ic:+mc, pc:+kc] into micro-panels of MR x kc   (L2)
 *         jr over nc by NR:      one B micro-panel, kc x NR, reused by every ir        (L1)
 *           ir over mc by MR:    micro-kernel: C[MR, NR] (+)= A-panel * B-panel
 * </pre>
 * Packing does the transposes, so the four (transA, transB) cases share one micro-kernel, and
 * pads the last panels with zeros to whole MR / NR, so the micro-kernel always runs full tiles.
 * Edge tiles of C (m or n not a multiple of the tile) go through a small scratch tile: C is
 * copied in, the same micro-kernel runs, the valid part is copied back.
 *
 * <p>Register tile at 512 bits: MR x NR = 4 x 64 (4 rows x 4 vectors of 16 lanes): 16 vector
 * accumulators + 4 B vectors + 1 broadcast A = 21 of the 32 zmm registers. Each k step issues 4
 * vector loads and 4 broadcasts for 16 FMAs, so two FMA pipes stay ahead of two load ports (the
 * README's "Benchmarks": SGEMM at 512^3 and 1024^3 runs at 80-87 % of the 258 GFLOP/s FMA peak
 * that {@code FmaPeakBench} measures on one Zen 5 core). The 128- and
 * 256-bit kernels use the same 4 x 4-vector shape (NR = 16 or 32); they exist for tests and for
 * CPUs without AVX-512. The tile is {@link VectorKernels#packedTile}, written once: it takes its
 * species from the {@link VectorKernels} instance it runs on, a JIT constant there (see that class).
 *
 * <p>Cache blocking for Zen 5 (48 KB L1d, 1 MB L2 per core): KC = 192 keeps the B micro-panel
 * (KC x 64 floats = 48 KB) in L1 while the A micro-panels stream from L2; MC = 384 makes the
 * packed A block (MC x KC = 288 KB) comfortably L2-resident next to it; NC = 3072 columns of
 * packed B (2.25 MB) live in L3 and bound the buffer size. Measured on one core at 512^3 -
 * 2048^3: KC 128-320, MC 192-384 and NC 1024-3072 all run within 5% of each other (about
 * 210-225 GFLOP/s): the kernel is FMA-bound, not cache-bound, at these sizes.
 *
 * <p>Determinism: every element is computed as one FMA chain over p = 0 .. k-1 in order,
 * {@code s = beta == 0 ? 0 : C[i, j]; s = fma(a(i, p), b(p, j), s)}, whatever the blocking,
 * the tile position or the path (blocked or small). Storing the running sum into C between
 * k-blocks is exact (it is a float either way), so the result of an element does not depend
 * on m, n, the offsets or how a caller splits C: {@code Gemm} relies on this to be
 * bit-identical for any thread count.
 */
final class VectorGemm {
    private VectorGemm() {}

    static final int MR = 4;
    static final int KC = 192;
    static final int MC = 384;                  // multiple of MR
    static final int NC = 3072;                 // multiple of every NR (16, 32, 64)

    /** At or below this many multiply-adds, packing costs more than it saves: plain FMA loops. */
    static final long SMALL = 16L * 16 * 16;

    /** Per-thread packing buffers, reused across calls (no allocation on the hot path). */
    private static final class Buffers {
        final float[] a = new float[MC * KC];
        final float[] b = new float[KC * NC];
        final float[] tile = new float[MR * 64];
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    /** Same contract as {@link org.segloss.tensor.kernel.Kernels#gemm}, with the tile of {@code kernels}. */
    static void gemm(VectorKernels kernels, boolean transA, boolean transB, int m, int n, int k,
                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     float beta, float[] c, int cOff, int ldc) {
        if (m <= 0 || n <= 0) return;
        if (k <= 0 || (long) m * n * k <= SMALL) {
            small(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        } else {
            blocked(kernels, transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        }
    }

    /** Lanes (floats) per register-tile column block: NR = 4 vectors of the kernels' species. */
    static int nr(VectorKernels kernels) {
        return 4 * kernels.lanes();
    }

    /** The plain path: the same per-element FMA chain as the blocked path, without packing. */
    static void small(boolean transA, boolean transB, int m, int n, int k,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float beta, float[] c, int cOff, int ldc) {
        int as = transA ? lda : 1, ap = transA ? 1 : lda;     // a(i, p) = a[aOff + i*ap + p*as]
        int bs = transB ? ldb : 1, bp = transB ? 1 : ldb;     // b(p, j) = b[bOff + j*bs + p*bp]
        for (int i = 0; i < m; i++) {
            int ci = cOff + i * ldc;
            for (int j = 0; j < n; j++) {
                float s = beta == 0f ? 0f : c[ci + j];
                int ai = aOff + i * ap, bj = bOff + j * bs;
                for (int p = 0; p < k; p++) s = Math.fma(a[ai + p * as], b[bj + p * bp], s);
                c[ci + j] = s;
            }
        }
    }

    /** The packed, cache-blocked path (any size; {@link #gemm} uses it above {@link #SMALL}). */
    static void blocked(VectorKernels kernels, boolean transA, boolean transB, int m, int n, int k,
                        float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                        float beta, float[] c, int cOff, int ldc) {
        if (k <= 0) {   // no k-block would run: C = beta C
            small(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return;
        }
        int nr = nr(kernels);
        Buffers buf = BUFFERS.get();
        float[] pa = buf.a, pb = buf.b, tile = buf.tile;
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                boolean load = beta != 0f || pc > 0;   // first k-block with beta 0: C is not read
                packB(transB, b, bOff, ldb, pc, jc, kc, nc, nr, pb);
                for (int ic = 0; ic < m; ic += MC) {
                    int mc = Math.min(MC, m - ic);
                    packA(transA, a, aOff, lda, ic, pc, mc, kc, pa);
                    for (int jr = 0; jr < nc; jr += nr) {
                        int nv = Math.min(nr, nc - jr);
                        int bo = jr * kc;
                        for (int ir = 0; ir < mc; ir += MR) {
                            int mv = Math.min(MR, mc - ir);
                            int ao = ir * kc;
                            int co = cOff + (ic + ir) * ldc + jc + jr;
                            if (mv == MR && nv == nr) {
                                kernels.packedTile(kc, pa, ao, pb, bo, c, co, ldc, load);
                            } else {
                                // Edge tile: same kernel on a scratch copy of the valid part.
                                if (load) {
                                    for (int r = 0; r < mv; r++) {
                                        System.arraycopy(c, co + r * ldc, tile, r * nr, nv);
                                    }
                                }
                                kernels.packedTile(kc, pa, ao, pb, bo, tile, 0, nr, load);
                                for (int r = 0; r < mv; r++) {
                                    System.arraycopy(tile, r * nr, c, co + r * ldc, nv);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * Packs op(A)[ic:+mc, pc:+kc] as micro-panels of MR rows: panel r holds, for each p in
     * [0, kc), the MR values a(ic + r*MR + 0..MR-1, pc + p) contiguously; rows past mc are 0.
     */
    static void packA(boolean transA, float[] a, int aOff, int lda, int ic, int pc, int mc, int kc,
                      float[] pa) {
        int dst = 0;
        for (int ir = 0; ir < mc; ir += MR) {
            int mv = Math.min(MR, mc - ir);
            if (!transA && mv == MR) {
                // a(i, p) = a[aOff + i*lda + p]: four contiguous row streams.
                int r0 = aOff + (ic + ir) * lda + pc, r1 = r0 + lda, r2 = r1 + lda, r3 = r2 + lda;
                for (int p = 0; p < kc; p++, dst += MR) {
                    pa[dst] = a[r0 + p];
                    pa[dst + 1] = a[r1 + p];
                    pa[dst + 2] = a[r2 + p];
                    pa[dst + 3] = a[r3 + p];
                }
            } else if (transA && mv == MR) {
                // a(i, p) = a[aOff + p*lda + i]: MR contiguous values per p.
                int s = aOff + pc * lda + ic + ir;
                for (int p = 0; p < kc; p++, dst += MR, s += lda) {
                    pa[dst] = a[s];
                    pa[dst + 1] = a[s + 1];
                    pa[dst + 2] = a[s + 2];
                    pa[dst + 3] = a[s + 3];
                }
            } else {
                for (int p = 0; p < kc; p++, dst += MR) {
                    for (int r = 0; r < MR; r++) {
                        int i = ic + ir + r, q = pc + p;
                        pa[dst + r] = r >= mv ? 0f
                                : transA ? a[aOff + q * lda + i] : a[aOff + i * lda + q];
                    }
                }
            }
        }
    }

    /**
     * Packs op(B)[pc:+kc, jc:+nc] as micro-panels of nr columns: panel t holds, for each p in
     * [0, kc), the nr values b(pc + p, jc + t*nr + 0..nr-1) contiguously; columns past nc are 0.
     */
    static void packB(boolean transB, float[] b, int bOff, int ldb, int pc, int jc, int kc, int nc,
                      int nr, float[] pb) {
        int dst = 0;
        for (int jr = 0; jr < nc; jr += nr) {
            int nv = Math.min(nr, nc - jr);
            if (!transB) {
                // b(p, j) = b[bOff + p*ldb + j]: each packed row is a contiguous copy.
                int s = bOff + pc * ldb + jc + jr;
                for (int p = 0; p < kc; p++, dst += nr, s += ldb) {
                    System.arraycopy(b, s, pb, dst, nv);
                    if (nv < nr) java.util.Arrays.fill(pb, dst + nv, dst + nr, 0f);
                }
            } else {
                // b(p, j) = b[bOff + j*ldb + p]: read four stored rows (fixed j) along p at a
                // time and write groups of four packed values (measured 25% faster than one row).
                int t = 0;
                for (; t + 4 <= nv; t += 4) {
                    int s0 = bOff + (jc + jr + t) * ldb + pc, s1 = s0 + ldb, s2 = s1 + ldb, s3 = s2 + ldb;
                    for (int p = 0, d = dst + t; p < kc; p++, d += nr) {
                        pb[d] = b[s0 + p];
                        pb[d + 1] = b[s1 + p];
                        pb[d + 2] = b[s2 + p];
                        pb[d + 3] = b[s3 + p];
                    }
                }
                for (; t < nv; t++) {
                    int s = bOff + (jc + jr + t) * ldb + pc;
                    for (int p = 0, d = dst + t; p < kc; p++, d += nr) pb[d] = b[s + p];
                }
                if (nv < nr) {
                    for (int p = 0; p < kc; p++) {
                        java.util.Arrays.fill(pb, dst + p * nr + nv, dst + (p + 1) * nr, 0f);
                    }
                }
                dst += kc * nr;
            }
        }
    }
}
