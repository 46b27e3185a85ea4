package org.segloss.distance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.segloss.distance.SignedDistanceMaps.Convention;

/**
 * The transforms against an O(N²) nearest-voxel search on random small 2-D and 3-D masks with
 * random anisotropic spacing: odd sizes, 1-voxel-thick axes, sparse and dense masks (which touch
 * the borders), and every map convention against its definition written out voxel by voxel.
 */
class DistanceProperties {
    /** A random image: rank 2 or 3, sizes 1..9 (mostly odd), spacing in [0.3, 3.3). */
    record Case(int[] dims, double[] spacing, boolean[] mask) {
        int n() { return mask.length; }
    }

    static Case randomCase(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int rank = 2 + r.nextInt(2);
        int[] dims = new int[rank];
        double[] sp = new double[rank];
        int n = 1;
        for (int a = 0; a < rank; a++) {
            dims[a] = r.nextInt(5) == 0 ? 1 : 1 + 2 * r.nextInt(5) + (r.nextInt(4) == 0 ? 1 : 0);
            sp[a] = r.nextBoolean() ? 1.0 : 0.3 + 3 * r.nextDouble();
            n *= dims[a];
        }
        double density = switch (r.nextInt(4)) {
            case 0 -> 0.02;   // isolated targets, long distances
            case 1 -> 0.95;   // almost full: the complement is sparse
            default -> r.nextDouble();
        };
        boolean[] m = new boolean[n];
        for (int i = 0; i < n; i++) m[i] = r.nextDouble() < density;
        return new Case(dims, sp, m);
    }

    /** Row-major coordinates of flat index i. */
    static int[] coords(int i, int[] dims) {
        int[] c = new int[dims.length];
        for (int a = dims.length - 1; a >= 0; a--) {
            c[a] = i % dims[a];
            i /= dims[a];
        }
        return c;
    }

    /**
     * Brute force: for every voxel the minimum over the targets of Σ_a (s_a·g(Δ_a))² with
     * g(Δ) = |Δ| (centres) or max(0, |Δ| − ½) (cells); +Infinity without targets.
     */
    static double[] bruteSquared(boolean[] targets, int[] dims, double[] sp, boolean cells) {
        int n = targets.length;
        double[] out = new double[n];
        for (int q = 0; q < n; q++) {
            int[] cq = coords(q, dims);
            double best = Double.POSITIVE_INFINITY;
            for (int p = 0; p < n; p++) {
                if (!targets[p]) continue;
                int[] cp = coords(p, dims);
                double d2 = 0;
                for (int a = 0; a < dims.length; a++) {
                    double g = Math.abs(cq[a] - cp[a]);
                    if (cells) g = Math.max(0, g - 0.5);
                    d2 += (sp[a] * g) * (sp[a] * g);
                }
                best = Math.min(best, d2);
            }
            out[q] = best;
        }
        return out;
    }

    static void assertClose(double expected, double actual, double rel, String what) {
        if (expected == Double.POSITIVE_INFINITY) {
            assertEquals(Double.POSITIVE_INFINITY, actual, what);
            return;
        }
        assertEquals(expected, actual, rel * Math.max(1.0, Math.abs(expected)), what);
    }

    static boolean[] not(boolean[] m) {
        boolean[] c = new boolean[m.length];
        for (int i = 0; i < m.length; i++) c[i] = !m[i];
        return c;
    }

    @Property(tries = 400)
    void squaredTransformsEqualTheNearestVoxelSearch(@ForAll long seed) {
        Case c = randomCase(seed);
        for (boolean cells : new boolean[] {false, true}) {
            double[] got = cells
                    ? EuclideanDistance.squaredDistanceToNearestCell(c.mask(), c.dims(), c.spacing())
                    : EuclideanDistance.squaredDistanceToNearest(c.mask(), c.dims(), c.spacing());
            double[] want = bruteSquared(c.mask(), c.dims(), c.spacing(), cells);
            for (int i = 0; i < c.n(); i++) assertClose(want[i], got[i], 1e-12, (cells ? "cell" : "centre") + " voxel " + i);
        }
    }

    @Property(tries = 200)
    void tensorEdtIsScipyWithoutThePhantomPoint(@ForAll long seed) {
        Case c = randomCase(seed);
        float[] mv = new float[c.n()];
        for (int i = 0; i < mv.length; i++) mv[i] = c.mask()[i] ? 1f : 0f;
        var mask = org.segloss.tensor.Tensor.of(mv, c.dims());
        var edt = EuclideanDistance.edt(mask, c.spacing());                 // non-zero -> nearest zero
        var toward = EuclideanDistance.distanceToNearest(mask, c.spacing()); // any -> nearest non-zero
        double[] wantEdt = bruteSquared(not(c.mask()), c.dims(), c.spacing(), false);
        double[] wantTo = bruteSquared(c.mask(), c.dims(), c.spacing(), false);
        for (int i = 0; i < c.n(); i++) {
            assertClose(Math.sqrt(wantEdt[i]), edt.at(i), 1e-6, "edt voxel " + i);
            assertClose(Math.sqrt(wantTo[i]), toward.at(i), 1e-6, "distanceToNearest voxel " + i);
        }
    }

