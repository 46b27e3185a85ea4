package org.segloss.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.segloss.distance.EuclideanDistance;
import org.segloss.tensor.LabelTensor;

/**
 * Evaluation metrics of a segmentation against a reference, per class: Dice, IoU (Jaccard), the
 * Hausdorff distance, its 95th-percentile variant (HD95) and the average symmetric surface
 * distance (ASSD), the distances in physical units with a per-axis voxel spacing. No gradients:
 * these are reporting numbers. Spec page: {@code spec/metrics.md}.
 *
 * <p><b>Layouts.</b> A label map is {@code [H, W]} (2-D) or {@code [D, H, W]} (3-D), one int label
 * per voxel in [0, classes); prediction and truth have the same shape. Masks are row-major
 * {@code boolean[]} with their {@code dims}. {@code spacing[a]} is the voxel size along array axis
 * a (mm for the CLI); {@code null} means 1 on every axis.
 *
 * <p><b>Surface voxels.</b> A voxel of mask m is a surface voxel when at least one of its 4
 * (2-D) or 6 (3-D) face neighbours is not in m. <b>Outside the volume counts as background</b>:
 * a mask voxel on the volume's border is a surface voxel. This is MONAI's
 * {@code get_mask_edges} ({@code m ^ binary_erosion(m)}, SciPy's erosion with its default
 * {@code border_value=0} and face-connected structure, after a crop with a zero margin of 1)
 * and DeepMind surface-distance's zero-padded neighbour codes. It has a second merit: every
 * non-empty mask has a surface, so "no surface" means exactly "empty mask", even for a mask that
 * fills the volume. A {@code [1, H, W]} label map is a one-slice 3-D volume, every voxel of which
 * is then a surface voxel; pass {@code [H, W]} for a 2-D image.
 *
 * <p><b>Surface distances.</b> For a surface voxel a of A, {@code d(a, ∂B)} is the Euclidean
 * distance (with spacing) from its centre to the centre of the nearest surface voxel of B,
 * read off the exact distance transform of ∂B ({@link EuclideanDistance#squaredDistanceToNearest},
 * Felzenszwalb–Huttenlocher, parallel) — MONAI's {@code get_surface_distance}, which reads
 * SciPy's {@code distance_transform_edt(~edges_gt, sampling=spacing)} at {@code edges_pred}.
 * The reductions (HD, HD95, ASSD, the percentile) are defined in {@link SurfaceDistances}.
 *
 * <p><b>Cropping.</b> The transforms run on the bounding box of A ∪ B only, which is exact: (1)
 * every voxel outside the box is background of both masks, so treating outside-the-box as
 * background gives the same surface voxels as the whole volume (that is the margin-of-1 crop
 * of MONAI done without copying a margin); (2) all the targets of each transform (surface voxels)
 * and all the voxels it is read at lie in the box, and the nearest-target distance of a voxel
 * does not depend on the voxels that are not targets, so the transform of the box equals the
 * transform of the volume there. Background (class 0) usually spans the volume; a small organ
 * costs only its box.
 *
 * <p><b>Empty masks:</b> see {@link ClassMetrics}: both empty → Dice = IoU = 1, distances 0;
 * one empty → Dice = IoU = 0, distances {@code +Infinity}; never NaN.
 *
 * <p><b>Precision.</b> Voxel counts are exact longs; squared distances come from the transform
 * in double; distance sums are in double.
 */
public final class SegmentationMetrics {
    private SegmentationMetrics() {}

    /** One mask, read by flat row-major index of the whole volume. */
    @FunctionalInterface
    interface Mask {
        boolean in(int flat);
    }

    // ---- label maps ---------------------------------------------------------------------------

