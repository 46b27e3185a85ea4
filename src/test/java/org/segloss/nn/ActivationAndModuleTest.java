package org.segloss.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.segloss.autograd.GradientOps;
import org.segloss.autograd.Var;
import org.segloss.tensor.Backend;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;
import org.segloss.tensor.kernel.Kernels;
import org.segloss.tensor.kernel.ScalarKernels;

/** LeakyReLU, Dropout, the channel concat, Sequential and Module bookkeeping. */
class ActivationAndModuleTest {

    /** Values at least 0.05 away from the kink at 0. */
    static Tensor awayFromZero(long seed, int... shape) {
        float[] v = Tensor.randn(seed, shape).toArray();
        for (int i = 0; i < v.length; i++) v[i] = v[i] >= 0 ? v[i] + 0.05f : v[i] - 0.05f;
        return Tensor.wrap(v, shape);
    }

    @Property(tries = 20)
    void leakyReluGradient(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Tensor x = awayFromZero(r.nextLong(), 1 + r.nextInt(2), 1 + r.nextInt(3), NnTesting.odd(r), NnTesting.odd(r), NnTesting.odd(r));
        float slope = (float) r.nextDouble(0.001, 0.3);
        NnTesting.assertGrad("LeakyReLU " + slope, v -> LeakyReLU.leakyRelu(v[0], slope), x);
        NnTesting.assertGrad("ReLU", v -> new ReLU().forward(v[0]), x);
    }

    @Test
    void leakyReluValues() {
        Var x = Var.param(Tensor.of(new float[] {-2f, 0f, 3f}, 3));
        Var y = new LeakyReLU(0.1f).forward(x);
        assertArrayEquals(new float[] {-0.2f, 0f, 3f}, y.value().toArray(), 1e-7f);
        y.sum().backward();
        assertArrayEquals(new float[] {0.1f, 0.1f, 1f}, x.grad().toArray(), 1e-7f);
    }

    /**
     * The fused op gives the bits of the composition it replaced (relu, sub, mul, add; and
     * reluGrad, sub, mul, add backward), special values included, at a size with vector bodies
     * and a scalar tail over several parallel chunks, so checkpoints do not change.
     */
    @Test
    void leakyReluBitsEqualTheComposedFormula() {
        leakyReluBitsEqualTheComposedFormula(Backend.kernels());
        try (var scalar = Backend.use(ScalarKernels.INSTANCE)) {
            leakyReluBitsEqualTheComposedFormula(Backend.kernels());
        }
    }

    private static void leakyReluBitsEqualTheComposedFormula(Kernels kernels) {
        float slope = 0.01f;
        float[] v = Tensor.randn(7, 2 * (1 << 14) + 37).toArray();
        float[] special = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE, 1e-40f};
        System.arraycopy(special, 0, v, 3, special.length);
        System.arraycopy(special, 0, v, v.length - special.length, special.length);
        Tensor x = Tensor.wrap(v, v.length), g = Tensor.randn(8, v.length);
        Var xv = Var.param(x);
        Var y = LeakyReLU.leakyRelu(xv, slope);
        Tensor r = x.relu();
        assertBitsEqual(r.add(x.sub(r).mul(slope)), y.value(), kernels);
        y.backward(g);
        Tensor pos = GradientOps.reluGrad(g, x);
        assertBitsEqual(pos.add(g.sub(pos).mul(slope)), xv.grad(), kernels);
    }

    private static void assertBitsEqual(Tensor expected, Tensor actual, Kernels kernels) {
        for (int i = 0; i < expected.size(); i++) {
            int e = Float.floatToRawIntBits(expected.at(i)), a = Float.floatToRawIntBits(actual.at(i));
            if (Float.isNaN(expected.at(i)) && Float.isNaN(actual.at(i))) continue;
            assertEquals(e, a, "element " + i + ": expected " + expected.at(i) + ", got " + actual.at(i) + " (" + kernels.name() + ")");
        }
    }

    @Property(tries = 20)
    void concatGradient(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int b = 1 + r.nextInt(2), d = NnTesting.odd(r), h = NnTesting.odd(r), w = NnTesting.odd(r);
        Tensor a = Tensor.randn(r.nextLong(), b, 1 + r.nextInt(3), d, h, w), c = Tensor.randn(r.nextLong(), b, 1 + r.nextInt(3), d, h, w);
        NnTesting.assertGrad("concat", v -> Skip.concatChannels(v[0], v[1]), a, c);
    }

    @Test
    void concatRejectsMismatchedVolumes() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Skip.concatChannels(Var.constant(Tensor.zeros(1, 2, 4, 4, 4)), Var.constant(Tensor.zeros(1, 2, 4, 4, 5))));
        assertTrue(e.getMessage().contains("parts[1]") && e.getMessage().contains("[1, 2, 4, 4, 5]"), e.getMessage());
    }

    @Test
    void dropoutScalesInTrainingIsSeededAndIsTheIdentityInEval() {
        Tensor x = Tensor.ones(1, 2, 10, 10, 10);
        Dropout d = new Dropout(0.25f, 9);
        Var xv = Var.param(x);
        Var y = d.forward(xv);
        float[] v = y.value().toArray();
        int kept = 0;
        for (float f : v) {
            assertTrue(f == 0f || Math.abs(f - 4f / 3f) < 1e-6f, "0 or 1/(1-p): " + f);
            if (f != 0f) kept++;
        }
        assertEquals(0.75, kept / 2000.0, 0.05);
        y.sum().backward();
        assertArrayEquals(v, xv.grad().toArray(), "dx = m / (1 - p)");
        assertArrayEquals(v, new Dropout(0.25f, 9).forward(Var.constant(x)).value().toArray(), "seeded");
        assertFalse(java.util.Arrays.equals(v, d.forward(Var.constant(x)).value().toArray()), "a fresh mask each step");
        d.eval();
        Var c = Var.constant(x);
        assertSame(c, d.forward(c));
        assertThrows(IllegalArgumentException.class, () -> new Dropout(1f, 0));
    }

    @Test
    void parametersAreNamedInAStableOrderAndModesPropagate() {
        Sequential net = new Sequential(new Conv3d(1, 2, 1), new InstanceNorm3d(2), new LeakyReLU(),
                new Sequential(new Conv3d(2, 2, false, 0.01f, 2), new BatchNorm3d(2)), new Dropout(0.1f, 3));
        assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias", "3.0.weight", "3.1.weight", "3.1.bias"),
                List.copyOf(net.namedParameters().keySet()));
        assertEquals(2 * 27 + 2 + 2 + 2 + 2 * 2 * 27 + 2 + 2, net.parameterCount());
        assertTrue(net.children().get("3").children().get("1").isTraining());
        net.eval();
        assertFalse(net.children().get("3").children().get("1").isTraining());
        net.train();
        Var y = net.forward(Var.constant(Tensor.randn(4, 2, 1, 3, 3, 3)));
        assertEquals(Shape.of(2, 2, 3, 3, 3), y.shape());
        y.square().sum().backward();
        for (Parameter p : net.parameters()) assertEquals(p.shape(), p.grad().shape(), p.name());
        net.zeroGrad();
        for (Parameter p : net.parameters()) assertNull(p.grad());
    }
}
