package org.segloss.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.segloss.autograd.GradCheck;
import org.segloss.autograd.Var;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;

class MaxPool3dTest {

    /** Distinct values 0.1 apart in a random order: a finite-difference step cannot change a maximum. */
    static Tensor spaced(SplittableRandom r, int... shape) {
        int n = Shape.of(shape).size();
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = 0.1f * (i - n / 2);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            float t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
        return Tensor.wrap(v, shape);
    }

    @Property(tries = 30)
    void gradientsMatchFiniteDifferencesOnOddSizes(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Tensor x = spaced(r, 1 + r.nextInt(2), 1 + r.nextInt(3), NnTesting.odd(r), NnTesting.odd(r), NnTesting.odd(r));
        // The directional check moves every element by up to 1e-2·max(1, |x|) at once; with values up to
        // ±n/20 that could swap two neighbours 0.1 apart. A 1e-3 step keeps every swap out of reach.
        GradCheck.Report rep = GradCheck.check(v -> new MaxPool3d().forward(v[0]),
                GradCheck.DEFAULTS.withEps(1e-3, 1e-3), x);
        assertTrue(rep.passed(), () -> "MaxPool3d " + x.shape() + ": " + rep);
    }

    @Test
    void oddSizesFloorAndValuesAreWindowMaxima() {
        Tensor x = Tensor.arange(2 * 5 * 3 * 7).reshape(1, 2, 5, 3, 7);
        Var y = new MaxPool3d().forward(Var.constant(x));
        assertEquals(Shape.of(1, 2, 2, 1, 3), y.shape());
        // arange grows along every axis: each window's maximum is its last corner (2z+1, 2y+1, 2x+1)
        assertEquals(x.get(0, 1, 3, 1, 5), y.value().get(0, 1, 1, 0, 2));
        assertEquals(x.get(0, 0, 1, 1, 1), y.value().get(0, 0, 0, 0, 0));
    }

    @Test
    void tiesSendTheGradientToTheFirstIndex() {
        Var x = Var.param(Tensor.full(3f, 1, 1, 2, 2, 2));
        new MaxPool3d().forward(x).sum().backward();
        float[] expected = new float[8];
        expected[0] = 1f;                                  // (0, 0, 0): first in (z, y, x) order
        assertArrayEquals(expected, x.grad().toArray());

        Tensor t = Tensor.zeros(1, 1, 2, 2, 2);
        t.set(5f, 0, 0, 0, 1, 1);
        t.set(5f, 0, 0, 1, 0, 0);                          // a later tie
        Var x2 = Var.param(t);
        new MaxPool3d().forward(x2).sum().backward();
        assertEquals(1f, x2.grad().get(0, 0, 0, 1, 1));
        assertEquals(0f, x2.grad().get(0, 0, 1, 0, 0));
    }

    @Test
    void badArguments() {
        var e = assertThrows(IllegalArgumentException.class, () -> new MaxPool3d().forward(Var.constant(Tensor.zeros(1, 1, 1, 4, 4))));
        assertTrue(e.getMessage().startsWith("MaxPool3d: x must have D, H, W >= 2"), e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> new MaxPool3d().forward(Var.constant(Tensor.zeros(4, 4))));
        assertTrue(e2.getMessage().contains("rank 5"), e2.getMessage());
    }
}