    /**
     * Every metric for every class 0..classes−1 of a label map.
     *
     * @param pred predicted labels, {@code [H, W]} or {@code [D, H, W]}, values in [0, classes)
     * @param truth reference labels, the same shape and range
     * @param classes number of classes, >= 1
     * @param spacing voxel size per axis (length = rank, finite, > 0), or {@code null} for 1
     * @return one {@link ClassMetrics} row per class, in label order
     * @throws IllegalArgumentException on a shape mismatch, a bad rank or spacing, classes &lt; 1 or
     *     a label outside [0, classes)
     */
    public static MetricsReport evaluate(LabelTensor pred, LabelTensor truth, int classes, double[] spacing) {
        String op = "SegmentationMetrics.evaluate";
        if (pred == null || truth == null) throw new IllegalArgumentException(op + ": pred and truth must not be null");
        if (classes < 1) throw new IllegalArgumentException(op + ": classes must be >= 1, got " + classes);
        int[] dims = pred.shape().dims();
        if (!pred.shape().equals(truth.shape())) {
            throw new IllegalArgumentException(op + ": pred and truth must have the same shape, got pred "
                    + pred.shape() + " and truth " + truth.shape());
        }
        checkDims(op, "pred", dims);
        double[] sp = EuclideanDistance.checkSpacing(op, dims, spacing);
        int[] p = pred.toArray(), t = truth.toArray();
        checkLabels(op, "pred", p, dims, classes);
        checkLabels(op, "truth", t, dims, classes);

        // one pass: counts and the bounding box of A ∪ B per class
        int[] d3 = as3d(dims);
        int w = d3[2];
        long[] predCount = new long[classes], truthCount = new long[classes], inter = new long[classes];
        int[] lo = new int[classes * 3], hi = new int[classes * 3];
        Arrays.fill(lo, Integer.MAX_VALUE);
        Arrays.fill(hi, -1);
        for (int z = 0, i = 0; z < d3[0]; z++) {
            for (int y = 0; y < d3[1]; y++) {
                for (int x = 0; x < w; x++, i++) {
                    int a = p[i], b = t[i];
                    predCount[a]++;
                    truthCount[b]++;
                    if (a == b) inter[a]++;
                    grow(lo, hi, a, z, y, x);
                    if (b != a) grow(lo, hi, b, z, y, x);
                }
            }
        }
        List<ClassMetrics> rows = new ArrayList<>(classes);
        for (int c = 0; c < classes; c++) {
            final int cls = c;
            SurfaceDistances d;
            if (predCount[c] == 0 && truthCount[c] == 0) {
                d = BOTH_EMPTY;
            } else {
                int[] boxLo = {lo[3 * c], lo[3 * c + 1], lo[3 * c + 2]};
                int[] boxHi = {hi[3 * c], hi[3 * c + 1], hi[3 * c + 2]};
                d = distancesInBox(f -> p[f] == cls, f -> t[f] == cls, dims, boxLo, boxHi, sp);
            }
            rows.add(ClassMetrics.of(c, predCount[c], truthCount[c], inter[c], d));
        }
        return new MetricsReport(rows, dims, sp);
    }

    /**
     * Every metric of two binary label maps (non-zero = in the mask), e.g. one organ exported on
     * its own. The row's label is 1.
     */
    public static ClassMetrics evaluateMasks(LabelTensor pred, LabelTensor truth, double[] spacing) {
        String op = "SegmentationMetrics.evaluateMasks";
        if (pred == null || truth == null) throw new IllegalArgumentException(op + ": pred and truth must not be null");
        if (!pred.shape().equals(truth.shape())) {
            throw new IllegalArgumentException(op + ": pred and truth must have the same shape, got pred "
                    + pred.shape() + " and truth " + truth.shape());
        }
        int[] p = pred.toArray(), t = truth.toArray();
        boolean[] a = new boolean[p.length], b = new boolean[t.length];
        for (int i = 0; i < p.length; i++) {
            a[i] = p[i] != 0;
            b[i] = t[i] != 0;
        }
        return evaluate(a, b, pred.shape().dims(), spacing);
    }

    // ---- masks --------------------------------------------------------------------------------

    /**
     * Every metric of a predicted mask against a reference mask. The row's label is 1.
     *
     * @param pred row-major mask of {@code dims}
     * @param truth row-major mask of {@code dims}
     * @param dims {@code [H, W]} or {@code [D, H, W]}, each >= 1
     * @param spacing voxel size per axis, or {@code null} for 1
     */
    public static ClassMetrics evaluate(boolean[] pred, boolean[] truth, int[] dims, double[] spacing) {
        String op = "SegmentationMetrics.evaluate";
        double[] sp = checkMasks(op, pred, truth, dims, spacing);
        long[] c = counts(op, pred, truth);
        return ClassMetrics.of(1, c[0], c[1], c[2], distances(pred, truth, dims, sp));
    }

    /**
     * The directed surface distance sets of two masks and their reductions (HD, HD95, ASSD).
     *
     * @param pred row-major mask of {@code dims}
     * @param truth row-major mask of {@code dims}
     * @param dims {@code [H, W]} or {@code [D, H, W]}, each >= 1
     * @param spacing voxel size per axis, or {@code null} for 1
     */
    public static SurfaceDistances surfaceDistances(boolean[] pred, boolean[] truth, int[] dims, double[] spacing) {
        double[] sp = checkMasks("SegmentationMetrics.surfaceDistances", pred, truth, dims, spacing);
        return distances(pred, truth, dims, sp);
    }

