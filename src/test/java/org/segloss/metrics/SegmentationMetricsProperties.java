package org.segloss.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.segloss.metrics.ClassMetrics.Emptiness;
import org.segloss.tensor.LabelTensor;

/**
 * The metrics against a brute-force reference written from the definitions (surface voxels by
 * looking at each neighbour's coordinates, directed distances by an O(n²) search over surface
 * voxel pairs, the percentile by its weighted form), on small random 2-D and 3-D masks and label
 * maps with random anisotropic spacing: sparse, dense, border-touching and empty masks, and
 * classes confined to a small sub-box (so the bounding-box crop is exercised). Plus symmetry.
 */
class SegmentationMetricsProperties {
    static final double TOL = 1e-9;

    record Image(int[] dims, double[] spacing) {
        int n() {
            int n = 1;
            for (int d : dims) n *= d;
            return n;
        }
    }

    static Image randomImage(SplittableRandom r) {
        int rank = 2 + r.nextInt(2);
        int[] dims = new int[rank];
        double[] sp = new double[rank];
        for (int a = 0; a < rank; a++) {
            dims[a] = r.nextInt(6) == 0 ? 1 : 2 + r.nextInt(rank == 2 ? 11 : 7);
            sp[a] = r.nextBoolean() ? 1.0 : 0.3 + 3 * r.nextDouble();
        }
        return new Image(dims, sp);
    }

    /** A random mask: empty, full, sparse, dense, or a random density inside a random sub-box. */
    static boolean[] randomMask(SplittableRandom r, int[] dims) {
        int n = 1;
        for (int d : dims) n *= d;
        boolean[] m = new boolean[n];
        int kind = r.nextInt(8);
        if (kind == 0) return m;
        if (kind == 1) {
            java.util.Arrays.fill(m, true);
            return m;
        }
        double density = kind == 2 ? 0.03 : kind == 3 ? 0.9 : r.nextDouble();
        int[] lo = new int[dims.length], hi = new int[dims.length];
        for (int a = 0; a < dims.length; a++) {
            boolean sub = kind >= 5;
            lo[a] = sub ? r.nextInt(dims[a]) : 0;
            hi[a] = sub ? lo[a] + r.nextInt(dims[a] - lo[a]) : dims[a] - 1;
        }
        for (int i = 0; i < n; i++) {
            int[] c = coords(i, dims);
            boolean inside = true;
            for (int a = 0; a < dims.length; a++) inside &= c[a] >= lo[a] && c[a] <= hi[a];
            m[i] = inside && r.nextDouble() < density;
        }
        return m;
    }

    static int[] coords(int i, int[] dims) {
        int[] c = new int[dims.length];
        for (int a = dims.length - 1; a >= 0; a--) {
            c[a] = i % dims[a];
            i /= dims[a];
        }
        return c;
    }

    static int flat(int[] c, int[] dims) {
        int i = 0;
        for (int a = 0; a < dims.length; a++) i = i * dims[a] + c[a];
        return i;
    }

    /** Surface by definition: in the mask, and some face neighbour is outside the volume or the mask. */
    static boolean[] bruteSurface(boolean[] m, int[] dims) {
        boolean[] s = new boolean[m.length];
        for (int i = 0; i < m.length; i++) {
            if (!m[i]) continue;
            int[] c = coords(i, dims);
            for (int a = 0; a < dims.length && !s[i]; a++) {
                for (int step = -1; step <= 1; step += 2) {
                    int[] nb = c.clone();
                    nb[a] += step;
                    if (nb[a] < 0 || nb[a] >= dims[a] || !m[flat(nb, dims)]) s[i] = true;
                }
            }
        }
        return s;
    }

    /** For each surface voxel of a (index order), the distance to the nearest surface voxel of b; +Inf if b has none. */
    static double[] bruteDirected(boolean[] sa, boolean[] sb, int[] dims, double[] sp) {
        List<Double> out = new ArrayList<>();
        for (int i = 0; i < sa.length; i++) {
            if (!sa[i]) continue;
            int[] ci = coords(i, dims);
            double best = Double.POSITIVE_INFINITY;
            for (int j = 0; j < sb.length; j++) {
                if (!sb[j]) continue;
                int[] cj = coords(j, dims);
                double s = 0;
                for (int a = 0; a < dims.length; a++) {
                    double d = (ci[a] - cj[a]) * sp[a];
                    s += d * d;
                }
                best = Math.min(best, Math.sqrt(s));
            }
            out.add(best);
        }
        double[] v = new double[out.size()];
        for (int k = 0; k < v.length; k++) v[k] = out.get(k);
        java.util.Arrays.sort(v);
        return v;
    }

    /** Type-7 percentile in its weighted form: (1 − g)·x[j] + g·x[j+1], j = ⌊(n−1)p⌋. */
    static double brutePercentile(double[] sorted, double p) {
        double h = (sorted.length - 1) * p / 100;
        int j = (int) h;
        double g = h - j;
        if (j + 1 >= sorted.length || g == 0) return sorted[j];
        return (1 - g) * sorted[j] + g * sorted[j + 1];
    }

