package org.segloss.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.segloss.metrics.ClassMetrics.Emptiness;
import org.segloss.tensor.LabelTensor;

/** Hand-made masks with known values, the border and empty-mask conventions, the table, bad input. */
class SegmentationMetricsTest {
    static final double EPS = 1e-12;

    /** A {@code [n, n, n]} mask with the cube [z0, z0+s) × [y0, y0+s) × [x0, x0+s). */
    static boolean[] cube(int n, int s, int z0, int y0, int x0) {
        boolean[] m = new boolean[n * n * n];
        for (int z = z0; z < z0 + s; z++) {
            for (int y = y0; y < y0 + s; y++) {
                for (int x = x0; x < x0 + s; x++) m[(z * n + y) * n + x] = true;
            }
        }
        return m;
    }

    static boolean[] square(int h, int w, int y0, int x0, int sy, int sx) {
        boolean[] m = new boolean[h * w];
        for (int y = y0; y < y0 + sy; y++) for (int x = x0; x < x0 + sx; x++) m[y * w + x] = true;
        return m;
    }

    static LabelTensor labels(boolean[] m, int label, int... dims) {
        int[] v = new int[m.length];
        for (int i = 0; i < m.length; i++) v[i] = m[i] ? label : 0;
        return LabelTensor.of(v, dims);
    }

    // ---- known values -------------------------------------------------------------------------

    /**
     * Two 4³ cubes offset by k along x: |A∩B| = 16(4 − k), so Dice = (4 − k)/4 and
     * IoU = (4 − k)/(4 + k); A's far face (16 of its 56 surface voxels) is k from B's surface and
     * nothing is farther, so HD = HD95 = k.
     */
    @Test
    void cubesOffsetByKVoxels() {
        int n = 12;
        int[] dims = {n, n, n};
        for (int k = 1; k <= 3; k++) {
            boolean[] a = cube(n, 4, 4, 4, 2), b = cube(n, 4, 4, 4, 2 + k);
            ClassMetrics r = SegmentationMetrics.evaluate(a, b, dims, null);
            assertEquals((4.0 - k) / 4, r.dice(), EPS, "dice k=" + k);
            assertEquals((4.0 - k) / (4 + k), r.iou(), EPS, "iou k=" + k);
            assertEquals(k, r.hd(), EPS, "hd k=" + k);
            assertEquals(k, r.hd95(), EPS, "hd95 k=" + k);
            assertEquals(64, r.predVoxels());
            assertEquals(64, r.truthVoxels());
            assertEquals(16L * (4 - k), r.intersection());
            assertEquals(56, r.predSurfaceVoxels());
            assertEquals(56, r.truthSurfaceVoxels());
            assertEquals(Emptiness.NONE, r.emptiness());
            // the same through a label map (class 1 on background 0) and through the mask overload
            MetricsReport rep = SegmentationMetrics.evaluate(labels(a, 1, dims), labels(b, 1, dims), 2, null);
            assertEquals(r, rep.row(1));
            assertEquals(r, SegmentationMetrics.evaluateMasks(labels(a, 1, dims), labels(b, 1, dims), null));
        }
        // k = 1: per direction 20 of the 56 surface voxels are at distance 1 (the far face, 16, and the
        // 4 inner voxels of the near face, now inside the other cube), the rest at 0: ASSD = 40/112
        ClassMetrics r = SegmentationMetrics.evaluate(cube(n, 4, 4, 4, 2), cube(n, 4, 4, 4, 3), dims, null);
        assertEquals(5.0 / 14, r.assd(), EPS);
    }

