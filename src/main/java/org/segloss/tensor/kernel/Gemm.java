package org.segloss.tensor.kernel;

/** Placeholder: the parallel GEMM driver lands with the blocked kernel. */
public final class Gemm {
    private Gemm() {}

    public static void gemmBatched(Kernels kernels, int batch, boolean transA, boolean transB, int m, int n, int k,
                                   float[] a, int aOff, int aBatchStride, int lda,
                                   float[] b, int bOff, int bBatchStride, int ldb,
                                   float beta, float[] c, int cOff, int cBatchStride, int ldc) {
        for (int i = 0; i < batch; i++) {
            kernels.gemm(transA, transB, m, n, k, a, aOff + i * aBatchStride, lda, b, bOff + i * bBatchStride, ldb,
                    beta, c, cOff + i * cBatchStride, ldc);
        }
    }
}