    @Property(tries = 300)
    void signedMapsFollowTheirDefinitions(@ForAll long seed) {
        Case c = randomCase(seed);
        boolean[] m = c.mask();
        int count = 0;
        for (boolean b : m) if (b) count++;
        boolean trivial = count == 0 || count == c.n();
        float[] vb = SignedDistanceMaps.signed(m, c.dims(), c.spacing(), Convention.VOXEL_BOUNDARY);
        float[] li = SignedDistanceMaps.signed(m, c.dims(), c.spacing(), Convention.LIVIAETS);
        float[] vbNot = SignedDistanceMaps.signed(not(m), c.dims(), c.spacing(), Convention.VOXEL_BOUNDARY);
        double[] outC = bruteSquared(m, c.dims(), c.spacing(), true), inC = bruteSquared(not(m), c.dims(), c.spacing(), true);
        double[] out = bruteSquared(m, c.dims(), c.spacing(), false), in = bruteSquared(not(m), c.dims(), c.spacing(), false);
        double minHalf = Double.POSITIVE_INFINITY;
        for (double s : c.spacing()) minHalf = Math.min(minHalf, s / 2);
        for (int i = 0; i < c.n(); i++) {
            if (trivial) {
                assertEquals(0f, vb[i], "empty or full mask: zeros");
                assertEquals(0f, li[i], "empty or full mask: zeros");
                continue;
            }
            double wantVb = m[i] ? -Math.sqrt(inC[i]) : Math.sqrt(outC[i]);
            double wantLi = m[i] ? 1 - Math.sqrt(in[i]) : Math.sqrt(out[i]);
            assertClose(wantVb, vb[i], 1e-6, "VOXEL_BOUNDARY voxel " + i);
            assertClose(wantLi, li[i], 1e-6, "LIVIAETS voxel " + i);
            // negative exactly inside, never 0, and antisymmetric under complement
            assertTrue(m[i] ? vb[i] <= -minHalf * (1 - 1e-6) : vb[i] >= minHalf * (1 - 1e-6), "sign at " + i);
            assertEquals(-vb[i], vbNot[i], 0f, "phi(not m) = -phi(m) at " + i);
        }
    }

    @Property(tries = 200)
    void hausdorffFieldIsTheDistanceToTheOtherSide(@ForAll long seed) {
        Case c = randomCase(seed);
        SplittableRandom r = new SplittableRandom(seed ^ 0x5DEECE66DL);
        float[] p = new float[c.n()];
        boolean[] fg = new boolean[c.n()];
        int count = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = c.mask()[i] ? 0.5f + 0.5f * (float) r.nextDouble() + 1e-3f : 0.5f * (float) r.nextDouble();
            fg[i] = p[i] > 0.5f;
            if (fg[i]) count++;
        }
        int[] shape = new int[c.dims().length + 2];
        shape[0] = 1;
        shape[1] = 1;
        System.arraycopy(c.dims(), 0, shape, 2, c.dims().length);
        var field = SignedDistanceMaps.hausdorffField(org.segloss.tensor.Tensor.of(p, shape), 0.5f, c.spacing());
        double[] toFg = bruteSquared(fg, c.dims(), c.spacing(), false), toBg = bruteSquared(not(fg), c.dims(), c.spacing(), false);
        for (int i = 0; i < c.n(); i++) {
            double want = count == 0 || count == c.n() ? 0 : Math.sqrt(fg[i] ? toBg[i] : toFg[i]);
            assertClose(want, field.at(i), 1e-6, "field voxel " + i);
        }
    }

    /** A target only in a corner of a long thin 3-D image: distances across every axis. */
    @Example
    void singleCornerTargetIn3D() {
        int[] dims = {3, 1, 11};
        double[] sp = {2.5, 0.7, 0.4};
        boolean[] m = new boolean[33];
        m[32] = true;
        double[] got = EuclideanDistance.squaredDistanceToNearest(m, dims, sp);
        double[] want = bruteSquared(m, dims, sp, false);
        for (int i = 0; i < 33; i++) assertClose(want[i], got[i], 1e-12, "voxel " + i);
        assertEquals(2 * 2.5 * 2 * 2.5 + 10 * 0.4 * 10 * 0.4, got[0], 1e-12);
    }
}
