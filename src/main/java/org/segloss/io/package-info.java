/**
 * File formats: NumPy {@code .npy} arrays ({@link org.segloss.io.Npy}), read into
 * {@link org.segloss.io.NpyArray} and convertible to float32 {@link org.segloss.tensor.Tensor}s,
 * {@link org.segloss.tensor.LabelTensor}s or doubles. Used by the conformance runner to exchange
 * inputs, targets and gradients with the reference implementations.
 *
 * <p>Depends on {@code org.segloss.tensor} only; knows nothing of gradients or losses.
 */
package org.segloss.io;
