package org.segloss.distance;

import java.util.Arrays;
import org.segloss.tensor.Tensor;
import org.segloss.tensor.kernel.Parallel;

/**
 * Exact Euclidean distance transforms of 2-D and 3-D binary images with per-axis voxel spacing.
 *
 * <p><b>Semantics.</b> The core operation is {@link #distanceToNearest}: for every voxel q of an
 * image {@code [H, W]} or {@code [D, H, W]}, the distance (in physical units, spacing[a] per step
 * along array axis a) from the centre of q to the centre of the nearest <em>target</em> voxel;
 * 0 on targets. SciPy's {@code distance_transform_edt(mask, sampling)} (distance from each
 * non-zero voxel to the nearest zero voxel) is {@link #edt}: the targets are the zero voxels.
 *
 * <p><b>No targets.</b> When the target set is empty no voxel has a finite distance and every
 * result is {@code +Infinity}. SciPy instead measures to a phantom point outside the array (a
 * ramp like {@code [[1, 1.41, 2.24], ...]} for an all-ones mask); that is an artefact and is never
 * reproduced here. Callers that must return finite numbers (the distance maps) guard this case.
 *
 * <p><b>Algorithm.</b> Felzenszwalb &amp; Huttenlocher, "Distance transforms of sampled
 * functions", Theory of Computing 8 (2012), Alg. 1: the squared EDT is separable,
 * {@code d²(q) = min_p Σ_a (s_a (q_a − p_a))²}, so it is one 1-D pass per axis, each pass the
 * lower envelope of parabolas {@code s²(x − p)² + f(p)} over the previous pass's values f. The
 * contiguous (last) axis is done first by two sweeps over the mask (nearest target to the left
 * and to the right); every other axis by the lower envelope. Work and memory are linear in the
 * voxel count: O(rank · N).
 *
 * <p><b>Cell metric.</b> {@link #squaredDistanceToNearestCell} is the same with the per-axis step
 * cost {@code (s_a · max(0, |Δ_a| − ½))²}: the distance from the centre of q to the nearest point
 * of the union of the target voxels' cells (closed boxes of size s_0 × s_1 × s_2), i.e. to the
 * surface of the voxelised region. It stays separable; on each line the envelope is evaluated
 * at the half-integer points q ± ½ and {@code min(f(q), E(q − ½), E(q + ½))} is exact (see
 * {@link #envelopeLine}). {@link SignedDistanceMaps} uses it for its default convention.
 *
 * <p><b>Precision and determinism.</b> Squared distances are accumulated in double (the sums of
 * s²-weighted squares); the float32 tensors are rounded once at the end. Every pass runs in
 * parallel over independent lines through {@link Parallel#forRange} with chunk boundaries that
 * depend on the image size only, and each line is computed by the same sequential code, so the
 * result is bit-identical for any thread count.
 */
public final class EuclideanDistance {
    /** Lines gathered together for a strided pass: 16 doubles = two cache lines per row read. */
    static final int TILE = 16;
    /** Voxels per parallel chunk (about 128 KiB of doubles), fixed so chunks do not depend on threads. */
    static final int CHUNK_VOXELS = 1 << 14;

    private EuclideanDistance() {}

    // ---- public API: Tensors ------------------------------------------------------------------

    /**
     * For every voxel, the Euclidean distance to the nearest target voxel (an element of
     * {@code targets} that is not 0), centre to centre, with unit spacing.
     *
     * @param targets {@code [H, W]} or {@code [D, H, W]}; non-zero elements are the targets
     * @return float32 distances of the same shape; 0 on targets; all {@code +Infinity} when there
     *     is no target
     */
    public static Tensor distanceToNearest(Tensor targets) {
        return distanceToNearest(targets, null);
    }