    /** Spacing (2.5, 1, 1): an offset along z scales by 2.5, one along x does not. */
    @Test
    void anisotropicSpacingScalesDistancesAlongZ() {
        int n = 12;
        int[] dims = {n, n, n};
        double[] sp = {2.5, 1, 1};
        for (int k = 1; k <= 3; k++) {
            ClassMetrics z = SegmentationMetrics.evaluate(cube(n, 4, 2, 4, 4), cube(n, 4, 2 + k, 4, 4), dims, sp);
            assertEquals(2.5 * k, z.hd(), EPS, "hd along z, k=" + k);
            assertEquals(2.5 * k, z.hd95(), EPS, "hd95 along z, k=" + k);
            assertEquals((4.0 - k) / 4, z.dice(), EPS, "spacing does not change Dice");
            ClassMetrics x = SegmentationMetrics.evaluate(cube(n, 4, 4, 4, 2), cube(n, 4, 4, 4, 2 + k), dims, sp);
            assertEquals(k, x.hd(), EPS, "hd along x, k=" + k);
            assertEquals(k, x.hd95(), EPS, "hd95 along x, k=" + k);
        }
        // k = 1 along z: per direction the far face, 16 voxels at 2.5, and the near face's 4 inner
        // voxels at 1 (the nearest surface of the other cube is a side face, 1 mm away along y or x)
        ClassMetrics z1 = SegmentationMetrics.evaluate(cube(n, 4, 2, 4, 4), cube(n, 4, 3, 4, 4), dims, sp);
        assertEquals(2 * (16 * 2.5 + 4) / 112, z1.assd(), EPS);
    }

    /** A single voxel against one 3 voxels away: every distance is 3 (7.5 along z with spacing 2.5). */
    @Test
    void singleVoxelAgainstAVoxelThreeAway() {
        int n = 7;
        int[] dims = {n, n, n};
        boolean[] a = new boolean[n * n * n], b = new boolean[n * n * n], c = new boolean[n * n * n];
        a[(3 * n + 3) * n + 1] = true;
        b[(3 * n + 3) * n + 4] = true;   // 3 along x
        c[(6 * n + 3) * n + 1] = true;   // 3 along z
        ClassMetrics r = SegmentationMetrics.evaluate(a, b, dims, null);
        assertEquals(0.0, r.dice());
        assertEquals(0.0, r.iou());
        assertEquals(3.0, r.hd(), EPS);
        assertEquals(3.0, r.hd95(), EPS);
        assertEquals(3.0, r.assd(), EPS);
        ClassMetrics z = SegmentationMetrics.evaluate(a, c, dims, new double[] {2.5, 1, 1});
        assertEquals(7.5, z.hd(), EPS);
        assertEquals(7.5, z.hd95(), EPS);
        assertEquals(7.5, z.assd(), EPS);
        assertEquals(1, z.predSurfaceVoxels());
        // 2-D: (1, 1) against (4, 5) is a 3-4-5 triangle; with spacing (2, 0.5): sqrt(36 + 4)
        boolean[] p = new boolean[8 * 8], q = new boolean[8 * 8];
        p[8 + 1] = true;
        q[4 * 8 + 5] = true;
        assertEquals(5.0, SegmentationMetrics.evaluate(p, q, new int[] {8, 8}, null).hd(), EPS);
        assertEquals(Math.sqrt(40), SegmentationMetrics.evaluate(p, q, new int[] {8, 8}, new double[] {2, 0.5}).assd(), EPS);
    }

    /**
     * 2-D: 4×4 squares offset by one row. Dice 3/4, IoU 3/5, HD = HD95 = 1; of the 12 surface
     * voxels per direction 6 are at distance 1 (the far row and the 2 inner voxels of the near
     * row), so ASSD = 12/24.
     */
    @Test
    void twoDimensionalSquares() {
        int[] dims = {10, 10};
        boolean[] a = square(10, 10, 2, 3, 4, 4), b = square(10, 10, 3, 3, 4, 4);
        ClassMetrics r = SegmentationMetrics.evaluate(a, b, dims, null);
        assertEquals(0.75, r.dice(), EPS);
        assertEquals(0.6, r.iou(), EPS);
        assertEquals(1.0, r.hd(), EPS);
        assertEquals(1.0, r.hd95(), EPS);
        assertEquals(0.5, r.assd(), EPS);
        assertEquals(12, r.predSurfaceVoxels());
        assertEquals(0.75, SegmentationMetrics.dice(a, b), EPS);
        assertEquals(0.6, SegmentationMetrics.iou(a, b), EPS);
        // spacing 3 along y: the offset is along y
        ClassMetrics s = SegmentationMetrics.evaluate(a, b, dims, new double[] {3, 1});
        assertEquals(3.0, s.hd(), EPS);
    }

