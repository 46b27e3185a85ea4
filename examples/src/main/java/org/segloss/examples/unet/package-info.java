/**
 * A tiny 3-D U-Net trained end to end on CPU: the network ({@link org.segloss.examples.unet.UNet3d},
 * {@link org.segloss.examples.unet.PointwiseConv3d}) and the built-in synthetic data
 * ({@link org.segloss.examples.unet.Phantoms}, {@link org.segloss.examples.unet.PatchSampler}).
 * Built only from the library's public API ({@code org.segloss.nn}, {@code org.segloss.autograd}).
 */
package org.segloss.examples.unet;
