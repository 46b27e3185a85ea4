/**
 * File formats: NumPy {@code .npy} arrays ({@link org.segloss.io.Npy}), read into
 * {@link org.segloss.io.NpyArray} and convertible to float32 {@link org.segloss.tensor.Tensor}s,
 * {@link org.segloss.tensor.LabelTensor}s or doubles, used by the conformance runner to exchange
 * inputs, targets and gradients with the reference implementations; and NIfTI-1 medical images
 * ({@link org.segloss.io.Nifti}, {@link org.segloss.io.NiftiImage}: {@code .nii} and
 * {@code .nii.gz}, header, affine, spacing), read for the MRI atlas and written for predictions.
 *
 * <p>Depends on {@code org.segloss.tensor} and {@code org.segloss.util} only; knows nothing of
 * gradients or losses.
 */
package org.segloss.io;
