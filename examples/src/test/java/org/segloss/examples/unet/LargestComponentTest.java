package org.segloss.examples.unet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.segloss.tensor.LabelTensor;

class LargestComponentTest {

    @Test
    void keepsTheLargestComponentOfEachClass() {
        // one row of 10 voxels: class 1 as components of 3 and 2 voxels, class 2 as 1 and 1 (tie: the first stays)
        int[] in = {1, 1, 1, 0, 1, 1, 2, 0, 2, 0};
        LabelTensor out = LargestComponent.apply(LabelTensor.of(in, 1, 1, 10), 3);
        assertArrayEquals(new int[] {1, 1, 1, 0, 0, 0, 2, 0, 0, 0}, out.toArray());
    }

    @Test
    void sixConnectivityNotDiagonal() {
        // 2 x 2 in-plane: class 1 on a diagonal is two components of one voxel each
        int[] in = {1, 0, 0, 1};
        assertArrayEquals(new int[] {1, 0, 0, 0}, LargestComponent.apply(LabelTensor.of(in, 1, 2, 2), 2).toArray());
        // along z: voxels above each other are connected
        int[] col = {1, 1};
        assertArrayEquals(col, LargestComponent.apply(LabelTensor.of(col, 2, 1, 1), 2).toArray());
    }

    @Test
    void idempotentAndOnlyRemovesOnRandomMaps() {
        for (int seed = 0; seed < 50; seed++) idempotentAndOnlyRemoves(seed);
    }

    private static void idempotentAndOnlyRemoves(int seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        int[] in = new int[5 * 6 * 7];
        for (int i = 0; i < in.length; i++) in[i] = r.nextInt(10) < 6 ? 0 : 1 + r.nextInt(3);
        LabelTensor once = LargestComponent.apply(LabelTensor.of(in, 5, 6, 7), 4);
        int[] o = once.toArray();
        for (int i = 0; i < in.length; i++) assertTrue(o[i] == in[i] || o[i] == 0, "only sets voxels to background");
        assertArrayEquals(o, LargestComponent.apply(once, 4).toArray(), "idempotent");
        long[] before = new long[4], after = new long[4];
        for (int i = 0; i < in.length; i++) {
            before[in[i]]++;
            after[o[i]]++;
        }
        for (int c = 1; c < 4; c++) assertEquals(before[c] > 0, after[c] > 0, "a present class keeps a component");
    }

    @Test
    void badArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LargestComponent.apply(LabelTensor.of(new int[] {0, 1}, 2), 2));
        assertTrue(e.getMessage().contains("rank 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LargestComponent.apply(LabelTensor.of(new int[] {0, 3}, 1, 1, 2), 3));
        assertTrue(e.getMessage().contains("[0, 3)") && e.getMessage().contains("3"), e.getMessage());
    }
}