    /**
     * As {@link #distanceToNearest(Tensor)} with {@code spacing[a]} the voxel size along array
     * axis a (physical units, e.g. mm). {@code null} means unit spacing.
     */
    public static Tensor distanceToNearest(Tensor targets, double[] spacing) {
        int[] dims = targets.shape().dims();
        double[] sp = checkSpacing("EuclideanDistance.distanceToNearest", dims, spacing);
        boolean[] t = new boolean[targets.size()];
        for (int i = 0; i < t.length; i++) t[i] = targets.at(i) != 0f;
        return sqrtTensor(squaredDistanceToNearest(t, dims, sp), dims);
    }

    /**
     * SciPy {@code distance_transform_edt(mask, sampling=spacing)}: every non-zero element of
     * {@code mask} gets the distance to the nearest zero element, zero elements get 0. The one
     * difference: a mask without any zero gives {@code +Infinity} everywhere (SciPy's phantom
     * point is not reproduced).
     *
     * @param mask {@code [H, W]} or {@code [D, H, W]}
     * @param spacing per-axis voxel size, or {@code null} for unit spacing
     */
    public static Tensor edt(Tensor mask, double[] spacing) {
        int[] dims = mask.shape().dims();
        double[] sp = checkSpacing("EuclideanDistance.edt", dims, spacing);
        boolean[] t = new boolean[mask.size()];
        for (int i = 0; i < t.length; i++) t[i] = mask.at(i) == 0f;
        return sqrtTensor(squaredDistanceToNearest(t, dims, sp), dims);
    }

    // ---- public API: arrays -------------------------------------------------------------------

    /**
     * Squared centre-to-centre distances to the nearest target, in double.
     *
     * @param targets row-major {@code [dims...]}, true on targets
     * @param dims {@code [H, W]} or {@code [D, H, W]}, each >= 1
     * @param spacing one finite positive voxel size per axis ({@code null}: unit spacing)
     * @return a new {@code double[N]}; {@code +Infinity} everywhere when no voxel is a target
     */
    public static double[] squaredDistanceToNearest(boolean[] targets, int[] dims, double[] spacing) {
        return transform("EuclideanDistance.squaredDistanceToNearest", targets, dims, spacing, false);
    }

    /**
     * Squared distances from each voxel centre to the nearest point of the union of the target
     * voxels' cells (the cell metric of the class comment), in double. 0 on targets,
     * {@code s_a²/4} for a voxel next to a target along axis a.
     */
    public static double[] squaredDistanceToNearestCell(boolean[] targets, int[] dims, double[] spacing) {
        return transform("EuclideanDistance.squaredDistanceToNearestCell", targets, dims, spacing, true);
    }

    private static double[] transform(String op, boolean[] targets, int[] dims, double[] spacing, boolean cells) {
        double[] sp = checkSpacing(op, dims, spacing);
        long n = 1;
        for (int d : dims) n *= d;
        if (targets.length != n) {
            throw new IllegalArgumentException(op + ": targets.length must equal the product of dims "
                    + Arrays.toString(dims) + " (" + n + "), got " + targets.length);
        }
        double[] out = new double[targets.length];
        squared(targets, dims, sp, cells, out);
        return out;
    }

    // ---- validation ---------------------------------------------------------------------------

    /**
     * Checks that dims has rank 2 or 3 with every size >= 1 and that spacing has one finite
     * positive entry per axis; returns a copy of the spacing (all ones for {@code null}). Public
     * so that every user of a spatial grid with a voxel size (metrics, distance maps) reports
     * bad input the same way; {@code op} names the caller in the messages.
     *
     * @throws IllegalArgumentException naming the shape or the offending spacing entry
     */
    public static double[] checkSpacing(String op, int[] dims, double[] spacing) {
        if (dims.length != 2 && dims.length != 3) {
            throw new IllegalArgumentException(op + ": the image must have rank 2 ([H, W]) or 3 ([D, H, W]), got shape "
                    + Arrays.toString(dims) + " (rank " + dims.length + ")");
        }
        for (int d : dims) {
            if (d < 1) throw new IllegalArgumentException(op + ": every spatial size must be >= 1, got shape " + Arrays.toString(dims));
        }
        if (spacing == null) {
            double[] ones = new double[dims.length];
            Arrays.fill(ones, 1.0);
            return ones;
        }
        if (spacing.length != dims.length) {
            throw new IllegalArgumentException(op + ": spacing must have length " + dims.length
                    + " (the spatial rank of " + Arrays.toString(dims) + "), got length " + spacing.length
                    + " " + Arrays.toString(spacing));
        }
        for (int a = 0; a < spacing.length; a++) {
            if (!(spacing[a] > 0) || Double.isInfinite(spacing[a])) {
                throw new IllegalArgumentException(op + ": spacing[" + a + "] must be finite and > 0, got "
                        + spacing[a] + " in " + Arrays.toString(spacing));
            }
        }
        return spacing.clone();
    }

