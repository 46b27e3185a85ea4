package org.segloss.distance;

import java.util.Arrays;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;

/**
 * Per-class signed distance maps of label images, the constant maps of the boundary loss
 * (Kervadec et al., "Boundary loss for highly unbalanced segmentation", MIDL 2019 / MedIA 2021,
 * arXiv 1812.07032; spec/losses/boundary.md) and the distance fields of the Hausdorff-DT loss (Karimi &amp;
 * Salcudean, IEEE TMI 2020, arXiv 1904.10030; spec/losses/hausdorff-dt.md). Never differentiated: the
 * losses treat them as constants. Spec page: {@code spec/distance-maps.md}.
 *
 * <p>Layouts: labels {@code [B, *spatial]} or one-hot {@code [B, C, *spatial]} in, maps
 * {@code [B, C, *spatial]} out, spatial {@code [H, W]} or {@code [D, H, W]}; {@code spacing[a]}
 * is the voxel size along spatial axis a ({@code null}: unit spacing). Let m be the mask of
 * class c in sample b, {@code d(q, X)} the centre-to-centre distance from voxel q to the nearest
 * voxel of X (physical units), {@code d_cell(q, X)} the distance from q's centre to the nearest
 * point of the cells (boxes) of X ({@link EuclideanDistance#squaredDistanceToNearestCell}).
 *
 * <ul>
 *   <li>{@link Convention#VOXEL_BOUNDARY} (default): {@code φ(q) = +d_cell(q, m)} for q ∉ m and
 *       {@code φ(q) = −d_cell(q, ¬m)} for q ∈ m: the exact distance from the voxel centre to the
 *       surface of the voxelised object, negative inside. Boundary voxels facing each other along
 *       axis a get {@code ±s_a/2}, so the zero level (by linear interpolation) lies on the
 *       voxel face on every axis whatever the spacing; {@code φ(¬m) = −φ(m)}. 1-D, spacing 2:
 *       mask {@code 0 0 1 1 1 0} → {@code +3 +1 −1 −3 −1 +1}.</li>
 *   <li>{@link Convention#LIVIAETS}: exactly {@code one_hot2dist} of LIVIAETS/boundary-loss
 *       ({@code utils.py} @ 171c32d): {@code φ = edt(¬m)·¬m − (edt(m) − 1)·m}, i.e.
 *       {@code +d(q, m)} outside and {@code 1 − d(q, ¬m)} inside, the 1 not scaled by the spacing.
 *       Same 1-D example: {@code +4 +2 −1 −3 −1 +2}.</li>
 * </ul>
 * In both conventions a class absent from the sample gives all zeros (as the reference does),
 * and so does a class that fills the whole sample: there is no boundary, and SciPy's
 * phantom-point ramp (the reference's output there) is deliberately not reproduced.
 */
public final class SignedDistanceMaps {
    /** How a class mask becomes a signed map; see the class comment. */
    public enum Convention {
        /** Signed distance from the voxel centre to the voxelised object's surface (default). */
        VOXEL_BOUNDARY,
        /** LIVIAETS {@code one_hot2dist}: the −1 shift, unscaled by the spacing. */
        LIVIAETS
    }

    private SignedDistanceMaps() {}

    // ---- from label maps ----------------------------------------------------------------------

    /** {@link Convention#VOXEL_BOUNDARY} maps with unit spacing; see {@link #fromLabels(LabelTensor, int, double[], Convention)}. */
    public static Tensor fromLabels(LabelTensor labels, int numClasses) {
        return fromLabels(labels, numClasses, null, Convention.VOXEL_BOUNDARY);
    }

    /**
     * One signed map per class and sample.
     *
     * @param labels {@code [B, H, W]} or {@code [B, D, H, W]}, values in [0, numClasses)
     * @param spacing voxel size per spatial axis (length 2 or 3), {@code null} for unit spacing
     * @return {@code [B, numClasses, *spatial]} float32
     */
    public static Tensor fromLabels(LabelTensor labels, int numClasses, double[] spacing, Convention convention) {
        String op = "SignedDistanceMaps.fromLabels";
        if (numClasses < 1) throw new IllegalArgumentException(op + ": numClasses must be >= 1, got " + numClasses);
        Shape shape = labels.shape();
        if (shape.rank() != 3 && shape.rank() != 4) {
            throw new IllegalArgumentException(op + ": labels must have shape [B, H, W] or [B, D, H, W], got " + shape);
        }
        int[] dims = Arrays.copyOfRange(shape.dims(), 1, shape.rank());
        double[] sp = EuclideanDistance.checkSpacing(op, dims, spacing);
        int b = shape.dim(0), n = labels.size() / Math.max(1, b);
        int[] lab = labels.toArray();
        for (int i = 0; i < lab.length; i++) {
            if (lab[i] < 0 || lab[i] >= numClasses) {
                throw new IllegalArgumentException(op + ": labels must be in [0, " + numClasses + "), got "
                        + lab[i] + " at flat index " + i);
            }
        }
        float[] out = new float[b * numClasses * n];
        Scratch sc = new Scratch(n);
        for (int s = 0; s < b; s++) {
            for (int c = 0; c < numClasses; c++) {
                for (int i = 0; i < n; i++) sc.mask[i] = lab[s * n + i] == c;
                sc.signed(dims, sp, convention, out, (s * numClasses + c) * n);
            }
        }
        return Tensor.wrap(out, shape.insert(1, numClasses).dims());
    }

