package org.segloss.metrics;

import java.util.Arrays;

/**
 * The two directed sets of surface distances between a predicted mask A and a reference mask B,
 * and the distances reported from them. Made by
 * {@link SegmentationMetrics#surfaceDistances(boolean[], boolean[], int[], double[])}.
 *
 * <p>{@code predToTruth[i]} is the distance (physical units, e.g. mm) from the centre of the i-th
 * surface voxel of A to the centre of the nearest surface voxel of B, {@code truthToPred} the
 * same from B to A; both sorted ascending. Surface voxels: see {@link SegmentationMetrics}.
 *
 * <p><b>Reductions</b> (all in the units of the spacing):
 * <ul>
 *   <li>{@link #hd()}: the Hausdorff distance, the largest distance of either set.</li>
 *   <li>{@link #hd95()}: {@code max(P95(predToTruth), P95(truthToPred))}, the larger of the two
 *       directed 95th percentiles. This is MONAI's
 *       {@code compute_hausdorff_distance(percentile=95, directed=False)}
 *       ({@code monai/metrics/hausdorff_distance.py}: one percentile per direction, then the max)
 *       and DeepMind surface-distance's {@code compute_robust_hausdorff(d, 95)} (there with surfel
 *       areas as weights). MedPy's {@code hd95} instead takes one percentile of the union of the
 *       two sets: that is {@link #unionPercentile(double) unionPercentile(95)}, never larger
 *       than hd95.</li>
 *   <li>{@link #assd()}: the mean over the union of the two sets,
 *       {@code (Σ predToTruth + Σ truthToPred) / (|predToTruth| + |truthToPred|)}: Heimann et al.,
 *       "Comparison and evaluation of methods for liver segmentation from CT datasets", IEEE TMI
 *       28(8) 2009, and MONAI's {@code compute_average_surface_distance(symmetric=True)}, which
 *       concatenates both directions before the mean. MedPy's {@code assd} (the mean of the two
 *       directed means) differs when the surfaces have different voxel counts.</li>
 * </ul>
 *
 * <p><b>Percentile</b> ({@link #percentile(double[], double)}): NumPy's default
 * {@code np.percentile(x, p)} ("linear", Hyndman &amp; Fan type 7), which MONAI calls: with x
 * sorted and n values, h = (n − 1)·p/100, the result is x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]).
 *
 * <p><b>Empty surfaces.</b> A non-empty mask always has a surface (its last voxel along any axis
 * has a neighbour outside it), so a set is empty only when its mask is. Then: both empty → every
 * reduction is 0 (the surfaces coincide, trivially); one empty → {@code +Infinity} (the distance
 * to an empty set). Never NaN.
 */
public final class SurfaceDistances {
    private final double[] predToTruth;
    private final double[] truthToPred;

    /** Takes ownership of both arrays; sorts them. */
    SurfaceDistances(double[] predToTruth, double[] truthToPred) {
        Arrays.sort(predToTruth);
        Arrays.sort(truthToPred);
        this.predToTruth = predToTruth;
        this.truthToPred = truthToPred;
    }

    /** Distances from each surface voxel of the prediction to the truth's surface, ascending (a copy). */
    public double[] predToTruth() {
        return predToTruth.clone();
    }

    /** Distances from each surface voxel of the truth to the prediction's surface, ascending (a copy). */
    public double[] truthToPred() {
        return truthToPred.clone();
    }

    /** Surface voxel count of the prediction. */
    public int predSurfaceVoxels() {
        return predToTruth.length;
    }

    /** Surface voxel count of the truth. */
    public int truthSurfaceVoxels() {
        return truthToPred.length;
    }

    private boolean bothEmpty() {
        return predToTruth.length == 0 && truthToPred.length == 0;
    }

    private boolean oneEmpty() {
        return (predToTruth.length == 0) != (truthToPred.length == 0);
    }

    /** Hausdorff distance: the maximum of both directed sets; 0 if both surfaces are empty, +Infinity if one is. */
    public double hd() {
        if (bothEmpty()) return 0.0;
        if (oneEmpty()) return Double.POSITIVE_INFINITY;
        return Math.max(predToTruth[predToTruth.length - 1], truthToPred[truthToPred.length - 1]);
    }

