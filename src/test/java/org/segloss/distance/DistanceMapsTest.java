package org.segloss.distance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.segloss.distance.SignedDistanceMaps.Convention;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;
import org.segloss.tensor.kernel.Parallel;

/** Hand-checked maps, the edge cases, thread-count determinism and bad input. */
class DistanceMapsTest {

    /** spec/reference-values.md D8: 6×6 GT, object rows 1–3 × cols 2–4, unit spacing, LIVIAETS map of the object. */
    @Test
    void lossSpecD8LiviaetsMap() {
        int[] lab = new int[36];
        for (int y = 1; y <= 3; y++) for (int x = 2; x <= 4; x++) lab[y * 6 + x] = 1;
        Tensor maps = SignedDistanceMaps.fromLabels(LabelTensor.of(lab, 1, 6, 6), 2, null, Convention.LIVIAETS);
        Tensor fg = maps.slice(1, 1, 2).reshape(6, 6);
        assertEquals(40.429553, fg.sumDouble(), 1e-5);
        assertEquals(1.123043, fg.sumDouble() / 36, 1e-6);
        assertEquals(-1f, fg.get(2, 3), 0f, "centre voxel");
        for (int y = 1; y <= 3; y++) {
            for (int x = 2; x <= 4; x++) if (y != 2 || x != 3) assertEquals(0f, fg.get(y, x), 0f, "object border " + y + "," + x);
        }
        assertEquals(1f, fg.get(0, 3), 0f);
        assertEquals((float) Math.sqrt(5), fg.get(5, 1), 0f);   // (5,1) -> nearest object voxel (3,2)
        assertEquals((float) Math.sqrt(8), fg.get(5, 0), 0f);
        // the same through the conformance entry point on the one-hot [K, H, W]
        Tensor viaOneHot = SignedDistanceMaps.oneHot2dist(LabelTensor.of(lab, 1, 6, 6).oneHot(2).reshape(2, 6, 6), null);
        assertArrayEquals(maps.reshape(2, 6, 6).toArray(), viaOneHot.toArray(), 0f);
    }

    /** The 1-D example of the spec page: mask 0 0 1 1 1 0, spacing 2 (as a [1, 6] image). */
    @Test
    void oneDimensionalExampleOfTheSpecPage() {
        boolean[] m = {false, false, true, true, true, false};
        int[] dims = {1, 6};
        double[] sp = {1.0, 2.0};
        assertArrayEquals(new float[] {3, 1, -1, -3, -1, 1}, SignedDistanceMaps.signed(m, dims, sp, Convention.VOXEL_BOUNDARY), 0f);
        assertArrayEquals(new float[] {4, 2, -1, -3, -1, 2}, SignedDistanceMaps.signed(m, dims, sp, Convention.LIVIAETS), 0f);
        // unit spacing: the LIVIAETS inner boundary is 0, the voxel-boundary one -1/2
        sp = new double[] {1.0, 1.0};
        assertArrayEquals(new float[] {2, 1, 0, -1, 0, 1}, SignedDistanceMaps.signed(m, dims, sp, Convention.LIVIAETS), 0f);
        assertArrayEquals(new float[] {1.5f, 0.5f, -0.5f, -1.5f, -0.5f, 0.5f},
                SignedDistanceMaps.signed(m, dims, sp, Convention.VOXEL_BOUNDARY), 0f);
        // spacing 0.5 puts LIVIAETS's inner boundary at +0.5 inside the object (the unscaled −1 shift of spec/distance-maps.md, "Convention.LIVIAETS")
        sp = new double[] {1.0, 0.5};
        assertEquals(0.5f, SignedDistanceMaps.signed(m, dims, sp, Convention.LIVIAETS)[2], 0f);
        assertEquals(-0.25f, SignedDistanceMaps.signed(m, dims, sp, Convention.VOXEL_BOUNDARY)[2], 0f);
    }

    /** Diagonal neighbours of a cell: the distance to its corner, sqrt((s0/2)² + (s1/2)²). */
    @Test
    void voxelBoundaryMeasuresToTheCellCorner() {
        boolean[] m = new boolean[9];
        m[4] = true;   // centre of a 3×3 image
        float[] phi = SignedDistanceMaps.signed(m, new int[] {3, 3}, new double[] {2.0, 0.6}, Convention.VOXEL_BOUNDARY);
        assertEquals((float) Math.hypot(1.0, 0.3), phi[0], 1e-7f);
        assertEquals(1f, phi[1], 1e-7f);        // above: s0/2
        assertEquals(0.3f, phi[3], 1e-7f);      // left: s1/2
        assertEquals(-0.3f, phi[4], 1e-7f);     // inside: the nearest face is at s1/2
    }

