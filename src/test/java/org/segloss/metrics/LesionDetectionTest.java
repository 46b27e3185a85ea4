package org.segloss.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.segloss.tensor.LabelTensor;

class LesionDetectionTest {
    static final int D = 6, H = 6, W = 6;

    static int at(int z, int y, int x) { return (z * H + y) * W + x; }

    /**
     * Truth: three lesions of class 3 — a 2x2x2 cube at (0..1)^3, a single voxel at (4,4,4), a
     * two-voxel bar at (0,4,4)-(0,4,5) — and an organ (1) voxel at (3,0,0).
     * Prediction: one voxel of the cube, a lesion at (5,0,0) far from any truth, a lesion at
     * (2,2,2) that touches the cube only at a corner (a separate component with 6-connectivity,
     * the same as the cube with 26, but a separate predicted component either way as it does not
     * overlap), and class 1 on the single-voxel lesion.
     */
    static LabelTensor[] maps() {
        int[] t = new int[D * H * W], p = new int[D * H * W];
        for (int z = 0; z < 2; z++) for (int y = 0; y < 2; y++) for (int x = 0; x < 2; x++) t[at(z, y, x)] = 3;
        t[at(4, 4, 4)] = 3;
        t[at(0, 4, 4)] = 3;
        t[at(0, 4, 5)] = 3;
        t[at(3, 0, 0)] = 1;
        p[at(1, 1, 1)] = 3;
        p[at(5, 0, 0)] = 3;
        p[at(2, 2, 2)] = 3;
        p[at(4, 4, 4)] = 1;
        return new LabelTensor[] {LabelTensor.of(p, D, H, W), LabelTensor.of(t, D, H, W)};
    }

    @Test
    void countsOnAHandMadeMap() {
        LabelTensor[] m = maps();
        LesionDetection d = LesionDetection.of(m[0], m[1], 3);
        // truth components: cube, single voxel, bar = 3; detected: the cube only
        assertEquals(3, d.truthComponents());
        assertEquals(1, d.detectedComponents());
        assertEquals(1.0 / 3, d.detectedShare(), 0);
        // predicted components, 26-connected: {(1,1,1), (2,2,2)} touch at a corner -> one component overlapping the cube; (5,0,0) -> FP
        assertEquals(2, d.predComponents());
        assertEquals(1, d.falsePositiveComponents());
        // 6-connected the corner voxel (2,2,2) is its own component and a false positive
        boolean[] a = new boolean[D * H * W], b = new boolean[D * H * W];
        int[] p = m[0].toArray(), t = m[1].toArray();
        for (int i = 0; i < a.length; i++) { a[i] = p[i] == 3; b[i] = t[i] == 3; }
        LesionDetection six = LesionDetection.of(a, b, new int[] {D, H, W}, 6);
        assertEquals(3, six.predComponents());
        assertEquals(2, six.falsePositiveComponents());
        // class 1: truth (3,0,0) missed, prediction (4,4,4) a false positive
        LesionDetection organ = LesionDetection.of(m[0], m[1], 1);
        assertEquals(new LesionDetection(1, 0, 1, 1), organ);
    }

    @Test
    void perfectEmptyAndAllMissed() {
        LabelTensor[] m = maps();
        assertEquals(new LesionDetection(3, 3, 3, 0), LesionDetection.of(m[1], m[1], 3));
        LabelTensor empty = LabelTensor.of(new int[D * H * W], D, H, W);
        LesionDetection none = LesionDetection.of(empty, m[1], 3);
        assertEquals(new LesionDetection(3, 0, 0, 0), none);
        LesionDetection noTruth = LesionDetection.of(m[1], empty, 3);
        assertEquals(new LesionDetection(0, 0, 3, 3), noTruth);
        assertTrue(Double.isNaN(noTruth.detectedShare()));
    }

    @Test
    void badInput() {
        LabelTensor a = LabelTensor.of(new int[8], 2, 2, 2), b = LabelTensor.of(new int[12], 2, 2, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LesionDetection.of(a, b, 1));
        assertTrue(e.getMessage().contains("same shape"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new LesionDetection(1, 2, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> LesionDetection.of(new boolean[8], new boolean[8], new int[] {2, 2, 2}, 4));
    }
}
