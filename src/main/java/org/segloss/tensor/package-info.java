/**
 * Dense float32 tensors ({@link org.segloss.tensor.Tensor}), integer label tensors
 * ({@link org.segloss.tensor.LabelTensor}) and shapes, with NumPy broadcasting, reductions over
 * any axes, stable softmax along an axis, gather and matrix products. Arguments are validated
 * here; the loops run in {@link org.segloss.tensor.kernel.Kernels}. {@code Tensor} is the facade;
 * behind it, package-private: the broadcasting engine ({@code Broadcasting}), the reduction
 * scheduler ({@code Reductions}) and the axis tasks ({@code AxisTasks}). The fused softmax
 * statistics of the region losses are {@link org.segloss.tensor.SoftmaxSums}.
 *
 * <p>Depends on {@code org.segloss.tensor.kernel} only; knows nothing of gradients.
 */
package org.segloss.tensor;
