package org.segloss.tensor.kernel;

/**
 * Parallel driver for {@link Kernels#gemm}: cuts C into independent blocks (panels of rows, or
 * of columns when C is short and wide) and runs the single-threaded kernel on each block through
 * {@link Parallel}. No two blocks share an output element and each element is computed entirely
 * by one kernel call over the full k range.
 *
 * <p>Determinism: the kernels compute every element of C by the same arithmetic wherever it
 * sits in the problem (the scalar loop trivially; the vector kernel by one FMA chain over
 * p = 0..k-1, independent of m, n, offsets and its k-blocking), so the result is bit-identical
 * for any {@link Parallel#threads()} and any split. Block boundaries are still aligned (16 rows,
 * 64 columns) so that blocks start on whole register tiles, for speed only.
 */
public final class Gemm {
    private Gemm() {}

    /**
     * At or below this many multiply-adds (about 20 us on one core, a few times the cost of
     * waking a pool thread) the product stays on the calling thread.
     */
    static final long SERIAL_WORK = 1L << 21;
    /** Row panels are multiples of this (a multiple of every micro-kernel's MR). */
    static final int ROW_UNIT = 16;
    /** Column panels are multiples of this (a multiple of every micro-kernel's NR). */
    static final int COL_UNIT = 64;
    /** Aim for row panels of at least this many rows (so a packed B panel is reused enough). */
    static final int MIN_ROWS = 256;
    /** Aim for column panels of at least this many columns. */
    static final int MIN_COLS = 512;
    /** Blocks per thread when C is big enough (1 and 2 measured alike at 1024-2048; 4 is 10% slower). */
    static final int BLOCKS_PER_THREAD = 2;

    /**
     * C = op(A) op(B) + beta C over the cores; the arguments are those of {@link Kernels#gemm}
     * (row-major, beta 0 or 1, beta 0 never reads C).
     */
    public static void gemm(Kernels kernels, boolean transA, boolean transB, int m, int n, int k,
                            float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                            float beta, float[] c, int cOff, int ldc) {
        if (m <= 0 || n <= 0) return;
        int t = Parallel.threads();
        if (t == 1 || work(m, n, k) <= SERIAL_WORK) {
            kernels.gemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return;
        }
        forBlocks(kernels, 1, transA, transB, m, n, k, a, aOff, 0, lda, b, bOff, 0, ldb,
                beta, c, cOff, 0, ldc);
    }

    /**
     * A batch of independent products: for each i in [0, batch),
     * C_i = op(A_i) op(B_i) + beta C_i, with X_i starting at {@code xOff + i * xBatchStride}.
     * A stride of 0 broadcasts that operand (the same A or B for every i). For C, stride 0
     * (with batch > 1) means the products are summed into the one C in batch order:
     * C = beta C + sum_i op(A_i) op(B_i) (e.g. a weight gradient over a batch); the batch then
     * runs in order and only the blocks of each product run in parallel.
     * Parallel over batch x blocks of C; bit-identical for any thread count.
     */
    public static void gemmBatched(Kernels kernels, int batch, boolean transA, boolean transB,
                                   int m, int n, int k,
                                   float[] a, int aOff, int aBatchStride, int lda,
                                   float[] b, int bOff, int bBatchStride, int ldb,
                                   float beta, float[] c, int cOff, int cBatchStride, int ldc) {
        if (batch <= 0 || m <= 0 || n <= 0) return;
        if (cBatchStride == 0 && batch > 1) {
            for (int i = 0; i < batch; i++) {
                gemm(kernels, transA, transB, m, n, k, a, aOff + i * aBatchStride, lda,
                        b, bOff + i * bBatchStride, ldb, i == 0 ? beta : 1f, c, cOff, ldc);
            }
            return;
        }
        int t = Parallel.threads();
        if (t == 1 || work(m, n, k) * batch <= SERIAL_WORK) {
            for (int i = 0; i < batch; i++) {
                kernels.gemm(transA, transB, m, n, k, a, aOff + i * aBatchStride, lda,
                        b, bOff + i * bBatchStride, ldb, beta, c, cOff + i * cBatchStride, ldc);
            }
            return;
        }
        forBlocks(kernels, batch, transA, transB, m, n, k, a, aOff, aBatchStride, lda,
                b, bOff, bBatchStride, ldb, beta, c, cOff, cBatchStride, ldc);
    }