    // ---- from one-hot -------------------------------------------------------------------------

    /**
     * One signed map per channel of a one-hot (or multi-label) target.
     *
     * @param oneHot {@code [B, C, H, W]} or {@code [B, C, D, H, W]} with values 0 or 1 (channel c of
     *     sample b is the mask {@code oneHot == 1}; channels need not sum to 1)
     * @return {@code [B, C, *spatial]} float32
     */
    public static Tensor fromOneHot(Tensor oneHot, double[] spacing, Convention convention) {
        return fromOneHot("SignedDistanceMaps.fromOneHot", oneHot, spacing, convention);
    }

    /**
     * LIVIAETS {@code one_hot2dist(seg, resolution, dtype=np.float64)} for one image: the call the
     * conformance runner makes for the {@code distance_map} vectors. Equal to
     * {@code fromOneHot(seg[None], resolution, LIVIAETS)[0]}; a full class gives zeros, not
     * SciPy's phantom ramp (those vectors are {@code artifact}).
     *
     * @param seg one-hot {@code [K, H, W]} or {@code [K, D, H, W]}, values 0 or 1
     * @param resolution spacing per spatial axis, {@code null} = 1 (the reference's {@code None})
     * @return {@code [K, *spatial]} float32
     */
    public static Tensor oneHot2dist(Tensor seg, double[] resolution) {
        String op = "SignedDistanceMaps.oneHot2dist";
        Shape s = seg.shape();
        if (s.rank() != 3 && s.rank() != 4) {
            throw new IllegalArgumentException(op + ": seg must have shape [K, H, W] or [K, D, H, W], got " + s);
        }
        Tensor maps = fromOneHot(op, seg.reshape(s.insert(0, 1)), resolution, Convention.LIVIAETS);
        return maps.reshape(s);
    }

    private static Tensor fromOneHot(String op, Tensor oneHot, double[] spacing, Convention convention) {
        Shape shape = oneHot.shape();
        if (shape.rank() != 4 && shape.rank() != 5) {
            throw new IllegalArgumentException(op + ": the one-hot target must have shape [B, C, H, W] or [B, C, D, H, W], got " + shape);
        }
        int[] dims = Arrays.copyOfRange(shape.dims(), 2, shape.rank());
        double[] sp = EuclideanDistance.checkSpacing(op, dims, spacing);
        int items = shape.dim(0) * shape.dim(1), n = shape.product(2, shape.rank());
        float[] v = oneHot.toArray();
        float[] out = new float[v.length];
        Scratch sc = new Scratch(n);
        for (int it = 0; it < items; it++) {
            for (int i = 0; i < n; i++) {
                float x = v[it * n + i];
                if (x != 0f && x != 1f) {
                    throw new IllegalArgumentException(op + ": the one-hot target must hold only 0 and 1, got "
                            + x + " at flat index " + (it * n + i) + " of shape " + shape);
                }
                sc.mask[i] = x == 1f;
            }
            sc.signed(dims, sp, convention, out, it * n);
        }
        return Tensor.wrap(out, shape.dims());
    }

    // ---- Hausdorff-DT field -------------------------------------------------------------------

    /** {@link #hausdorffField(Tensor, float, double[])} with MONAI's threshold 0.5 and unit spacing. */
    public static Tensor hausdorffField(Tensor input) {
        return hausdorffField(input, 0.5f, null);
    }

