package org.segloss.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.segloss.autograd.NoGrad;
import org.segloss.autograd.Var;
import org.segloss.tensor.Tensor;

/**
 * Conv3d's padded input and the norm's x̂ come from {@link ScratchPool}: whatever an array taken
 * from it held (NaN here), the forward and backward give the bits of a run with new arrays, and
 * the arrays go back to the pool after their last use.
 */
class ScratchPoolTest {

    /** Output and gradients of conv (x: [2, 3, 5, 6, 7], 3 -> 4 channels) then instance norm, loss Σ y·r. */
    static float[][] run(long seed) {
        Tensor x = Tensor.randn(seed, 2, 3, 5, 6, 7);
        Var w = Var.param(Tensor.randn(seed + 1, 4, 3, 3, 3, 3).mul(0.2f));
        Var b = Var.param(Tensor.randn(seed + 2, 4));
        Var xin = Var.param(x);
        InstanceNorm3d norm = new InstanceNorm3d(4);
        Var y = norm.forward(Conv3d.conv3d(xin, w, b));
        y.mul(Tensor.randn(seed + 3, 2, 4, 5, 6, 7)).sum().backward();
        return new float[][] {y.value().toArray(), xin.grad().toArray(), w.grad().toArray(), b.grad().toArray()};
    }

    @Test
    void arraysFromThePoolGiveTheBitsOfNewOnes() {
        float[][] reference = run(3);
        // poison: the sizes the two layers take (padded input 2·3·7·8·9, x̂ 2·4·5·6·7), full of NaN
        for (int i = 0; i < 3; i++) {
            float[] padded = new float[2 * 3 * 7 * 8 * 9], normalised = new float[2 * 4 * 5 * 6 * 7];
            Arrays.fill(padded, Float.NaN);
            Arrays.fill(normalised, Float.NaN);
            ScratchPool.give(padded);
            ScratchPool.give(normalised);
        }
        float[][] again = run(3);
        for (int k = 0; k < reference.length; k++) assertArrayEquals(reference[k], again[k], "output/gradient " + k);
    }

    @Test
    void theLastUseHandsTheArrayBack() {
        run(5);   // leaves the two arrays of a step in the pool
        float[] padded = ScratchPool.take(2 * 3 * 7 * 8 * 9);
        ScratchPool.give(padded);
        run(5);   // takes it, and gives it back after the backward
        assertSame(padded, ScratchPool.take(2 * 3 * 7 * 8 * 9), "the padded input came back to the pool");
        // without a gradient the forward hands both back at once
        long before = ScratchPool.heldBytes();
        try (NoGrad ignored = NoGrad.enter()) {
            new InstanceNorm3d(4).forward(Conv3d.conv3d(Var.constant(Tensor.randn(1, 2, 3, 5, 6, 7)),
                    Var.constant(Tensor.randn(2, 4, 3, 3, 3, 3)), null));
        }
        assertTrue(ScratchPool.heldBytes() >= before, "a forward without gradient keeps the pool as full");
    }
}