    /** HD95 is MONAI's max of the directed 95th percentiles; MedPy's union percentile is not larger. */
    @Test
    void hd95IsTheLargerDirectedPercentile() {
        // truth: a 9×9 square; prediction: the same plus one far voxel (a spur) at distance 6
        int[] dims = {20, 20};
        boolean[] b = square(20, 20, 2, 2, 9, 9);
        boolean[] a = b.clone();
        a[16 * 20 + 5] = true;   // (16, 5): 6 below the square's last row 10
        SurfaceDistances d = SegmentationMetrics.surfaceDistances(a, b, dims, null);
        assertEquals(6.0, d.hd(), EPS);
        double[] ab = d.predToTruth(), ba = d.truthToPred();
        assertEquals(33, ab.length);   // 32 ring voxels + the spur
        assertEquals(32, ba.length);
        // pred→truth: 32 zeros and one 6: h = 32·0.95 = 30.4 → 0; truth→pred all 0
        assertEquals(0.0, d.hd95(), EPS);
        assertEquals(6.0 / 65, d.assd(), EPS);
        assertEquals(6.0, d.hausdorffPercentile(100), EPS);
        assertEquals(d.hd95(), Math.max(SurfaceDistances.percentile(ab, 95), SurfaceDistances.percentile(ba, 95)), 0.0);
        assertTrue(d.unionPercentile(95) <= d.hd95());
    }

    /** NumPy's default np.percentile ("linear"): values checked by hand with h = (n − 1)·p/100. */
    @Test
    void percentileIsNumpyLinear() {
        double[] x = {1, 2, 3, 4};
        assertEquals(3.85, SurfaceDistances.percentile(x, 95), EPS);   // np.percentile([1,2,3,4], 95)
        assertEquals(2.5, SurfaceDistances.percentile(x, 50), EPS);
        assertEquals(1.0, SurfaceDistances.percentile(x, 0), 0.0);
        assertEquals(4.0, SurfaceDistances.percentile(x, 100), 0.0);
        assertEquals(7.0, SurfaceDistances.percentile(new double[] {7}, 95), 0.0);
        double[] y = new double[11];
        for (int i = 0; i <= 10; i++) y[i] = i;
        assertEquals(9.5, SurfaceDistances.percentile(y, 95), EPS);
        assertEquals(Double.POSITIVE_INFINITY,
                SurfaceDistances.percentile(new double[] {1, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY}, 95));
    }

    /**
     * Against MONAI's recipe run with NumPy 2.4 / SciPy 1.17 (the script is in spec/metrics.md,
     * "Known values"): edges {@code m ^ binary_erosion(m)}, distances
     * {@code distance_transform_edt(~edges_other, sampling)[edges]}, HD95 the max of the two
     * {@code np.percentile(·, 95)}, ASSD the mean of the concatenation. The volume: four classes of
     * noisy blobs (a deterministic integer-hash noise both sides compute bit for bit), class 3
     * touching the border, spacing (2.5, 0.8, 0.7).
     */
    @Test
    void matchesMonaiRecipeComputedWithScipy() {
        int[] dims = {23, 31, 27};
        double[] sp = {2.5, 0.8, 0.7};
        int n = 23 * 31 * 27;
        int[] t = new int[n], p = new int[n];
        int[][] blobsT = {{11, 15, 13, 14}, {5, 5, 5, 6}, {0, 30, 26, 9}};
        int[][] blobsP = {{12, 15, 14, 14}, {5, 6, 5, 6}, {1, 29, 26, 9}};
        for (int c = 1; c <= 3; c++) {
            for (int i = 0; i < n; i++) {
                int z = i / (31 * 27), y = i / 27 % 31, x = i % 27;
                double noise = (((i * 2654435761L) & 0xffffffffL) % 1000) / 1000.0 * 2 - 1;
                if (inBlob(z, y, x, blobsT[c - 1], sp, noise)) t[i] = c;
                if (inBlob(z, y, x, blobsP[c - 1], sp, noise)) p[i] = c;
            }
        }
        MetricsReport rep = SegmentationMetrics.evaluate(LabelTensor.of(p, dims), LabelTensor.of(t, dims), 4, sp);
        // class, |pred|, |truth|, dice, iou, hd, hd95, assd (SciPy's repr of each float)
        double[][] want = {
            {0, 11242, 11453, 0.917911434236616, 0.8482775470315173, 5.0, 2.5, 0.43858737642668166},
            {1, 6863, 6841, 0.8832457676590777, 0.7909043387349712, 3.281767816284388, 2.5, 0.9780058942984322},
            {2, 596, 588, 0.9172297297297297, 0.8471138845553822, 2.5, 1.063014581273465, 0.17786903751276045},
            {3, 550, 369, 0.7986942328618063, 0.6648550724637681, 3.2649655434629015, 2.596150997149434, 0.5769490854036212}};
        for (double[] w : want) {
            ClassMetrics r = rep.row((int) w[0]);
            String c = "class " + (int) w[0];
            assertEquals((long) w[1], r.predVoxels(), c);
            assertEquals((long) w[2], r.truthVoxels(), c);
            assertEquals(w[3], r.dice(), 1e-15, c + " dice");
            assertEquals(w[4], r.iou(), 1e-15, c + " iou");
            assertEquals(w[5], r.hd(), 1e-12, c + " hd");
            assertEquals(w[6], r.hd95(), 1e-12, c + " hd95");
            assertEquals(w[7], r.assd(), 1e-12, c + " assd");
        }
    }

