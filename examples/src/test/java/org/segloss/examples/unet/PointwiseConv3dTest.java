package org.segloss.examples.unet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.segloss.autograd.GradCheck;
import org.segloss.autograd.Var;
import org.segloss.tensor.Tensor;

class PointwiseConv3dTest {

    @Test
    void forwardMatchesADirectSumOverChannels() {
        int b = 2, cin = 3, cout = 5, d = 2, h = 3, w = 4, v = d * h * w;
        PointwiseConv3d conv = new PointwiseConv3d(cin, cout, 0.01f, 7);
        conv.bias().value().addi(Tensor.randn(8, cout));
        Tensor x = Tensor.randn(9, b, cin, d, h, w);
        float[] y = conv.forward(Var.constant(x)).value().toArray();
        assertEquals(b * cout * v, y.length);
        float[] xs = x.toArray(), ws = conv.weight().value().toArray(), bs = conv.bias().value().toArray();
        for (int n = 0; n < b; n++) {
            for (int o = 0; o < cout; o++) {
                for (int p = 0; p < v; p++) {
                    double e = bs[o];
                    for (int i = 0; i < cin; i++) e += (double) ws[o * cin + i] * xs[(n * cin + i) * v + p];
                    float a = y[(n * cout + o) * v + p];
                    assertTrue(Math.abs(a - e) <= 1e-5 * Math.max(1, Math.abs(e)), "y at " + n + "," + o + "," + p + ": " + a + " vs " + e);
                }
            }
        }
    }

    @Test
    void gradCheckOfInputWeightAndBias() {
        Tensor x = Tensor.randn(1, 2, 3, 2, 3, 1), w = Tensor.randn(2, 2, 3, 1, 1, 1), b = Tensor.randn(3, 2);
        GradCheck.Report r = GradCheck.check(v -> PointwiseConv3d.pointwiseConv3d(v[0], v[1], v[2]), x, w, b);
        assertTrue(r.passed(), r::toString);
        GradCheck.Report nb = GradCheck.check(v -> PointwiseConv3d.pointwiseConv3d(v[0], v[1], null), x, w);
        assertTrue(nb.passed(), nb::toString);
    }

    @Test
    void gradCheckOnALargerShapeInDirectionalMode() {
        Tensor x = Tensor.randn(4, 2, 4, 4, 4, 3), w = Tensor.randn(5, 3, 4, 1, 1, 1), b = Tensor.randn(6, 3);
        GradCheck.Report r = GradCheck.check(v -> PointwiseConv3d.pointwiseConv3d(v[0], v[1], v[2]),
                GradCheck.DEFAULTS.withFullLimit(0), x, w, b);
        assertTrue(r.passed(), r::toString);
        assertTrue(r.mode().contains("direction"), r.mode());
    }

    @Test
    void badArguments() {
        assertThrows(IllegalArgumentException.class, () -> new PointwiseConv3d(0, 2, 0f, 1));
        assertThrows(IllegalArgumentException.class, () -> new PointwiseConv3d(2, 0, 0f, 1));
        PointwiseConv3d c = new PointwiseConv3d(2, 3, 0f, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> c.forward(Var.constant(Tensor.zeros(1, 3, 2, 2, 2))));
        assertTrue(e.getMessage().contains("PointwiseConv3d") && e.getMessage().contains("[1, 3, 2, 2, 2]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> c.forward(Var.constant(Tensor.zeros(2, 2, 2, 2))));
        assertThrows(IllegalArgumentException.class, () -> PointwiseConv3d.pointwiseConv3d(
                Var.constant(Tensor.zeros(1, 2, 1, 1, 1)), Var.constant(Tensor.zeros(3, 2, 1, 1, 1)), Var.constant(Tensor.zeros(2))));
    }
}