    /** {@link #hausdorffPercentile(double) hausdorffPercentile(95)}: MONAI's HD95. */
    public double hd95() {
        return hausdorffPercentile(95.0);
    }

    /**
     * The larger of the two directed p-th percentiles (MONAI, DeepMind); 0 if both surfaces are
     * empty, +Infinity if one is.
     *
     * @param p in [0, 100]; 100 gives {@link #hd()}
     */
    public double hausdorffPercentile(double p) {
        checkPercentile("SurfaceDistances.hausdorffPercentile", p);
        if (bothEmpty()) return 0.0;
        if (oneEmpty()) return Double.POSITIVE_INFINITY;
        return Math.max(percentile(predToTruth, p), percentile(truthToPred, p));
    }

    /**
     * The p-th percentile of the union of the two directed sets (MedPy's {@code hd95} for
     * p = 95); 0 if both surfaces are empty, +Infinity if one is.
     */
    public double unionPercentile(double p) {
        checkPercentile("SurfaceDistances.unionPercentile", p);
        if (bothEmpty()) return 0.0;
        if (oneEmpty()) return Double.POSITIVE_INFINITY;
        double[] all = new double[predToTruth.length + truthToPred.length];
        System.arraycopy(predToTruth, 0, all, 0, predToTruth.length);
        System.arraycopy(truthToPred, 0, all, predToTruth.length, truthToPred.length);
        Arrays.sort(all);
        return percentile(all, p);
    }

    /**
     * Average symmetric surface distance: the mean over the union of both directed sets (summed
     * in double, ascending, so the small terms are added first); 0 if both surfaces are empty,
     * +Infinity if one is.
     */
    public double assd() {
        if (bothEmpty()) return 0.0;
        if (oneEmpty()) return Double.POSITIVE_INFINITY;
        double s = 0;
        for (double d : predToTruth) s += d;
        double t = 0;
        for (double d : truthToPred) t += d;
        return (s + t) / ((double) predToTruth.length + truthToPred.length);
    }

    /**
     * NumPy's default percentile of sorted finite values ("linear", Hyndman &amp; Fan type 7):
     * h = (n − 1)·p/100, x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]).
     *
     * @param sorted ascending, no NaN, length >= 1 (+Infinity allowed: a rank that falls exactly on a
     *     finite value returns it, one between a finite value and +Infinity returns +Infinity)
     * @param p in [0, 100]
     * @throws IllegalArgumentException if sorted is empty, holds a NaN or is not ascending
     */
    public static double percentile(double[] sorted, double p) {
        checkPercentile("SurfaceDistances.percentile", p);
        if (sorted.length == 0) {
            throw new IllegalArgumentException("SurfaceDistances.percentile: sorted must have length >= 1, got 0");
        }
        for (int i = 0; i < sorted.length; i++) {
            if (Double.isNaN(sorted[i]) || (i > 0 && sorted[i] < sorted[i - 1])) {
                throw new IllegalArgumentException("SurfaceDistances.percentile: sorted must be ascending without NaN, got "
                        + sorted[i] + " at index " + i + (i > 0 ? " after " + sorted[i - 1] : ""));
            }
        }
        double h = (sorted.length - 1) * (p / 100.0);
        int lo = (int) Math.floor(h);
        if (lo >= sorted.length - 1) return sorted[sorted.length - 1];
        double a = sorted[lo], b = sorted[lo + 1];
        if (a == b || h == lo) return a;   // also keeps (+Inf, +Inf) and a weight 0 on +Inf from becoming NaN
        return a + (h - lo) * (b - a);
    }

    private static void checkPercentile(String op, double p) {
        if (!(p >= 0 && p <= 100)) {
            throw new IllegalArgumentException(op + ": p must be in [0, 100], got " + p);
        }
    }

    @Override
    public String toString() {
        return "SurfaceDistances[predSurface=" + predToTruth.length + ", truthSurface=" + truthToPred.length
                + ", hd=" + hd() + ", hd95=" + hd95() + ", assd=" + assd() + "]";
    }
}