    private static boolean inBlob(int z, int y, int x, int[] b, double[] sp, double noise) {
        double dz = (z - b[0]) * sp[0], dy = (y - b[1]) * sp[1], dx = (x - b[2]) * sp[2];
        return Math.sqrt(dz * dz + dy * dy + dx * dx) + noise < b[3];
    }

    // ---- the border convention ----------------------------------------------------------------

    /** Outside the volume is background: a mask that fills the volume has the volume's border as its surface. */
    @Test
    void volumeBorderCountsAsBackground() {
        boolean[] full3 = new boolean[27];
        java.util.Arrays.fill(full3, true);
        boolean[] s = SegmentationMetrics.surface(full3, new int[] {3, 3, 3});
        int k = 0;
        for (boolean v : s) if (v) k++;
        assertEquals(26, k, "all but the centre");
        assertTrue(!s[13], "the centre voxel is interior");
        boolean[] full2 = new boolean[9];
        java.util.Arrays.fill(full2, true);
        boolean[] s2 = SegmentationMetrics.surface(full2, new int[] {3, 3});
        assertArrayEquals(new boolean[] {true, true, true, true, false, true, true, true, true}, s2);
        // a [1, H, W] volume is a one-slice 3-D volume: every voxel touches the outside along z
        boolean[] s1 = SegmentationMetrics.surface(full2, new int[] {1, 3, 3});
        for (boolean v : s1) assertTrue(v);

        // full 5×5 prediction against the centre 3×3: the prediction's surface is the 16-voxel
        // frame; its corners are √2 from the 3×3 ring, so HD = √2 (with outside-as-foreground the
        // prediction would have no surface at all)
        boolean[] full = square(5, 5, 0, 0, 5, 5), centre = square(5, 5, 1, 1, 3, 3);
        SurfaceDistances d = SegmentationMetrics.surfaceDistances(full, centre, new int[] {5, 5}, null);
        assertEquals(16, d.predSurfaceVoxels());
        assertEquals(8, d.truthSurfaceVoxels());
        assertEquals(Math.sqrt(2), d.hd(), EPS);
        double[] tp = d.truthToPred();
        for (double v : tp) assertEquals(1.0, v, EPS, "each ring voxel is 1 from the frame");
        assertEquals((4 * Math.sqrt(2) + 12 + 8) / 24, d.assd(), EPS);
        ClassMetrics r = SegmentationMetrics.evaluate(full, centre, new int[] {5, 5}, null);
        assertEquals(2.0 * 9 / 34, r.dice(), EPS);
    }

    /** A class touching the volume border is cropped to its box with no margin copied: same result as a padded volume. */
    @Test
    void cropAtTheVolumeBorderEqualsAPaddedVolume() {
        int[] dims = {6, 6, 6};
        boolean[] a = cube(6, 3, 0, 0, 0), b = cube(6, 3, 0, 1, 1);
        // the same masks embedded at offset (2, 2, 2) in a 10³ volume, so they no longer touch the
        // border there; outside-as-background says the results must be equal
        boolean[] pa = new boolean[1000], pb = new boolean[1000];
        for (int z = 0; z < 6; z++) {
            for (int y = 0; y < 6; y++) {
                for (int x = 0; x < 6; x++) {
                    int i = (z * 6 + y) * 6 + x, j = ((z + 2) * 10 + y + 2) * 10 + x + 2;
                    pa[j] = a[i];
                    pb[j] = b[i];
                }
            }
        }
        double[] sp = {2.5, 1, 0.7};
        ClassMetrics small = SegmentationMetrics.evaluate(a, b, dims, sp);
        ClassMetrics padded = SegmentationMetrics.evaluate(pa, pb, new int[] {10, 10, 10}, sp);
        assertEquals(padded, small);
    }

