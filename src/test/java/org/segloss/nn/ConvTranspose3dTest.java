package org.segloss.nn;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.segloss.autograd.Var;
import org.segloss.tensor.Tensor;

/** ConvTranspose3d(k=2, s=2) against a naive scatter, gradient checks, bad arguments. */
class ConvTranspose3dTest {

    /** y[b,o,2z+kz,2y+ky,2x+kx] = bias[o] + sum_i w[i,o,kz,ky,kx] x[b,i,z,y,x]. */
    static float[] naive(Tensor x, Tensor w, Tensor bias) {
        int bs = x.dim(0), ci = x.dim(1), d = x.dim(2), h = x.dim(3), wd = x.dim(4), co = w.dim(1);
        Tensor y = Tensor.zeros(bs, co, 2 * d, 2 * h, 2 * wd);
        for (int b = 0; b < bs; b++)
            for (int o = 0; o < co; o++)
                for (int z = 0; z < 2 * d; z++)
                    for (int yy = 0; yy < 2 * h; yy++)
                        for (int xx = 0; xx < 2 * wd; xx++) {
                            double s = bias.get(o);
                            for (int i = 0; i < ci; i++) s += (double) w.get(i, o, z % 2, yy % 2, xx % 2) * x.get(b, i, z / 2, yy / 2, xx / 2);
                            y.set((float) s, b, o, z, yy, xx);
                        }
        return y.toArray();
    }

    @Property(tries = 30)
    void forwardMatchesNaiveScatter(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int b = 1 + r.nextInt(2), ci = 1 + r.nextInt(3), co = 1 + r.nextInt(3);
        Tensor x = Tensor.randn(r.nextLong(), b, ci, 1 + r.nextInt(5), 1 + r.nextInt(5), 1 + r.nextInt(5));
        ConvTranspose3d up = new ConvTranspose3d(ci, co, r.nextLong());
        up.bias().value().addi(Tensor.randn(r.nextLong(), co));
        float[] y = up.forward(Var.constant(x)).value().toArray();
        NnTesting.assertClose(naive(x, up.weight().value(), up.bias().value()), y, 1e-4f, "ConvTranspose3d forward");
    }

    @Property(tries = 25)
    void gradientsMatchFiniteDifferences(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int b = 1 + r.nextInt(2), ci = 1 + r.nextInt(3), co = 1 + r.nextInt(3);
        Tensor x = Tensor.randn(r.nextLong(), b, ci, NnTesting.odd(r), NnTesting.odd(r), NnTesting.odd(r));
        Tensor w = Tensor.randn(r.nextLong(), ci, co, 2, 2, 2), bias = Tensor.randn(r.nextLong(), co);
        NnTesting.assertGrad("ConvTranspose3d " + x.shape() + " -> " + co, v -> ConvTranspose3d.convTranspose3d(v[0], v[1], v[2]), x, w, bias);
    }

    @Test
    void gradientsWithoutBias() {
        NnTesting.assertGrad("ConvTranspose3d no bias", v -> ConvTranspose3d.convTranspose3d(v[0], v[1], null),
                Tensor.randn(1, 2, 3, 1, 3, 1), Tensor.randn(2, 3, 2, 2, 2, 2));
    }

    @Test
    void badArguments() {
        ConvTranspose3d up = new ConvTranspose3d(4, 2, 0);
        var e = assertThrows(IllegalArgumentException.class, () -> up.forward(Var.constant(Tensor.zeros(1, 3, 2, 2, 2))));
        assertTrue(e.getMessage().startsWith("ConvTranspose3d: x must have 4 channels") && e.getMessage().contains("got 3"), e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class,
                () -> ConvTranspose3d.convTranspose3d(Var.constant(Tensor.zeros(1, 4, 2, 2, 2)), Var.constant(Tensor.zeros(4, 2, 3, 3, 3)), null));
        assertTrue(e2.getMessage().contains("weight") && e2.getMessage().contains("[4, 2, 3, 3, 3]"), e2.getMessage());
    }
}