    /** Runs every (product, block) pair once through {@link Parallel#forEach}. */
    private static void forBlocks(Kernels kernels, int batch, boolean transA, boolean transB,
                                  int m, int n, int k,
                                  float[] a, int aOff, int aBatchStride, int lda,
                                  float[] b, int bOff, int bBatchStride, int ldb,
                                  float beta, float[] c, int cOff, int cBatchStride, int ldc) {
        Split s = Split.of(m, n, Parallel.threads(), batch);
        int blocks = s.blocks();
        Parallel.forEach(batch * blocks, part -> {
            int i = part / blocks, u0 = (part % blocks) * s.grain;
            block(kernels, s, u0, Math.min(s.units, u0 + s.grain), transA, transB, m, n, k,
                    a, aOff + i * aBatchStride, lda, b, bOff + i * bBatchStride, ldb,
                    beta, c, cOff + i * cBatchStride, ldc);
        });
    }

    /**
     * The cost of one product in multiply-adds: its arithmetic, or its memory traffic when that is
     * larger (short k: the U-Net's 1x1 head, [3, 8] x [8, 32768], does 0.8 M multiply-adds but
     * streams and packs 1.4 MB, far more than the 20 us of {@link #SERIAL_WORK} on one core).
     */
    private static long work(int m, int n, int k) {
        long elements = (long) m * k + (long) k * n + (long) m * n;
        return Math.max((long) m * n * Math.max(k, 1), MULADDS_PER_ELEMENT * elements);
    }

    /** Moving one float through a product (load, pack, store) takes about as long as this many multiply-adds at peak. */
    private static final long MULADDS_PER_ELEMENT = 16;

    /** Runs the kernel on units [u0, u1) of the split: rows or columns of C. */
    private static void block(Kernels kernels, Split s, int u0, int u1,
                              boolean transA, boolean transB, int m, int n, int k,
                              float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                              float beta, float[] c, int cOff, int ldc) {
        if (s.rows) {
            // Rows i0..i1 of op(A) and of C; B whole.
            int i0 = u0 * s.unit, i1 = Math.min(m, u1 * s.unit);
            kernels.gemm(transA, transB, i1 - i0, n, k, a, aOff + (transA ? i0 : i0 * lda), lda,
                    b, bOff, ldb, beta, c, cOff + i0 * ldc, ldc);
        } else {
            // Columns j0..j1 of op(B) and of C; A whole.
            int j0 = u0 * s.unit, j1 = Math.min(n, u1 * s.unit);
            kernels.gemm(transA, transB, m, j1 - j0, k, a, aOff, lda,
                    b, bOff + (transB ? j0 * ldb : j0), ldb, beta, c, cOff + j0, ldc);
        }
    }

    /**
     * How C is cut: along rows or columns, in units of {@code unit} rows/columns, about
     * {@code grain} units per block.
     */
    private record Split(boolean rows, int unit, int units, int grain) {
        int blocks() {
            return (units + grain - 1) / grain;
        }

        /** A split of one [m, n] product among t threads, when {@code batch} products share them. */
        static Split of(int m, int n, int t, int batch) {
            int rowUnits = (m + ROW_UNIT - 1) / ROW_UNIT;
            int colUnits = (n + COL_UNIT - 1) / COL_UNIT;
            // Rows keep B panels whole and are the natural split; use columns only when C is
            // too short to give every thread a panel and is wider than it is tall.
            boolean rows = rowUnits >= 2 * t || rowUnits >= colUnits;
            int units = rows ? rowUnits : colUnits;
            int want = rows ? MIN_ROWS / ROW_UNIT : MIN_COLS / COL_UNIT;
            // About 2 blocks per thread over the whole batch (some dynamic load balance on a
            // shared machine; every block repacks its whole B or A panel, so not more), but no
            // block smaller than `want` units unless that would leave a thread without one.
            int perProduct = ceilDiv(BLOCKS_PER_THREAD * t, batch);
            int enough = ceilDiv(t, batch);
            int grain = Math.max(ceilDiv(units, perProduct), Math.min(want, ceilDiv(units, enough)));
            return new Split(rows, rows ? ROW_UNIT : COL_UNIT, units, grain);
        }

        private static int ceilDiv(int x, int y) {
            return (x + y - 1) / y;
        }
    }
}
