package org.segloss.metrics;

/**
 * The metrics of one class (or one pair of masks): prediction A against truth B.
 *
 * <p>Overlap: {@code dice = 2|A∩B| / (|A| + |B|)} (Dice, Ecology 26(3) 1945),
 * {@code iou = |A∩B| / |A∪B|} (Jaccard 1912), computed from exact long counts in double.
 * Distances ({@link SurfaceDistances}): {@code hd} (max), {@code hd95} (MONAI: max of the two
 * directed 95th percentiles), {@code assd} (mean over both directed sets), in the units of the
 * spacing (mm when the spacing is in mm).
 *
 * <p><b>Empty masks</b> ({@link Emptiness}), chosen so that no value is NaN:
 * <ul>
 *   <li>{@link Emptiness#BOTH_EMPTY}: dice 1, iou 1, hd = hd95 = assd = 0 — the prediction is
 *       exactly right. MONAI ({@code ignore_empty=True}) and nnU-Net report NaN here instead;
 *       a reporting mean should skip these rows, which {@link MetricsReport#mean(int, int)} does
 *       and says so.</li>
 *   <li>{@link Emptiness#PRED_EMPTY} / {@link Emptiness#TRUTH_EMPTY}: dice 0, iou 0,
 *       hd = hd95 = assd = {@code +Infinity} — the distance to an empty set, as MONAI's surface
 *       distance gives. A finite stand-in (the volume's diagonal) would depend on the field of
 *       view and be averaged in silently; infinity cannot be.</li>
 * </ul>
 *
 * @param label the class label (or 1 for a pair of masks)
 * @param predVoxels |A|
 * @param truthVoxels |B|
 * @param intersection |A∩B|
 * @param predSurfaceVoxels surface voxels of A (the size of the pred→truth distance set)
 * @param truthSurfaceVoxels surface voxels of B
 */
public record ClassMetrics(int label, long predVoxels, long truthVoxels, long intersection,
        long predSurfaceVoxels, long truthSurfaceVoxels,
        double dice, double iou, double hd, double hd95, double assd, Emptiness emptiness) {

    /** Which of the two masks is empty. */
    public enum Emptiness {
        /** Both masks have voxels: every metric is a finite number. */
        NONE,
        /** Neither mask has a voxel: dice = iou = 1, distances 0. */
        BOTH_EMPTY,
        /** The prediction is empty, the truth is not: dice = iou = 0, distances +Infinity. */
        PRED_EMPTY,
        /** The truth is empty, the prediction is not: dice = iou = 0, distances +Infinity. */
        TRUTH_EMPTY
    }

    /** Builds the row from the counts and the surface distances (which already follow the empty rules). */
    static ClassMetrics of(int label, long pred, long truth, long inter, SurfaceDistances d) {
        Emptiness e = pred == 0 && truth == 0 ? Emptiness.BOTH_EMPTY
                : pred == 0 ? Emptiness.PRED_EMPTY
                : truth == 0 ? Emptiness.TRUTH_EMPTY
                : Emptiness.NONE;
        double dice, iou;
        if (e == Emptiness.BOTH_EMPTY) {
            dice = 1.0;
            iou = 1.0;
        } else {
            dice = 2.0 * inter / ((double) pred + truth);
            iou = inter / ((double) pred + truth - inter);
        }
        return new ClassMetrics(label, pred, truth, inter, d.predSurfaceVoxels(), d.truthSurfaceVoxels(),
                dice, iou, d.hd(), d.hd95(), d.assd(), e);
    }
}