    // ---- empty masks --------------------------------------------------------------------------

    @Test
    void bothEmptyIsAPerfectScoreAndFlagged() {
        boolean[] e = new boolean[16];
        ClassMetrics r = SegmentationMetrics.evaluate(e, e, new int[] {4, 4}, null);
        assertEquals(Emptiness.BOTH_EMPTY, r.emptiness());
        assertEquals(1.0, r.dice());
        assertEquals(1.0, r.iou());
        assertEquals(0.0, r.hd());
        assertEquals(0.0, r.hd95());
        assertEquals(0.0, r.assd());
        assertEquals(1.0, SegmentationMetrics.dice(e, e));
        assertEquals(1.0, SegmentationMetrics.iou(e, e));
        SurfaceDistances d = SegmentationMetrics.surfaceDistances(e, e, new int[] {4, 4}, null);
        assertEquals(0.0, d.unionPercentile(95));
        assertEquals(0, d.predToTruth().length);
    }

    @Test
    void oneEmptyGivesZeroOverlapAndInfiniteDistances() {
        boolean[] e = new boolean[64], m = new boolean[64];
        m[21] = true;
        m[22] = true;
        int[] dims = {4, 4, 4};
        ClassMetrics predEmpty = SegmentationMetrics.evaluate(e, m, dims, null);
        assertEquals(Emptiness.PRED_EMPTY, predEmpty.emptiness());
        ClassMetrics truthEmpty = SegmentationMetrics.evaluate(m, e, dims, null);
        assertEquals(Emptiness.TRUTH_EMPTY, truthEmpty.emptiness());
        for (ClassMetrics r : new ClassMetrics[] {predEmpty, truthEmpty}) {
            assertEquals(0.0, r.dice());
            assertEquals(0.0, r.iou());
            assertEquals(Double.POSITIVE_INFINITY, r.hd());
            assertEquals(Double.POSITIVE_INFINITY, r.hd95());
            assertEquals(Double.POSITIVE_INFINITY, r.assd());
        }
        assertEquals(2, predEmpty.truthSurfaceVoxels());
        assertEquals(0, predEmpty.predSurfaceVoxels());
        SurfaceDistances d = SegmentationMetrics.surfaceDistances(m, e, dims, null);
        assertArrayEquals(new double[] {Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY}, d.predToTruth());
        assertEquals(Double.POSITIVE_INFINITY, d.unionPercentile(95));
    }