    @Test
    void emptyAndFullClassesGiveZerosNotAPhantomRamp() {
        // sample 0: all class 0 (class 0 full, 1 and 2 absent); sample 1: class 1 everywhere but one voxel
        int[] lab = new int[2 * 3 * 4];
        for (int i = 12; i < 24; i++) lab[i] = 1;
        lab[23] = 2;
        for (Convention conv : Convention.values()) {
            Tensor maps = SignedDistanceMaps.fromLabels(LabelTensor.of(lab, 2, 3, 4), 3, new double[] {0.9, 1.7}, conv);
            assertEquals(org.segloss.tensor.Shape.of(2, 3, 3, 4), maps.shape());
            for (int c = 0; c < 3; c++) {
                Tensor m0 = maps.slice(0, 0, 1).slice(1, c, c + 1);
                assertEquals(0.0, m0.abs().sumDouble(), 0.0, conv + " sample 0 class " + c);
            }
            assertEquals(0.0, maps.slice(0, 1, 2).slice(1, 0, 1).abs().sumDouble(), 0.0, conv + " absent class 0");
            assertTrue(maps.slice(0, 1, 2).slice(1, 1, 2).abs().sumDouble() > 0, conv + " class 1 has a boundary");
        }
        Tensor full = Tensor.ones(1, 3, 4);
        assertEquals(0.0, SignedDistanceMaps.oneHot2dist(full, null).abs().sumDouble(), 0.0, "oneHot2dist of a full class");
        assertEquals(0.0, SignedDistanceMaps.hausdorffField(Tensor.ones(1, 1, 3, 4)).abs().sumDouble(), 0.0, "full fg");
        assertEquals(0.0, SignedDistanceMaps.hausdorffField(Tensor.zeros(1, 1, 3, 4)).abs().sumDouble(), 0.0, "empty fg");
    }

    @Test
    void rawTransformWithoutTargetsIsInfinite() {
        Tensor none = Tensor.zeros(3, 4, 5);
        Tensor d = EuclideanDistance.distanceToNearest(none, new double[] {1, 2, 3});
        for (int i = 0; i < d.size(); i++) assertEquals(Float.POSITIVE_INFINITY, d.at(i));
        Tensor e = EuclideanDistance.edt(Tensor.ones(3, 4), null);   // SciPy: phantom ramp; here +Inf
        for (int i = 0; i < e.size(); i++) assertEquals(Float.POSITIVE_INFINITY, e.at(i));
    }

    /** MONAI HausdorffDTLoss test value (spec/reference-values.md R14), recomputed from our fields. */
    @Test
    void monaiHausdorffValueFromTheFields() {
        Tensor logits = Tensor.of(new float[] {1, -1, -1, 1}, 1, 1, 2, 2);
        Tensor target = Tensor.of(new float[] {1, 0, 1, 1}, 1, 1, 2, 2);
        Tensor p = logits.sigmoid();
        Tensor dp = SignedDistanceMaps.hausdorffField(p), dg = SignedDistanceMaps.hausdorffField(target);
        assertArrayEquals(new float[] {1, 1, 1, 1}, dp.toArray(), 0f);
        assertArrayEquals(new float[] {1, 1, (float) Math.sqrt(2), 1}, dg.toArray(), 0f);
        double loss = p.sub(target).square().mul(dp.square().add(dg.square())).sumDouble() / 4;
        assertEquals(0.509329, loss, 1e-6);
    }