    /**
     * Dice coefficient {@code 2|A∩B| / (|A| + |B|)}; 1 when both masks are empty.
     *
     * @throws IllegalArgumentException if the lengths differ
     */
    public static double dice(boolean[] pred, boolean[] truth) {
        long[] c = counts("SegmentationMetrics.dice", pred, truth);
        if (c[0] + c[1] == 0) return 1.0;
        return 2.0 * c[2] / ((double) c[0] + c[1]);
    }

    /**
     * Intersection over union (Jaccard) {@code |A∩B| / |A∪B|}; 1 when both masks are empty.
     *
     * @throws IllegalArgumentException if the lengths differ
     */
    public static double iou(boolean[] pred, boolean[] truth) {
        long[] c = counts("SegmentationMetrics.iou", pred, truth);
        if (c[0] + c[1] == 0) return 1.0;
        return c[2] / ((double) c[0] + c[1] - c[2]);
    }

    /**
     * The surface voxels of a mask: mask voxels with at least one face neighbour (4 in 2-D, 6 in
     * 3-D) outside the mask, outside the volume counting as outside the mask.
     *
     * @param mask row-major mask of {@code dims}
     * @param dims {@code [H, W]} or {@code [D, H, W]}, each >= 1
     */
    public static boolean[] surface(boolean[] mask, int[] dims) {
        String op = "SegmentationMetrics.surface";
        if (mask == null) throw new IllegalArgumentException(op + ": mask must not be null");
        checkDims(op, "mask", dims);
        checkLength(op, "mask", mask, dims);
        return surfaceOf(mask, as3d(dims), dims.length == 3);
    }

    // ---- the computation ----------------------------------------------------------------------

    private static SurfaceDistances distances(boolean[] pred, boolean[] truth, int[] dims, double[] sp) {
        int[] d3 = as3d(dims);
        int[] lo = {Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE};
        int[] hi = {-1, -1, -1};
        boolean anyA = false, anyB = false;
        for (int z = 0, i = 0; z < d3[0]; z++) {
            for (int y = 0; y < d3[1]; y++) {
                for (int x = 0; x < d3[2]; x++, i++) {
                    anyA |= pred[i];
                    anyB |= truth[i];
                    if (pred[i] || truth[i]) grow(lo, hi, 0, z, y, x);
                }
            }
        }
        if (!anyA && !anyB) return BOTH_EMPTY;
        return distancesInBox(f -> pred[f], f -> truth[f], dims, lo, hi, sp);
    }

    /** Two empty masks: no surface voxels, no distances (every reduction 0). */
    private static final SurfaceDistances BOTH_EMPTY = new SurfaceDistances(new double[0], new double[0]);

    /**
     * Surface distances of two masks, not both empty, whose union lies in the inclusive box
     * {@code [lo, hi]} (3-D coordinates; z = 0 for 2-D). See the class comment for why the box is
     * exact. When one mask is empty the other's surface voxels all get {@code +Infinity} (as
     * MONAI's {@code get_surface_distance}) and no transform is run.
     */
    static SurfaceDistances distancesInBox(Mask a, Mask b, int[] dims, int[] lo, int[] hi, double[] sp) {
        int[] d3 = as3d(dims);
        int bd = hi[0] - lo[0] + 1, bh = hi[1] - lo[1] + 1, bw = hi[2] - lo[2] + 1;
        int n = bd * bh * bw;
        boolean[] ma = new boolean[n], mb = new boolean[n];
        for (int z = 0, j = 0; z < bd; z++) {
            for (int y = 0; y < bh; y++) {
                int row = ((lo[0] + z) * d3[1] + lo[1] + y) * d3[2] + lo[2];
                for (int x = 0; x < bw; x++, j++) {
                    ma[j] = a.in(row + x);
                    mb[j] = b.in(row + x);
                }
            }
        }
        boolean threeD = dims.length == 3;
        int[] box3 = {bd, bh, bw};
        int[] boxDims = threeD ? box3 : new int[] {bh, bw};
        boolean[] sa = surfaceOf(ma, box3, threeD), sb = surfaceOf(mb, box3, threeD);
        int na = count(sa), nb = count(sb);
        double[] ab = new double[na], ba = new double[nb];
        if (na == 0 || nb == 0) {
            Arrays.fill(ab, Double.POSITIVE_INFINITY);
            Arrays.fill(ba, Double.POSITIVE_INFINITY);
        } else {
            readAt(sa, EuclideanDistance.squaredDistanceToNearest(sb, boxDims, sp), ab);
            readAt(sb, EuclideanDistance.squaredDistanceToNearest(sa, boxDims, sp), ba);
        }
        return new SurfaceDistances(ab, ba);
    }

    private static int count(boolean[] m) {
        int k = 0;
        for (boolean v : m) if (v) k++;
        return k;
    }