    /** Label maps: absent classes get their flagged rows, the mean leaves them out and the table says so. */
    @Test
    void reportRowsMeansAndTable() {
        int[] dims = {6, 6};
        int[] p = new int[36], t = new int[36];
        for (int y = 1; y <= 3; y++) for (int x = 1; x <= 3; x++) p[y * 6 + x] = t[y * 6 + x] = 1;
        t[5 * 6 + 5] = 2;   // class 2 only in the truth
        p[0] = 3;           // class 3 only in the prediction; class 4 nowhere
        MetricsReport rep = SegmentationMetrics.evaluate(LabelTensor.of(p, dims), LabelTensor.of(t, dims), 5, new double[] {1.5, 1});
        assertEquals(5, rep.classes());
        assertEquals(Emptiness.NONE, rep.row(1).emptiness());
        assertEquals(1.0, rep.row(1).dice());
        assertEquals(0.0, rep.row(1).hd95());
        assertEquals(Emptiness.PRED_EMPTY, rep.row(2).emptiness());
        assertEquals(Emptiness.TRUTH_EMPTY, rep.row(3).emptiness());
        assertEquals(Emptiness.BOTH_EMPTY, rep.row(4).emptiness());
        MetricsReport.Mean m = rep.mean(1, 5);
        assertEquals(3, m.overlapClasses());
        assertEquals(1, m.distanceClasses());
        assertEquals(2, m.infiniteClasses());
        assertEquals(1, m.bothEmptyClasses());
        assertEquals(1.0 / 3, m.dice(), EPS);
        assertEquals(0.0, m.hd95(), EPS);
        MetricsReport.Mean none = rep.mean(4, 5);
        assertEquals(0, none.overlapClasses());
        assertTrue(Double.isNaN(none.dice()), "nothing to average is NaN, with the count 0");

        String table = rep.toTable(new String[] {"background", "organ", "lesion", "spur", "absent"});
        String[] lines = table.split("\n");
        assertEquals(1 + 1 + 5 + 1, lines.length, table);
        assertTrue(lines[0].contains("spacing [1.5, 1.0]"), table);
        assertTrue(lines[1].startsWith("class"), table);
        assertTrue(lines[3].startsWith("1 organ") && lines[3].contains("1.0000"), table);
        assertTrue(lines[4].startsWith("2 lesion") && lines[4].contains("inf") && lines[4].contains("prediction empty"), table);
        assertTrue(lines[5].contains("truth empty"), table);
        assertTrue(lines[6].contains("both empty"), table);
        assertTrue(lines[7].startsWith("mean 1..4") && lines[7].contains("distances over 1 (2 with inf left out)")
                && lines[7].contains("1 both empty left out"), table);
        for (String l : lines) assertEquals(l.stripTrailing(), l, "no trailing blanks");
        assertTrue(rep.toTable().contains("\n4 "), "unnamed rows are labelled by number");
        // one class only: the mean is over class 0 and "n/a" when there is nothing to average
        MetricsReport one = SegmentationMetrics.evaluate(LabelTensor.zeros(2, 2), LabelTensor.zeros(2, 2), 1, null);
        assertTrue(one.toTable().contains("mean 0"), one.toTable());
        assertEquals(Emptiness.NONE, one.row(0).emptiness());
    }

    /** The transforms run in parallel with thread-independent chunks: the report is identical for 1, 2 and 4 threads. */
    @Test
    void reportIsIdenticalFor1And2And4Threads() {
        int[] dims = {29, 37, 41};   // ~44k voxels: several EDT chunks, partial tiles
        int n = 29 * 37 * 41;
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        int[] p = new int[n], t = new int[n];
        for (int i = 0; i < n; i++) {
            int z = i / (37 * 41), y = i / 41 % 37, x = i % 41;
            double q = Math.sqrt((z - 14) * (z - 14) / 64.0 + (y - 18) * (y - 18) / 144.0 + (x - 20) * (x - 20) / 100.0);
            t[i] = q < 1 ? 1 : q < 1.3 ? 2 : 0;
            double q2 = q + 0.15 * r.nextGaussian();
            p[i] = q2 < 1 ? 1 : q2 < 1.3 ? 2 : 0;
        }
        LabelTensor pl = LabelTensor.of(p, dims), tl = LabelTensor.of(t, dims);
        double[] sp = {2.5, 0.8, 0.7};
        int before = org.segloss.tensor.kernel.Parallel.threads();
        try {
            org.segloss.tensor.kernel.Parallel.setThreads(1);
            MetricsReport ref = SegmentationMetrics.evaluate(pl, tl, 3, sp);
            for (int threads : new int[] {2, 4}) {
                org.segloss.tensor.kernel.Parallel.setThreads(threads);
                assertEquals(ref.rows(), SegmentationMetrics.evaluate(pl, tl, 3, sp).rows(), threads + " threads");
            }
            assertEquals(Emptiness.NONE, ref.row(2).emptiness());
        } finally {
            org.segloss.tensor.kernel.Parallel.setThreads(before);
        }
    }

    // ---- bad arguments ------------------------------------------------------------------------

    static void bad(Executable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' should contain '" + f + "'");
    }

