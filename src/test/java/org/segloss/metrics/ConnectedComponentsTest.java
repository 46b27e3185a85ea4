package org.segloss.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ConnectedComponentsTest {
    /** [2, 2, 2] map with voxels at (0,0,0) and (1,1,1): corner neighbours only. */
    static int[] corners() {
        int[] v = new int[8];
        v[0] = 1;
        v[7] = 1;
        return v;
    }

    @Test
    void connectivitySixEighteenTwentySix() {
        int[] dims = {2, 2, 2};
        assertEquals(2, ConnectedComponents.label(corners(), dims, 6).count());
        assertEquals(2, ConnectedComponents.label(corners(), dims, 18).count());
        assertEquals(1, ConnectedComponents.label(corners(), dims, 26).count());
        // an edge neighbour: (0,0,0) and (0,1,1)
        int[] edge = new int[8];
        edge[0] = 1;
        edge[3] = 1;
        assertEquals(2, ConnectedComponents.label(edge, dims, 6).count());
        assertEquals(1, ConnectedComponents.label(edge, dims, 18).count());
        assertEquals(6, ConnectedComponents.offsets(6).length);
        assertEquals(18, ConnectedComponents.offsets(18).length);
        assertEquals(26, ConnectedComponents.offsets(26).length);
    }

    @Test
    void differentValuesAreDifferentComponentsNumberedInMemoryOrder() {
        // one row [1 1 2 2 0 1]: components {0,1} value 1, {2,3} value 2, {5} value 1
        int[] v = {1, 1, 2, 2, 0, 1};
        ConnectedComponents c = ConnectedComponents.label(v, new int[] {1, 6}, 26);
        assertEquals(3, c.count());
        assertArrayEquals(new int[] {1, 1, 2, 2, 0, 3}, c.componentOf());
        assertEquals(2, c.size(1));
        assertEquals(2, c.value(2));
        assertEquals(1, c.size(3));
        assertEquals(1, c.value(3));
    }

    @Test
    void sizesSumToForegroundAndBordersDoNotWrap() {
        // x = w-1 of one row and x = 0 of the next are adjacent in memory but not in space
        int[] v = new int[3 * 4 * 5];
        v[4] = 1;                 // (0, 0, 4)
        v[5] = 1;                 // (0, 1, 0)
        assertEquals(2, ConnectedComponents.label(v, new int[] {3, 4, 5}, 26).count());
        SplittableRandom r = new SplittableRandom(5);
        int[] m = new int[7 * 6 * 5];
        long fg = 0;
        for (int i = 0; i < m.length; i++) if (r.nextDouble() < 0.3) { m[i] = 1 + r.nextInt(2); fg++; }
        for (int conn : new int[] {6, 18, 26}) {
            ConnectedComponents c = ConnectedComponents.label(m, new int[] {7, 6, 5}, conn);
            long sum = 0;
            for (int id = 1; id <= c.count(); id++) sum += c.size(id);
            assertEquals(fg, sum);
        }
        assertTrue(ConnectedComponents.label(m, new int[] {7, 6, 5}, 26).count() <= ConnectedComponents.label(m, new int[] {7, 6, 5}, 6).count());
    }

    @Test
    void badInput() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConnectedComponents.label(new int[8], new int[] {2, 2, 2}, 8));
        assertTrue(e.getMessage().contains("connectivity must be 6, 18 or 26, got 8"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ConnectedComponents.label(new int[7], new int[] {2, 2, 2}, 6));
        assertTrue(e.getMessage().contains("values must have 8 entries for dims [2, 2, 2], got 7"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ConnectedComponents.label(new int[2], new int[] {2}, 6));
        assertThrows(IllegalArgumentException.class, () -> ConnectedComponents.label(corners(), new int[] {2, 2, 2}, 6).size(3));
    }
}
