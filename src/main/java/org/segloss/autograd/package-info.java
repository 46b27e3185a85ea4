/**
 * Reverse-mode automatic differentiation: {@link org.segloss.autograd.Var}, the primitives with
 * their backward rules ({@link org.segloss.autograd.Primitives}; the fused gradient kernels they
 * call in {@link org.segloss.autograd.GradientOps}), the public custom-function API
 * ({@link org.segloss.autograd.Function}, {@link org.segloss.autograd.MultiFunction},
 * {@link org.segloss.autograd.Ctx}), the no-grad scope, and the gradient checker
 * ({@link org.segloss.autograd.GradCheck}) with the catalogue that {@code segloss check} runs.
 *
 * <p>Depends on {@code org.segloss.tensor}; knows nothing of losses or layers.
 */
package org.segloss.autograd;