    static Tensor sqrtTensor(double[] sq, int[] dims) {
        float[] v = new float[sq.length];
        Parallel.forRange(v.length, CHUNK_VOXELS, (s, e) -> {
            for (int i = s; i < e; i++) v[i] = (float) Math.sqrt(sq[i]);
        });
        return Tensor.wrap(v, dims);
    }

    // ---- the transform ------------------------------------------------------------------------

    /**
     * Squared distances into {@code out} (arguments already checked; dims rank 2 or 3). One sweep
     * pass along the last axis, then one envelope pass per remaining axis, last to first.
     */
    static void squared(boolean[] targets, int[] dims, double[] spacing, boolean cells, double[] out) {
        int rank = dims.length;
        int last = dims[rank - 1];
        int rows = targets.length / last;
        sweepRows(targets, rows, last, spacing[rank - 1], cells, out);
        int stride = last;
        for (int a = rank - 2; a >= 0; a--) {
            int n = dims[a];
            int outer = targets.length / (n * stride);
            if (n > 1) envelopePass(out, outer, n, stride, spacing[a], cells);
            stride *= n;
        }
    }

    /**
     * Pass 1 along the contiguous axis, {@code [rows, len]}: the index distance d to the nearest
     * target on the same row, from a forward and a backward sweep; f = (s·d)² (cells:
     * (s·(d − ½))² for d >= 1), +Infinity on rows without a target.
     */
    private static void sweepRows(boolean[] t, int rows, int len, double s, boolean cells, double[] out) {
        int grain = Math.max(1, CHUNK_VOXELS / len);
        double s2 = s * s;
        double off = cells ? 0.5 : 0.0;
        Parallel.forRange(rows, grain, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int base = r * len;
                // forward: distance to the nearest target at or left of i (as an index, -1 = none)
                int lastT = -1;
                for (int i = 0; i < len; i++) {
                    if (t[base + i]) lastT = i;
                    out[base + i] = lastT < 0 ? Double.POSITIVE_INFINITY : i - lastT;
                }
                // backward: the nearest target at or right of i, then convert index distance to f
                int nextT = -1;
                for (int i = len - 1; i >= 0; i--) {
                    if (t[base + i]) nextT = i;
                    double d = out[base + i];
                    if (nextT >= 0 && nextT - i < d) d = nextT - i;
                    out[base + i] = d == 0 ? 0.0 : (d - off) * (d - off) * s2;   // +Inf stays +Inf
                }
            }
        });
    }

    /**
     * One envelope pass along an axis with {@code n} samples and element stride {@code stride}:
     * the data is {@code [outer, n, stride]} and each of the outer·stride lines is independent.
     * Lines are handled {@value #TILE} at a time: a tile of consecutive inner indices is gathered
     * row by row (contiguous reads) into a line-major scratch, transformed, and scattered back,
     * so the strided axis costs no cache miss per element.
     */
    private static void envelopePass(double[] f, int outer, int n, int stride, double s, boolean cells) {
        int tilesPerOuter = (stride + TILE - 1) / TILE;
        int items = outer * tilesPerOuter;
        int grain = Math.max(1, CHUNK_VOXELS / (TILE * n));
        Parallel.forRange(items, grain, (i0, i1) -> {
            // per-task scratch, reused for every line of the chunk: no per-voxel allocation
            double[] in = new double[TILE * n];
            double[] res = new double[TILE * n];
            int[] v = new int[n];
            double[] z = new double[n + 1];
            double[] half = cells ? new double[n + 1] : null;
            for (int item = i0; item < i1; item++) {
                int o = item / tilesPerOuter;
                int j0 = (item % tilesPerOuter) * TILE;
                int w = Math.min(TILE, stride - j0);
                int base = o * n * stride + j0;
                for (int k = 0; k < n; k++) {
                    int src = base + k * stride;
                    for (int t = 0; t < w; t++) in[t * n + k] = f[src + t];
                }
                for (int t = 0; t < w; t++) envelopeLine(in, res, t * n, n, s, v, z, half);
                for (int k = 0; k < n; k++) {
                    int dst = base + k * stride;
                    for (int t = 0; t < w; t++) f[dst + t] = res[t * n + k];
                }
            }
        });
    }

    /**
     * The 1-D transform of one line {@code f[off, off + n)} into {@code out[off, off + n)}:
     * {@code out(q) = min_p s²(q − p)² + f(p)} (Felzenszwalb &amp; Huttenlocher 2012, Alg. 1),
     * or with {@code half != null} the cell metric
     * {@code out(q) = min_p s²·max(0, |q − p| − ½)² + f(p) = min(f(q), E(q − ½), E(q + ½))},
     * E the same envelope evaluated at half-integers.
     *
     * <p>NOTE: why that min is exact. For p &lt; q the cell cost is s²((q − ½) − p)², the
     * parabola at q − ½; for p &gt; q it is s²(p − (q + ½))², the parabola at q + ½; for p = q it
     * is f(q). The envelope at q − ½ also includes the sites p >= q, but there its value
     * s²(p − q + ½)² + f(p) is never below the true cost of p (f(q) for p = q, the q + ½ parabola
     * for p &gt; q), so adding them cannot lower the minimum.
     *
     * <p>Sites with f = +Infinity are skipped (they can never be the nearest); a line without a
     * finite site stays +Infinity. {@code v[k]} are the envelope's sites, {@code z[k]} the left
     * end of parabola k's interval (z[0] = −∞), scratch of size n and n + 1.
     */
    static void envelopeLine(double[] f, double[] out, int off, int n, double s, int[] v, double[] z, double[] half) {
        double s2 = s * s;
        int k = -1;
        for (int q = 0; q < n; q++) {
            double fq = f[off + q];
            if (fq == Double.POSITIVE_INFINITY) continue;
            if (k < 0) {
                k = 0;
                v[0] = q;
                z[0] = Double.NEGATIVE_INFINITY;
                z[1] = Double.POSITIVE_INFINITY;
                continue;
            }
            // intersection of the parabolas of q and v[k]: x = ((f_q − f_p)/(s²(q − p)) + q + p) / 2
            double x;
            while (true) {
                int p = v[k];
                x = ((fq - f[off + p]) / (s2 * (q - p)) + (q + p)) * 0.5;
                if (x > z[k]) break;
                k--;   // parabola k is hidden from z[k] on; z[0] = -inf ends the loop at k = 0
            }
            k++;
            v[k] = q;
            z[k] = x;
            z[k + 1] = Double.POSITIVE_INFINITY;
        }
        if (k < 0) {
            Arrays.fill(out, off, off + n, Double.POSITIVE_INFINITY);
            return;
        }
        if (half == null) {
            int j = 0;
            for (int q = 0; q < n; q++) {
                while (z[j + 1] < q) j++;
                double d = q - v[j];
                out[off + q] = s2 * d * d + f[off + v[j]];
            }
        } else {
            int j = 0;
            for (int q = 0; q <= n; q++) {
                double x = q - 0.5;
                while (z[j + 1] < x) j++;
                double d = x - v[j];
                half[q] = s2 * d * d + f[off + v[j]];
            }
            for (int q = 0; q < n; q++) {
                out[off + q] = Math.min(f[off + q], Math.min(half[q], half[q + 1]));
            }
        }
    }
}