    /**
     * MONAI {@code HausdorffDTLoss.distance_field} (@ d388d1c), applied per sample and channel:
     * with {@code fg = input > threshold} (strict), {@code field = edt(fg) + edt(¬fg)}, i.e. every
     * voxel gets its distance to the nearest voxel on the other side (1 on both sides of a
     * straight contour at unit spacing); 0 everywhere when fg is empty or full.
     *
     * @param input probabilities or a binary mask, {@code [B, C, H, W]} or {@code [B, C, D, H, W]}
     *     (MONAI calls it once per channel with {@code [B, 1, ...]}; same result); no NaN
     * @param spacing voxel size per spatial axis, {@code null} for unit spacing (MONAI's only mode)
     * @return {@code [B, C, *spatial]} float32
     */
    public static Tensor hausdorffField(Tensor input, float threshold, double[] spacing) {
        String op = "SignedDistanceMaps.hausdorffField";
        Shape shape = input.shape();
        if (shape.rank() != 4 && shape.rank() != 5) {
            throw new IllegalArgumentException(op + ": input must have shape [B, C, H, W] or [B, C, D, H, W], got " + shape);
        }
        if (Float.isNaN(threshold)) throw new IllegalArgumentException(op + ": threshold must not be NaN");
        int[] dims = Arrays.copyOfRange(shape.dims(), 2, shape.rank());
        double[] sp = EuclideanDistance.checkSpacing(op, dims, spacing);
        int items = shape.dim(0) * shape.dim(1), n = shape.product(2, shape.rank());
        float[] v = input.toArray();
        float[] out = new float[v.length];
        Scratch sc = new Scratch(n);
        for (int it = 0; it < items; it++) {
            int count = 0;
            for (int i = 0; i < n; i++) {
                float x = v[it * n + i];
                if (Float.isNaN(x)) {
                    throw new IllegalArgumentException(op + ": input must not contain NaN, got NaN at flat index " + (it * n + i));
                }
                boolean fg = x > threshold;
                sc.mask[i] = fg;
                sc.comp[i] = !fg;
                if (fg) count++;
            }
            if (count == 0 || count == n) continue;   // MONAI's guard: no contour, field 0
            EuclideanDistance.squared(sc.mask, dims, sp, false, sc.a);   // bg voxels: distance to fg
            EuclideanDistance.squared(sc.comp, dims, sp, false, sc.b);   // fg voxels: distance to bg
            for (int i = 0; i < n; i++) out[it * n + i] = (float) (Math.sqrt(sc.a[i]) + Math.sqrt(sc.b[i]));
        }
        return Tensor.wrap(out, shape.dims());
    }

    // ---- one mask -----------------------------------------------------------------------------

    /**
     * The signed map of one mask {@code [*dims]} (row-major, true inside the class), for callers
     * that hold their own masks.
     *
     * @return a new {@code float[N]}; all zeros for an empty or full mask
     */
    public static float[] signed(boolean[] mask, int[] dims, double[] spacing, Convention convention) {
        String op = "SignedDistanceMaps.signed";
        double[] sp = EuclideanDistance.checkSpacing(op, dims, spacing);
        int n = 1;
        for (int d : dims) n *= d;
        if (mask.length != n) {
            throw new IllegalArgumentException(op + ": mask.length must equal the product of dims "
                    + Arrays.toString(dims) + " (" + n + "), got " + mask.length);
        }
        Scratch sc = new Scratch(n);
        System.arraycopy(mask, 0, sc.mask, 0, n);
        float[] out = new float[n];
        sc.signed(dims, sp, convention, out, 0);
        return out;
    }

    /** Buffers for one image of n voxels, reused across the classes and samples of one call. */
    private static final class Scratch {
        final boolean[] mask, comp;
        final double[] a, b;

        Scratch(int n) {
            mask = new boolean[n];
            comp = new boolean[n];
            a = new double[n];
            b = new double[n];
        }

        /** Writes the map of {@code mask} to {@code out[off, off + n)} (left as zeros when empty or full). */
        void signed(int[] dims, double[] sp, Convention convention, float[] out, int off) {
            int n = mask.length, count = 0;
            for (int i = 0; i < n; i++) {
                comp[i] = !mask[i];
                if (mask[i]) count++;
            }
            if (count == 0 || count == n) return;
            boolean cells = convention == Convention.VOXEL_BOUNDARY;
            EuclideanDistance.squared(mask, dims, sp, cells, a);   // outside: (distance to the class)²
            EuclideanDistance.squared(comp, dims, sp, cells, b);   // inside: (distance to the rest)²
            if (cells) {
                for (int i = 0; i < n; i++) out[off + i] = (float) (mask[i] ? -Math.sqrt(b[i]) : Math.sqrt(a[i]));
            } else {
                // one_hot2dist: edt(neg)·neg − (edt(pos) − 1)·pos, the 1 in index units (not spacing)
                for (int i = 0; i < n; i++) out[off + i] = (float) (mask[i] ? 1.0 - Math.sqrt(b[i]) : Math.sqrt(a[i]));
            }
        }
    }
}