    @Test
    void resultsAreBitIdenticalFor1And2And4Threads() {
        int[] dims = {37, 41, 45};   // 68,265 voxels: several chunks per pass, partial tiles of 16
        SplittableRandom r = new SplittableRandom(11);
        int n = 37 * 41 * 45;
        int[] lab = new int[2 * n];
        float[] prob = new float[2 * n];
        for (int b = 0; b < 2; b++) {
            double cz = 10 + 17 * r.nextDouble(), cy = 10 + 20 * r.nextDouble(), cx = 10 + 25 * r.nextDouble();
            for (int i = 0; i < n; i++) {
                int z = i / (41 * 45), y = i / 45 % 41, x = i % 45;
                double q = Math.sqrt((z - cz) * (z - cz) / 81 + (y - cy) * (y - cy) / 144 + (x - cx) * (x - cx) / 64);
                lab[b * n + i] = q < 1 ? 1 : q < 1.4 && r.nextInt(3) == 0 ? 2 : 0;
                prob[b * n + i] = (float) Math.max(0, 1 - q / 2 + 0.1 * r.nextGaussian());
            }
        }
        double[] sp = {2.5, 0.8, 0.7};
        boolean[] mask = new boolean[n];
        for (int i = 0; i < n; i++) mask[i] = lab[i] == 1;
        LabelTensor labels = LabelTensor.of(lab, 2, 37, 41, 45);
        Tensor probs = Tensor.of(prob, 2, 1, 37, 41, 45);
        Supplier<double[][]> run = () -> new double[][] {
            EuclideanDistance.squaredDistanceToNearest(mask, dims, sp),
            EuclideanDistance.squaredDistanceToNearestCell(mask, dims, sp),
            toDouble(SignedDistanceMaps.fromLabels(labels, 3, sp, Convention.VOXEL_BOUNDARY)),
            toDouble(SignedDistanceMaps.fromLabels(labels, 3, sp, Convention.LIVIAETS)),
            toDouble(SignedDistanceMaps.hausdorffField(probs, 0.5f, sp))};
        int before = Parallel.threads();
        try {
            Parallel.setThreads(1);
            double[][] ref = run.get();
            for (int threads : new int[] {2, 4}) {
                Parallel.setThreads(threads);
                double[][] got = run.get();
                for (int k = 0; k < ref.length; k++) assertArrayEquals(ref[k], got[k], 0f, "output " + k + ", " + threads + " threads");
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    /** float -> double is exact, so comparing the doubles with delta 0 compares the float bits. */
    private static double[] toDouble(Tensor t) {
        double[] d = new double[t.size()];
        for (int i = 0; i < d.length; i++) d[i] = t.at(i);
        return d;
    }

    // ---- bad input ----------------------------------------------------------------------------

    private static void assertMessage(Runnable call, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        for (String p : parts) assertTrue(e.getMessage().contains(p), "message '" + e.getMessage() + "' should contain '" + p + "'");
    }

    @Test
    void badSpacingNamesTheParameterWithExpectedAndActual() {
        Tensor img = Tensor.zeros(3, 4, 5);
        assertMessage(() -> EuclideanDistance.distanceToNearest(img, new double[] {1, 1}),
                "EuclideanDistance.distanceToNearest", "spacing", "length 3", "got length 2");
        assertMessage(() -> EuclideanDistance.edt(img, new double[] {1, 0, 1}), "EuclideanDistance.edt", "spacing[1]", "> 0", "got 0.0");
        assertMessage(() -> EuclideanDistance.edt(img, new double[] {1, 1, -2}), "spacing[2]", "got -2.0");
        assertMessage(() -> EuclideanDistance.edt(img, new double[] {Double.NaN, 1, 1}), "spacing[0]", "got NaN");
        assertMessage(() -> EuclideanDistance.edt(img, new double[] {1, Double.POSITIVE_INFINITY, 1}), "spacing[1]", "finite", "got Infinity");
        LabelTensor lab = LabelTensor.zeros(2, 4, 5);
        assertMessage(() -> SignedDistanceMaps.fromLabels(lab, 2, new double[] {1, 1, 1}, Convention.LIVIAETS),
                "SignedDistanceMaps.fromLabels", "spacing", "length 2", "got length 3");
        assertMessage(() -> SignedDistanceMaps.hausdorffField(Tensor.zeros(1, 1, 4, 5), 0.5f, new double[] {1, -1}),
                "SignedDistanceMaps.hausdorffField", "spacing[1]", "got -1.0");
        assertMessage(() -> SignedDistanceMaps.oneHot2dist(Tensor.zeros(2, 4, 5), new double[] {1}),
                "SignedDistanceMaps.oneHot2dist", "spacing", "length 2", "got length 1");
        assertMessage(() -> EuclideanDistance.squaredDistanceToNearest(new boolean[5], new int[] {2, 3}, null),
                "targets.length", "(6)", "got 5");
    }

    @Test
    void badRankNamesTheExpectedShapes() {
        assertMessage(() -> EuclideanDistance.distanceToNearest(Tensor.zeros(7)), "rank 2", "or 3", "[7]");
        assertMessage(() -> EuclideanDistance.distanceToNearest(Tensor.zeros(2, 3, 4, 5)), "rank 2", "[2, 3, 4, 5]");
        assertMessage(() -> SignedDistanceMaps.fromLabels(LabelTensor.zeros(2, 7), 2), "labels", "[B, H, W] or [B, D, H, W]", "[2, 7]");
        assertMessage(() -> SignedDistanceMaps.fromOneHot(Tensor.zeros(2, 3, 7), null, Convention.LIVIAETS),
                "SignedDistanceMaps.fromOneHot", "[B, C, H, W] or [B, C, D, H, W]", "[2, 3, 7]");
        assertMessage(() -> SignedDistanceMaps.oneHot2dist(Tensor.zeros(2, 3), null), "seg", "[K, H, W] or [K, D, H, W]", "[2, 3]");
        assertMessage(() -> SignedDistanceMaps.hausdorffField(Tensor.zeros(1, 1, 2, 3, 4, 5)), "input", "[B, C, H, W]", "[1, 1, 2, 3, 4, 5]");
    }

    @Test
    void badValuesAreRejected() {
        assertMessage(() -> SignedDistanceMaps.fromLabels(LabelTensor.of(new int[] {0, 1, 3, 0}, 1, 2, 2), 3),
                "labels must be in [0, 3)", "got 3");
        assertMessage(() -> SignedDistanceMaps.fromLabels(LabelTensor.zeros(1, 2, 2), 0), "numClasses must be >= 1", "got 0");
        assertMessage(() -> SignedDistanceMaps.fromOneHot(Tensor.of(new float[] {0, 0.5f, 1, 0}, 1, 1, 2, 2), null, Convention.VOXEL_BOUNDARY),
                "only 0 and 1", "got 0.5");
        assertMessage(() -> SignedDistanceMaps.hausdorffField(Tensor.of(new float[] {0, Float.NaN, 1, 0}, 1, 1, 2, 2)), "NaN", "flat index 1");
    }
}
