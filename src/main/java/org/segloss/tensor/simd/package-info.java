/**
 * The Vector API twin of {@link org.segloss.tensor.kernel.ScalarKernels}.
 *
 * <p>This is the only package of segloss that imports {@code jdk.incubator.vector}; it depends
 * only on {@code org.segloss.tensor.kernel} (the {@code Kernels} interface and the scalar spec).
 * {@link org.segloss.tensor.kernel.KernelProvider} loads {@link org.segloss.tensor.simd.VectorKernels}
 * reflectively, so the rest of the library runs, on the scalar kernels, without
 * {@code --add-modules jdk.incubator.vector}.
 */
package org.segloss.tensor.simd;