    /** hd, hd95, assd of the reference, with the documented empty-mask values. */
    static double[] reference(boolean[] a, boolean[] b, int[] dims, double[] sp) {
        boolean[] sa = bruteSurface(a, dims), sb = bruteSurface(b, dims);
        double[] ab = bruteDirected(sa, sb, dims, sp), ba = bruteDirected(sb, sa, dims, sp);
        if (ab.length == 0 && ba.length == 0) return new double[] {0, 0, 0};
        if (ab.length == 0 || ba.length == 0) {
            double inf = Double.POSITIVE_INFINITY;
            return new double[] {inf, inf, inf};
        }
        double hd = Math.max(ab[ab.length - 1], ba[ba.length - 1]);
        double hd95 = Math.max(brutePercentile(ab, 95), brutePercentile(ba, 95));
        double sum = 0;
        for (double d : ab) sum += d;
        for (double d : ba) sum += d;
        return new double[] {hd, hd95, sum / (ab.length + ba.length)};
    }

    static void close(double want, double got, String what) {
        if (Double.isInfinite(want)) {
            assertEquals(want, got, what);
        } else {
            assertEquals(want, got, TOL * Math.max(1, Math.abs(want)), what);
        }
    }

    static void assertMatchesReference(ClassMetrics r, boolean[] a, boolean[] b, Image img, String what) {
        double[] ref = reference(a, b, img.dims(), img.spacing());
        close(ref[0], r.hd(), what + " hd");
        close(ref[1], r.hd95(), what + " hd95");
        close(ref[2], r.assd(), what + " assd");
        long na = 0, nb = 0, nab = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i]) na++;
            if (b[i]) nb++;
            if (a[i] && b[i]) nab++;
        }
        assertEquals(na, r.predVoxels(), what);
        assertEquals(nb, r.truthVoxels(), what);
        assertEquals(nab, r.intersection(), what);
        double dice = na + nb == 0 ? 1 : 2.0 * nab / (na + nb);
        double iou = na + nb == 0 ? 1 : (double) nab / (na + nb - nab);
        assertEquals(dice, r.dice(), 1e-15, what + " dice");
        assertEquals(iou, r.iou(), 1e-15, what + " iou");
    }

    @Property(tries = 300)
    void masksAgreeWithTheBruteForceReference(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Image img = randomImage(r);
        boolean[] a = randomMask(r, img.dims()), b = randomMask(r, img.dims());
        assertArrayEquals(bruteSurface(a, img.dims()), SegmentationMetrics.surface(a, img.dims()), "surface");
        ClassMetrics m = SegmentationMetrics.evaluate(a, b, img.dims(), img.spacing());
        assertMatchesReference(m, a, b, img, "masks");
        // the directed sets themselves, not only their reductions
        SurfaceDistances d = SegmentationMetrics.surfaceDistances(a, b, img.dims(), img.spacing());
        boolean[] sa = bruteSurface(a, img.dims()), sb = bruteSurface(b, img.dims());
        boolean bothEmpty = d.predSurfaceVoxels() == 0 && d.truthSurfaceVoxels() == 0;
        if (!bothEmpty) {
            double[] want = bruteDirected(sa, sb, img.dims(), img.spacing()), got = d.predToTruth();
            assertEquals(want.length, got.length);
            for (int i = 0; i < want.length; i++) close(want[i], got[i], "predToTruth[" + i + "]");
        }
    }

    @Property(tries = 150)
    void labelMapsAgreeWithTheBruteForceReferencePerClass(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Image img = randomImage(r);
        int classes = 2 + r.nextInt(3);
        int n = img.n();
        int[] p = new int[n], t = new int[n];
        // paint random masks of classes 1.. over background 0 (later classes on top); some classes
        // end up absent from one or both maps
        for (int[] map : new int[][] {p, t}) {
            for (int c = 1; c < classes; c++) {
                boolean[] m = randomMask(r, img.dims());
                for (int i = 0; i < n; i++) if (m[i]) map[i] = c;
            }
        }
        MetricsReport rep = SegmentationMetrics.evaluate(LabelTensor.of(p, img.dims()), LabelTensor.of(t, img.dims()),
                classes, img.spacing());
        assertEquals(classes, rep.classes());
        for (int c = 0; c < classes; c++) {
            boolean[] a = new boolean[n], b = new boolean[n];
            for (int i = 0; i < n; i++) {
                a[i] = p[i] == c;
                b[i] = t[i] == c;
            }
            ClassMetrics row = rep.row(c);
            assertEquals(c, row.label());
            assertMatchesReference(row, a, b, img, "class " + c);
        }
    }

    @Property(tries = 200)
    void swappingPredictionAndTruthChangesNothingButTheEmptySide(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Image img = randomImage(r);
        boolean[] a = randomMask(r, img.dims()), b = randomMask(r, img.dims());
        ClassMetrics ab = SegmentationMetrics.evaluate(a, b, img.dims(), img.spacing());
        ClassMetrics ba = SegmentationMetrics.evaluate(b, a, img.dims(), img.spacing());
        assertEquals(ab.dice(), ba.dice(), 0.0);
        assertEquals(ab.iou(), ba.iou(), 0.0);
        assertEquals(ab.hd(), ba.hd(), 0.0);
        assertEquals(ab.hd95(), ba.hd95(), 0.0);
        assertEquals(ab.assd(), ba.assd(), 0.0);
        Emptiness swapped = switch (ab.emptiness()) {
            case PRED_EMPTY -> Emptiness.TRUTH_EMPTY;
            case TRUTH_EMPTY -> Emptiness.PRED_EMPTY;
            default -> ab.emptiness();
        };
        assertEquals(swapped, ba.emptiness());
        // and against the mask with itself: a perfect score
        ClassMetrics aa = SegmentationMetrics.evaluate(a, a, img.dims(), img.spacing());
        assertEquals(1.0, aa.dice(), 0.0);
        assertEquals(0.0, aa.hd(), 0.0);
        assertEquals(0.0, aa.assd(), 0.0);
    }
}
