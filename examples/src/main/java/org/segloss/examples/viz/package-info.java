/**
 * Pictures of a training run, written as PNG with {@code java.awt} and {@code javax.imageio} only
 * (no plotting dependency): {@link org.segloss.examples.viz.TrainingCurves} (loss and per-class
 * Dice per epoch) and {@link org.segloss.examples.viz.SliceOverlay} (an axial and a coronal slice
 * with the ground truth and the prediction drawn over the image); for loss studies,
 * {@link org.segloss.examples.viz.StudyCharts} (grouped bars, scatter, learning curves of several
 * losses) and {@link org.segloss.examples.viz.OverlayMontage} (one small structure as each loss
 * predicts it).
 *
 * <p>Both run headless: unless the caller has set {@code java.awt.headless} already, loading
 * either class sets it to {@code true}, so no display is needed (a training run on a server,
 * surefire). Both draw without anti-aliasing and use the colour-blind-safe Okabe–Ito palette;
 * the same inputs give the same PNG bytes on the same machine (JDK and fonts). Text is drawn
 * with the JDK's logical {@code SansSerif} font, so another machine with other fonts may give
 * other text pixels; everything else (size, axes, curves, overlays) does not depend on fonts.
 * Drawing text needs at least one font the JDK can find (fontconfig on Linux); a bare container
 * without any font fails in {@code drawString}, so a caller that must not fail (a training run)
 * should catch the exception and go on without the picture.
 */
package org.segloss.examples.viz;
