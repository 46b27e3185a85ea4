/**
 * Layers and training machinery for small 3-D segmentation networks: {@link org.segloss.nn.Module}
 * and {@link org.segloss.nn.Parameter}; the layers {@link org.segloss.nn.Conv3d},
 * {@link org.segloss.nn.ConvTranspose3d}, {@link org.segloss.nn.MaxPool3d},
 * {@link org.segloss.nn.InstanceNorm3d}, {@link org.segloss.nn.BatchNorm3d},
 * {@link org.segloss.nn.ReLU}, {@link org.segloss.nn.LeakyReLU}, {@link org.segloss.nn.Dropout},
 * {@link org.segloss.nn.Sequential}; seeded Kaiming initialisation ({@link org.segloss.nn.Init});
 * the optimizers {@link org.segloss.nn.SGD} and {@link org.segloss.nn.AdamW} and the learning-rate
 * schedules ({@link org.segloss.nn.LrSchedule}); {@link org.segloss.nn.Checkpoint} files holding
 * parameters, buffers, optimizer state and an epoch, for resuming training exactly. Layouts are PyTorch's ({@code [B, C, D, H, W]}).
 * Formulas: {@code spec/nn.md}.
 *
 * <p>Depends on {@code org.segloss.tensor} and {@code org.segloss.autograd}; knows nothing of
 * losses.
 */
package org.segloss.nn;
