/**
 * The hot loops behind one interface ({@link org.segloss.tensor.kernel.Kernels}) with a scalar
 * reference implementation, the provider that picks the vector or scalar kernels once, the
 * parallel GEMM driver, and {@link org.segloss.tensor.kernel.Parallel}, the only place threads are
 * used.
 *
 * <p>Depends on nothing else in segloss (the vector kernels are loaded reflectively, so a JVM
 * without {@code jdk.incubator.vector} still runs, on the scalar kernels).
 */
package org.segloss.tensor.kernel;