    @Test
    void badArguments() {
        LabelTensor a = LabelTensor.zeros(4, 5, 6), b = LabelTensor.zeros(4, 5, 7);
        bad(() -> SegmentationMetrics.evaluate(a, b, 2, null), "same shape", "[4, 5, 6]", "[4, 5, 7]");
        bad(() -> SegmentationMetrics.evaluate(a, a, 0, null), "classes must be >= 1", "got 0");
        bad(() -> SegmentationMetrics.evaluate(a, a, 2, new double[] {1, 1}), "spacing must have length 3", "got length 2");
        bad(() -> SegmentationMetrics.evaluate(a, a, 2, new double[] {1, 0, 1}), "spacing[1] must be finite and > 0", "got 0.0");
        bad(() -> SegmentationMetrics.evaluate(a, a, 2, new double[] {1, 1, -2}), "spacing[2]", "got -2.0");
        bad(() -> SegmentationMetrics.evaluate(a, a, 2, new double[] {Double.NaN, 1, 1}), "spacing[0]", "NaN");
        bad(() -> SegmentationMetrics.evaluate(a, a, 2, new double[] {1, Double.POSITIVE_INFINITY, 1}), "spacing[1]", "Infinity");
        LabelTensor r1 = LabelTensor.zeros(5), r4 = LabelTensor.zeros(1, 2, 2, 2);
        bad(() -> SegmentationMetrics.evaluate(r1, r1, 2, null), "[H, W] or [D, H, W]", "[5]", "rank 1");
        bad(() -> SegmentationMetrics.evaluate(r4, r4, 2, null), "[H, W] or [D, H, W]", "rank 4");
        int[] v = new int[120];
        v[7] = 2;
        bad(() -> SegmentationMetrics.evaluate(LabelTensor.of(v, 4, 5, 6), a, 2, null), "pred labels must be in [0, 2)", "got 2", "[0, 1, 1]", "flat index 7");
        v[7] = -1;
        bad(() -> SegmentationMetrics.evaluate(a, LabelTensor.of(v, 4, 5, 6), 2, null), "truth labels must be in [0, 2)", "got -1");
        bad(() -> SegmentationMetrics.evaluate(null, a, 2, null), "must not be null");
        bad(() -> SegmentationMetrics.evaluateMasks(a, b, null), "same shape");

        boolean[] m = new boolean[12];
        bad(() -> SegmentationMetrics.evaluate(m, new boolean[11], new int[] {3, 4}, null), "truth.length", "[3, 4]", "(12)", "got 11");
        bad(() -> SegmentationMetrics.evaluate(m, m, new int[] {3, 5}, null), "pred.length", "(15)", "got 12");
        bad(() -> SegmentationMetrics.evaluate(m, m, new int[] {12}, null), "[H, W] or [D, H, W]", "rank 1");
        bad(() -> SegmentationMetrics.evaluate(m, m, new int[] {0, 12}, null), ">= 1", "[0, 12]");
        bad(() -> SegmentationMetrics.surfaceDistances(m, m, new int[] {3, 4}, new double[] {1}), "spacing must have length 2");
        bad(() -> SegmentationMetrics.surface(m, new int[] {2, 2, 2}), "mask.length", "(8)", "got 12");
        bad(() -> SegmentationMetrics.dice(m, new boolean[3]), "same length", "12 and 3");
        bad(() -> SegmentationMetrics.iou(m, new boolean[3]), "same length");

        bad(() -> SurfaceDistances.percentile(new double[] {1}, 101), "p must be in [0, 100]", "got 101.0");
        bad(() -> SurfaceDistances.percentile(new double[] {1}, Double.NaN), "p must be in [0, 100]");
        bad(() -> SurfaceDistances.percentile(new double[0], 50), "length >= 1");
        MetricsReport rep = SegmentationMetrics.evaluate(a, a, 3, null);
        bad(() -> rep.toTable(new String[] {"bg", "x"}), "classNames must have length 3", "got 2");
        bad(() -> rep.mean(2, 2), "0 <= from < to <= 3", "from 2, to 2");
        bad(() -> rep.row(3), "[0, 3)", "got 3");
    }

    @Test
    void percentileWithInfinityAndBadInput() {
        assertEquals(1.0, SurfaceDistances.percentile(new double[] {1, Double.POSITIVE_INFINITY}, 0), 0.0, "weight 0 on +Inf");
        assertEquals(Double.POSITIVE_INFINITY, SurfaceDistances.percentile(new double[] {1, Double.POSITIVE_INFINITY}, 50));
        assertEquals(2.5, SurfaceDistances.percentile(new double[] {1, 2, 3, 4}, 50), 1e-12, "numpy.percentile([1,2,3,4], 50)");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SurfaceDistances.percentile(new double[] {2, 1}, 50));
        assertTrue(e.getMessage().contains("ascending") && e.getMessage().contains("index 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SurfaceDistances.percentile(new double[] {1, Double.NaN}, 50));
    }
}
