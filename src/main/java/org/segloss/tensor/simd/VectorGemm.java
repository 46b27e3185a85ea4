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
 * CPUs without AVX-512.
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

    /** Same contract as {@link org.segloss.tensor.kernel.Kernels#gemm}, at a vector width in bits. */
    static void gemm(int bits, boolean transA, boolean transB, int m, int n, int k,
                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     float beta, float[] c, int cOff, int ldc) {
        if (m <= 0 || n <= 0) return;
        if (k <= 0 || (long) m * n * k <= SMALL) {
            small(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        } else {
            blocked(bits, transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        }
    }

    /** Lanes (floats) per register-tile column block: NR = 4 vectors. */
    static int nr(int bits) {
        return switch (bits) {
            case 512 -> K512.NR;
            case 256 -> K256.NR;
            case 128 -> K128.NR;
            default -> throw new IllegalArgumentException(
                    "VectorGemm: bits must be 128, 256 or 512, got " + bits);
        };
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
    static void blocked(int bits, boolean transA, boolean transB, int m, int n, int k,
                        float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                        float beta, float[] c, int cOff, int ldc) {
        if (k <= 0) {   // no k-block would run: C = beta C
            small(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return;
        }
        int nr = nr(bits);
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
                                micro(bits, kc, pa, ao, pb, bo, c, co, ldc, load);
                            } else {
                                // Edge tile: same kernel on a scratch copy of the valid part.
                                if (load) {
                                    for (int r = 0; r < mv; r++) {
                                        System.arraycopy(c, co + r * ldc, tile, r * nr, nv);
                                    }
                                }
                                micro(bits, kc, pa, ao, pb, bo, tile, 0, nr, load);
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

    private static void micro(int bits, int kc, float[] pa, int ao, float[] pb, int bo,
                              float[] c, int co, int ldc, boolean load) {
        switch (bits) {
            case 512 -> K512.tile(kc, pa, ao, pb, bo, c, co, ldc, load);
            case 256 -> K256.tile(kc, pa, ao, pb, bo, c, co, ldc, load);
            default -> K128.tile(kc, pa, ao, pb, bo, c, co, ldc, load);
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

    // ---- micro-kernels: one class per width, so each species is a static final constant -----
    // Identical bodies; only S and L differ. Accumulators are locals (never arrays or fields:
    // that measured 20x slower), and each tile method stays small enough for C2 to compile well.

    /** 4 x 64 tile of 512-bit vectors (16 lanes). */
    static final class K512 {
        static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
        static final int L = 16;
        static final int NR = 4 * L;

        /** C[4, 64] at c[co], row stride ldc, (+)= sum over kc of packed A (4/step) x packed B (64/step). */
        static void tile(int kc, float[] pa, int ao, float[] pb, int bo,
                         float[] c, int co, int ldc, boolean load) {
            int r1 = co + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
            FloatVector c00, c01, c02, c03, c10, c11, c12, c13;
            FloatVector c20, c21, c22, c23, c30, c31, c32, c33;
            if (load) {
                c00 = FloatVector.fromArray(S, c, co); c01 = FloatVector.fromArray(S, c, co + L);
                c02 = FloatVector.fromArray(S, c, co + 2 * L); c03 = FloatVector.fromArray(S, c, co + 3 * L);
                c10 = FloatVector.fromArray(S, c, r1); c11 = FloatVector.fromArray(S, c, r1 + L);
                c12 = FloatVector.fromArray(S, c, r1 + 2 * L); c13 = FloatVector.fromArray(S, c, r1 + 3 * L);
                c20 = FloatVector.fromArray(S, c, r2); c21 = FloatVector.fromArray(S, c, r2 + L);
                c22 = FloatVector.fromArray(S, c, r2 + 2 * L); c23 = FloatVector.fromArray(S, c, r2 + 3 * L);
                c30 = FloatVector.fromArray(S, c, r3); c31 = FloatVector.fromArray(S, c, r3 + L);
                c32 = FloatVector.fromArray(S, c, r3 + 2 * L); c33 = FloatVector.fromArray(S, c, r3 + 3 * L);
            } else {
                c00 = c01 = c02 = c03 = c10 = c11 = c12 = c13 = FloatVector.zero(S);
                c20 = c21 = c22 = c23 = c30 = c31 = c32 = c33 = c00;
            }
            for (int p = 0; p < kc; p++, ao += 4, bo += NR) {
                FloatVector b0 = FloatVector.fromArray(S, pb, bo);
                FloatVector b1 = FloatVector.fromArray(S, pb, bo + L);
                FloatVector b2 = FloatVector.fromArray(S, pb, bo + 2 * L);
                FloatVector b3 = FloatVector.fromArray(S, pb, bo + 3 * L);
                FloatVector x = FloatVector.broadcast(S, pa[ao]);
                c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02); c03 = x.fma(b3, c03);
                x = FloatVector.broadcast(S, pa[ao + 1]);
                c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12); c13 = x.fma(b3, c13);
                x = FloatVector.broadcast(S, pa[ao + 2]);
                c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22); c23 = x.fma(b3, c23);
                x = FloatVector.broadcast(S, pa[ao + 3]);
                c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32); c33 = x.fma(b3, c33);
            }
            c00.intoArray(c, co); c01.intoArray(c, co + L); c02.intoArray(c, co + 2 * L); c03.intoArray(c, co + 3 * L);
            c10.intoArray(c, r1); c11.intoArray(c, r1 + L); c12.intoArray(c, r1 + 2 * L); c13.intoArray(c, r1 + 3 * L);
            c20.intoArray(c, r2); c21.intoArray(c, r2 + L); c22.intoArray(c, r2 + 2 * L); c23.intoArray(c, r2 + 3 * L);
            c30.intoArray(c, r3); c31.intoArray(c, r3 + L); c32.intoArray(c, r3 + 2 * L); c33.intoArray(c, r3 + 3 * L);
        }
    }

    /** 4 x 32 tile of 256-bit vectors (8 lanes); same body as {@link K512}. */
    static final class K256 {
        static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
        static final int L = 8;
        static final int NR = 4 * L;

        static void tile(int kc, float[] pa, int ao, float[] pb, int bo,
                         float[] c, int co, int ldc, boolean load) {
            int r1 = co + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
            FloatVector c00, c01, c02, c03, c10, c11, c12, c13;
            FloatVector c20, c21, c22, c23, c30, c31, c32, c33;
            if (load) {
                c00 = FloatVector.fromArray(S, c, co); c01 = FloatVector.fromArray(S, c, co + L);
                c02 = FloatVector.fromArray(S, c, co + 2 * L); c03 = FloatVector.fromArray(S, c, co + 3 * L);
                c10 = FloatVector.fromArray(S, c, r1); c11 = FloatVector.fromArray(S, c, r1 + L);
                c12 = FloatVector.fromArray(S, c, r1 + 2 * L); c13 = FloatVector.fromArray(S, c, r1 + 3 * L);
                c20 = FloatVector.fromArray(S, c, r2); c21 = FloatVector.fromArray(S, c, r2 + L);
                c22 = FloatVector.fromArray(S, c, r2 + 2 * L); c23 = FloatVector.fromArray(S, c, r2 + 3 * L);
                c30 = FloatVector.fromArray(S, c, r3); c31 = FloatVector.fromArray(S, c, r3 + L);
                c32 = FloatVector.fromArray(S, c, r3 + 2 * L); c33 = FloatVector.fromArray(S, c, r3 + 3 * L);
            } else {
                c00 = c01 = c02 = c03 = c10 = c11 = c12 = c13 = FloatVector.zero(S);
                c20 = c21 = c22 = c23 = c30 = c31 = c32 = c33 = c00;
            }
            for (int p = 0; p < kc; p++, ao += 4, bo += NR) {
                FloatVector b0 = FloatVector.fromArray(S, pb, bo);
                FloatVector b1 = FloatVector.fromArray(S, pb, bo + L);
                FloatVector b2 = FloatVector.fromArray(S, pb, bo + 2 * L);
                FloatVector b3 = FloatVector.fromArray(S, pb, bo + 3 * L);
                FloatVector x = FloatVector.broadcast(S, pa[ao]);
                c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02); c03 = x.fma(b3, c03);
                x = FloatVector.broadcast(S, pa[ao + 1]);
                c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12); c13 = x.fma(b3, c13);
                x = FloatVector.broadcast(S, pa[ao + 2]);
                c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22); c23 = x.fma(b3, c23);
                x = FloatVector.broadcast(S, pa[ao + 3]);
                c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32); c33 = x.fma(b3, c33);
            }
            c00.intoArray(c, co); c01.intoArray(c, co + L); c02.intoArray(c, co + 2 * L); c03.intoArray(c, co + 3 * L);
            c10.intoArray(c, r1); c11.intoArray(c, r1 + L); c12.intoArray(c, r1 + 2 * L); c13.intoArray(c, r1 + 3 * L);
            c20.intoArray(c, r2); c21.intoArray(c, r2 + L); c22.intoArray(c, r2 + 2 * L); c23.intoArray(c, r2 + 3 * L);
            c30.intoArray(c, r3); c31.intoArray(c, r3 + L); c32.intoArray(c, r3 + 2 * L); c33.intoArray(c, r3 + 3 * L);
        }
    }

    /** 4 x 16 tile of 128-bit vectors (4 lanes); same body as {@link K512}. */
    static final class K128 {
        static final VectorSpecies<Float> S = FloatVector.SPECIES_128;
        static final int L = 4;
        static final int NR = 4 * L;

        static void tile(int kc, float[] pa, int ao, float[] pb, int bo,
                         float[] c, int co, int ldc, boolean load) {
            int r1 = co + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
            FloatVector c00, c01, c02, c03, c10, c11, c12, c13;
            FloatVector c20, c21, c22, c23, c30, c31, c32, c33;
            if (load) {
                c00 = FloatVector.fromArray(S, c, co); c01 = FloatVector.fromArray(S, c, co + L);
                c02 = FloatVector.fromArray(S, c, co + 2 * L); c03 = FloatVector.fromArray(S, c, co + 3 * L);
                c10 = FloatVector.fromArray(S, c, r1); c11 = FloatVector.fromArray(S, c, r1 + L);
                c12 = FloatVector.fromArray(S, c, r1 + 2 * L); c13 = FloatVector.fromArray(S, c, r1 + 3 * L);
                c20 = FloatVector.fromArray(S, c, r2); c21 = FloatVector.fromArray(S, c, r2 + L);
                c22 = FloatVector.fromArray(S, c, r2 + 2 * L); c23 = FloatVector.fromArray(S, c, r2 + 3 * L);
                c30 = FloatVector.fromArray(S, c, r3); c31 = FloatVector.fromArray(S, c, r3 + L);
                c32 = FloatVector.fromArray(S, c, r3 + 2 * L); c33 = FloatVector.fromArray(S, c, r3 + 3 * L);
            } else {
                c00 = c01 = c02 = c03 = c10 = c11 = c12 = c13 = FloatVector.zero(S);
                c20 = c21 = c22 = c23 = c30 = c31 = c32 = c33 = c00;
            }
            for (int p = 0; p < kc; p++, ao += 4, bo += NR) {
                FloatVector b0 = FloatVector.fromArray(S, pb, bo);
                FloatVector b1 = FloatVector.fromArray(S, pb, bo + L);
                FloatVector b2 = FloatVector.fromArray(S, pb, bo + 2 * L);
                FloatVector b3 = FloatVector.fromArray(S, pb, bo + 3 * L);
                FloatVector x = FloatVector.broadcast(S, pa[ao]);
                c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02); c03 = x.fma(b3, c03);
                x = FloatVector.broadcast(S, pa[ao + 1]);
                c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12); c13 = x.fma(b3, c13);
                x = FloatVector.broadcast(S, pa[ao + 2]);
                c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22); c23 = x.fma(b3, c23);
                x = FloatVector.broadcast(S, pa[ao + 3]);
                c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32); c33 = x.fma(b3, c33);
            }
            c00.intoArray(c, co); c01.intoArray(c, co + L); c02.intoArray(c, co + 2 * L); c03.intoArray(c, co + 3 * L);
            c10.intoArray(c, r1); c11.intoArray(c, r1 + L); c12.intoArray(c, r1 + 2 * L); c13.intoArray(c, r1 + 3 * L);
            c20.intoArray(c, r2); c21.intoArray(c, r2 + L); c22.intoArray(c, r2 + 2 * L); c23.intoArray(c, r2 + 3 * L);
            c30.intoArray(c, r3); c31.intoArray(c, r3 + L); c32.intoArray(c, r3 + 2 * L); c33.intoArray(c, r3 + 3 * L);
        }
    }
}
