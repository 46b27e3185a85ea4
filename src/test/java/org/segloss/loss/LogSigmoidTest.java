package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.segloss.autograd.GradCheck;
import org.segloss.autograd.Var;
import org.segloss.tensor.Tensor;

/** The log-sigmoid node used by the sigmoid losses. */
class LogSigmoidTest {
    @Test
    void valuesAndSlopeByHand() {   // log σ(x) = -log(1 + e^-x); slope σ(-x), 1/2 at x = 0 (no kink)
        float[] xs = {-1e4f, -30f, -1f, 0f, 1f, 30f, 1e4f};
        Var x = Var.param(Tensor.of(xs, xs.length));
        Var y = LogSigmoid.of(x);
        y.sum().backward();
        for (int i = 0; i < xs.length; i++) {
            double v = xs[i];
            double expected = v < 0 ? v - Math.log1p(Math.exp(v)) : -Math.log1p(Math.exp(-v));
            assertEquals(expected, y.value().at(i), 1e-6 * Math.max(1, Math.abs(expected)), "value at " + v);
            assertEquals(1 / (1 + Math.exp(v)), x.grad().at(i), 1e-7, "slope at " + v);
        }
        assertEquals(0.5f, x.grad().at(3), 0f);
    }

    @Test
    void gradientAgreesWithTheChecker() {
        Tensor x = Tensor.randn(7, 3, 5).mul(4f);
        GradCheck.Report r = GradCheck.check(v -> LogSigmoid.of(v[0]), GradCheck.DEFAULTS, x);
        assertTrue(r.passed(), r.toString());
    }
}