    /** The square roots of {@code sq} at the voxels of {@code where}, in index order, into out. */
    private static void readAt(boolean[] where, double[] sq, double[] out) {
        for (int i = 0, k = 0; i < where.length; i++) if (where[i]) out[k++] = Math.sqrt(sq[i]);
    }

    /** Surface voxels of m in a {@code [D, H, W]} grid; z-neighbours only when threeD. */
    private static boolean[] surfaceOf(boolean[] m, int[] d3, boolean threeD) {
        int d = d3[0], h = d3[1], w = d3[2], hw = h * w;
        boolean[] s = new boolean[m.length];
        for (int z = 0, i = 0; z < d; z++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++, i++) {
                    if (!m[i]) continue;
                    boolean edge = x == 0 || !m[i - 1] || x == w - 1 || !m[i + 1]
                            || y == 0 || !m[i - w] || y == h - 1 || !m[i + w];
                    if (!edge && threeD) edge = z == 0 || !m[i - hw] || z == d - 1 || !m[i + hw];
                    s[i] = edge;
                }
            }
        }
        return s;
    }

    private static void grow(int[] lo, int[] hi, int c, int z, int y, int x) {
        int k = 3 * c;
        if (z < lo[k]) lo[k] = z;
        if (z > hi[k]) hi[k] = z;
        if (y < lo[k + 1]) lo[k + 1] = y;
        if (y > hi[k + 1]) hi[k + 1] = y;
        if (x < lo[k + 2]) lo[k + 2] = x;
        if (x > hi[k + 2]) hi[k + 2] = x;
    }

    /** {@code [H, W]} → {@code [1, H, W]}; {@code [D, H, W]} unchanged (a copy). */
    private static int[] as3d(int[] dims) {
        return dims.length == 3 ? dims.clone() : new int[] {1, dims[0], dims[1]};
    }

    // ---- validation ---------------------------------------------------------------------------

    /** {|A|, |B|, |A∩B|}, after checking both masks are given and have the same length. */
    private static long[] counts(String op, boolean[] pred, boolean[] truth) {
        if (pred == null || truth == null) throw new IllegalArgumentException(op + ": pred and truth must not be null");
        if (pred.length != truth.length) {
            throw new IllegalArgumentException(op + ": pred and truth must have the same length, got "
                    + pred.length + " and " + truth.length);
        }
        long a = 0, b = 0, ab = 0;
        for (int i = 0; i < pred.length; i++) {
            if (pred[i]) a++;
            if (truth[i]) b++;
            if (pred[i] && truth[i]) ab++;
        }
        return new long[] {a, b, ab};
    }

    private static double[] checkMasks(String op, boolean[] pred, boolean[] truth, int[] dims, double[] spacing) {
        if (pred == null || truth == null) throw new IllegalArgumentException(op + ": pred and truth must not be null");
        checkDims(op, "dims", dims);
        checkLength(op, "pred", pred, dims);
        checkLength(op, "truth", truth, dims);
        return EuclideanDistance.checkSpacing(op, dims, spacing);
    }

    private static void checkLength(String op, String name, boolean[] m, int[] dims) {
        long n = 1;
        for (int d : dims) n *= d;
        if (m.length != n) {
            throw new IllegalArgumentException(op + ": " + name + ".length must equal the product of dims "
                    + Arrays.toString(dims) + " (" + n + "), got " + m.length);
        }
    }

    private static void checkDims(String op, String name, int[] dims) {
        if (dims == null) throw new IllegalArgumentException(op + ": " + name + " shape must not be null");
        if (dims.length != 2 && dims.length != 3) {
            throw new IllegalArgumentException(op + ": " + name + " must have shape [H, W] or [D, H, W], got "
                    + Arrays.toString(dims) + " (rank " + dims.length + ")");
        }
        for (int d : dims) {
            if (d < 1) {
                throw new IllegalArgumentException(op + ": every size of " + name + " must be >= 1, got "
                        + Arrays.toString(dims));
            }
        }
    }

    private static void checkLabels(String op, String name, int[] labels, int[] dims, int classes) {
        for (int i = 0; i < labels.length; i++) {
            int v = labels[i];
            if (v < 0 || v >= classes) {
                throw new IllegalArgumentException(op + ": " + name + " labels must be in [0, " + classes
                        + "), got " + v + " at " + Arrays.toString(coords(i, dims)) + " (flat index " + i + ")");
            }
        }
    }

    private static int[] coords(int i, int[] dims) {
        int[] c = new int[dims.length];
        for (int a = dims.length - 1; a >= 0; a--) {
            c[a] = i % dims[a];
            i /= dims[a];
        }
        return c;
    }
}
