/**
 * A tiny 3-D U-Net trained end to end on CPU: the network ({@link org.segloss.examples.unet.UNet3d},
 * {@link org.segloss.examples.unet.PointwiseConv3d}), the data sets
 * ({@link org.segloss.examples.unet.SegmentationDataset}: the built-in synthetic
 * {@link org.segloss.examples.unet.Phantoms} and the real MRI atlas
 * {@link org.segloss.examples.unet.MniAtlas}), training patches
 * ({@link org.segloss.examples.unet.PatchSampler}), inference
 * ({@link org.segloss.examples.unet.SlidingWindow}) and post-processing
 * ({@link org.segloss.examples.unet.LargestComponent}). Built only from the library's public API
 * ({@code org.segloss.nn}, {@code org.segloss.autograd}, {@code org.segloss.io}). The training
 * run is {@code org.segloss.examples.train} ({@code Trainer}), which the command
 * {@code org.segloss.cli.TrainCommand} calls.
 */
package org.segloss.examples.unet;
