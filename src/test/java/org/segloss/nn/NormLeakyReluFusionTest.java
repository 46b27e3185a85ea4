package org.segloss.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.segloss.autograd.Var;
import org.segloss.tensor.Tensor;
import org.segloss.tensor.kernel.Parallel;

/**
 * Sequential's fused InstanceNorm3d + LeakyReLU against the two modules applied one after the
 * other: output, dx, dγ and dβ bit for bit, at several shapes and slopes (negative and zero
 * too), with trained-looking γ and β, at 1 and 2 threads; a pair not adjacent is not fused; and the
 * fused op's own gradients by GradCheck.
 */
class NormLeakyReluFusionTest {

    static int bits(float v) {
        return Float.floatToIntBits(v);
    }

    static void assertBits(Tensor want, Tensor got, String what) {
        float[] a = want.toArray(), b = got.toArray();
        assertEquals(a.length, b.length, what);
        for (int i = 0; i < a.length; i++) assertEquals(bits(a[i]), bits(b[i]), what + "[" + i + "]");
    }

    @Test
    void fusedPairGivesTheBitsOfTheTwoModules() {
        int[][] shapes = {{1, 1, 1, 1, 3}, {2, 3, 5, 4, 3}, {2, 8, 8, 8, 8}, {1, 2, 17, 1, 9}};
        for (int[] sh : shapes) {
            for (float slope : new float[] {0.01f, -0.3f, 0f, 1.5f}) {
                for (int threads : new int[] {1, 2}) {
                    int before = Parallel.threads();
                    Parallel.setThreads(threads);
                    try {
                        check(sh, slope, threads);
                    } finally {
                        Parallel.setThreads(before);
                    }
                }
            }
        }
    }

    static void check(int[] sh, float slope, int threads) {
        String ctx = java.util.Arrays.toString(sh) + " slope=" + slope + " threads=" + threads;
        int c = sh[1];
        Tensor x = Tensor.randn(sh[0] * 100 + c, sh).muli(2.5f), g = Tensor.randn(sh[0] * 7 + c, sh);
        Tensor gamma = Tensor.randn(5, c), beta = Tensor.randn(6, c);
        InstanceNorm3d a = new InstanceNorm3d(c), b = new InstanceNorm3d(c);
        for (int i = 0; i < c; i++) {
            for (InstanceNorm3d m : new InstanceNorm3d[] {a, b}) {
                m.weight().value().set(gamma.at(i), i);
                m.bias().value().set(beta.at(i), i);
            }
        }
        Var xa = Var.param(x.copy()), xb = Var.param(x.copy());
        Var ya = new Sequential(a, new LeakyReLU(slope)).forward(xa);           // fused
        Var yb = LeakyReLU.leakyRelu(b.forward(xb), slope);                    // the two modules
        assertBits(yb.value(), ya.value(), ctx + " y");
        ya.backward(g);
        yb.backward(g);
        assertBits(xb.grad(), xa.grad(), ctx + " dx");
        assertBits(b.weight().grad(), a.weight().grad(), ctx + " dgamma");
        assertBits(b.bias().grad(), a.bias().grad(), ctx + " dbeta");
    }

    @Test
    void onlyAnAdjacentPairIsFusedAndTheResultIsTheSame() {
        // LeakyReLU, then the norm: not the fused order; the result is the modules' anyway
        int[] sh = {1, 2, 4, 4, 4};
        Tensor x = Tensor.randn(3, sh);
        InstanceNorm3d n1 = new InstanceNorm3d(2), n2 = new InstanceNorm3d(2);
        Var y1 = new Sequential(new LeakyReLU(0.2f), n1).forward(Var.constant(x));
        Var y2 = n2.forward(LeakyReLU.leakyRelu(Var.constant(x), 0.2f));
        assertBits(y2.value(), y1.value(), "leaky then norm");
    }

    @Test
    void nonFiniteSlopeIsRejected() {
        InstanceNorm3d n = new InstanceNorm3d(1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> n.forwardLeakyRelu(Var.constant(Tensor.randn(1, 1, 1, 2, 2, 2)), Float.NaN));
        assertEquals("InstanceNorm3d: slope must be finite, got NaN", e.getMessage());
    }

    /** The fused op's own gradients of x, γ and β by finite differences (GradCheck), at random shapes and slopes. */
    @Property(tries = 30)
    void fusedOpGradients(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int b = 1 + r.nextInt(2), c = 1 + r.nextInt(3);
        float slope = new float[] {0.01f, 0.2f, -0.3f}[r.nextInt(3)];
        Tensor x = Tensor.randn(r.nextLong(), b, c, NnTesting.odd(r), NnTesting.odd(r), 1 + r.nextInt(3));
        Tensor g = Tensor.uniform(r.nextLong(), 0.5f, 1.5f, c);
        // finite differences across the activation's kink at 0 mean nothing: β keeps every output of
        // a channel on one side (|x̂| <= √N for a group of N), the positive side for even channels
        // and the slope's side for odd ones, so both branches are checked
        int n = x.size() / (b * c);
        float[] beta = new float[c];
        for (int ch = 0; ch < c; ch++) beta[ch] = (ch % 2 == 0 ? 1 : -1) * (g.at(ch) * (float) Math.sqrt(n) + 0.5f);
        Tensor be = Tensor.wrap(beta, c);
        NnTesting.assertGrad("InstanceNorm3d + LeakyReLU(" + slope + ") " + x.shape(),
                v -> new NormOp(true, 1e-5f, null, null, slope).apply(v[0], v[1], v[2]), x, g, be);
    }
}
