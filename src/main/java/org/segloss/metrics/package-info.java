/**
 * Evaluation metrics of segmentations (no gradients): per-class Dice, IoU, Hausdorff distance,
 * HD95 and ASSD with anisotropic voxel spacing ({@link org.segloss.metrics.SegmentationMetrics}),
 * the rows and table of a report ({@link org.segloss.metrics.MetricsReport}), and the directed
 * surface-distance sets behind the distances ({@link org.segloss.metrics.SurfaceDistances}),
 * connected components ({@link org.segloss.metrics.ConnectedComponents}) and lesion-wise
 * detection counts ({@link org.segloss.metrics.LesionDetection}).
 * Definitions, border and empty-mask conventions: {@code spec/metrics.md}.
 *
 * <p>Depends on {@code org.segloss.tensor} (label maps) and {@code org.segloss.distance} (the
 * exact distance transform) only.
 */
package org.segloss.metrics;
