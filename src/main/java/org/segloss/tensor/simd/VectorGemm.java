package org.segloss.tensor.simd;

import org.segloss.tensor.kernel.ScalarKernels;

/** Blocked SIMD SGEMM (placeholder entry point: delegates to the scalar loop until the blocked kernel lands). */
final class VectorGemm {
    private VectorGemm() {}

    /** Same contract as {@link org.segloss.tensor.kernel.Kernels#gemm}, at a vector width in bits. */
    static void gemm(int bits, boolean transA, boolean transB, int m, int n, int k,
                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     float beta, float[] c, int cOff, int ldc) {
        ScalarKernels.INSTANCE.gemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }
}
