package org.segloss.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.segloss.autograd.Var;
import org.segloss.tensor.Tensor;

/** SGD and AdamW against steps computed by hand from the formulas; the schedules; bad arguments. */
class OptimizerTest {

    /** A parameter p = [1, -2] whose loss 0.5 p + 1 p' gives the fixed gradient g = [0.5, 1]. */
    private static Parameter param() {
        return new Parameter("p", Tensor.of(new float[] {1f, -2f}, 2));
    }

    private static void backward(Parameter p) {
        p.var().mul(Tensor.of(new float[] {0.5f, 1f}, 2)).sum().backward();
    }

    private static float[] run(Optimizer opt, Parameter p, int steps) {
        for (int s = 0; s < steps; s++) {
            opt.zeroGrad();
            backward(p);
            opt.step();
        }
        return p.value().toArray();
    }

    @Test
    void sgdWithMomentumAndWeightDecay() {
        // step 1: g = [0.5, 1] + 0.1 [1, -2] = [0.6, 0.8]; b = g; p = p - 0.1 b = [0.94, -2.08]
        Parameter p = param();
        assertArrayEquals(new float[] {0.94f, -2.08f}, run(new SGD(List.of(p), 0.1f, 0.9f, false, 0.1f), p, 1), 1e-6f);
        // step 2: g = [0.5, 1] + 0.1 [0.94, -2.08] = [0.594, 0.792]; b = 0.9 [0.6, 0.8] + g = [1.134, 1.512]
        Parameter q = param();
        assertArrayEquals(new float[] {0.8266f, -2.2312f}, run(new SGD(List.of(q), 0.1f, 0.9f, false, 0.1f), q, 2), 1e-6f);
    }

    @Test
    void sgdNesterov() {
        // step 1: g = [0.6, 0.8], b = g, g' = g + 0.9 b = [1.14, 1.52]; p = [0.886, -2.152]
        // step 2: g = [0.5886, 0.7848], b = [1.1286, 1.5048], g' = [1.60434, 2.13912]; p = [0.725566, -2.365912]
        Parameter p = param();
        assertArrayEquals(new float[] {0.725566f, -2.365912f}, run(new SGD(List.of(p), 0.1f, 0.9f, true, 0.1f), p, 2), 1e-6f);
        Parameter q = param();
        assertArrayEquals(new float[] {0.95f, -2.1f}, run(new SGD(List.of(q), 0.1f), q, 1), 1e-7f, "plain SGD");
    }

    @Test
    void adamW() {
        // step 1: p = [1, -2] (1 - 0.1 * 0.01) = [0.999, -1.998]; m^ = g, v^ = g^2, so the step is lr sign(g):
        // p = [0.899, -2.098]. Step 2: the same again after decay: [0.899, -2.098] * 0.999 - 0.1 = [0.798101, -2.195902]
        Parameter p = param();
        AdamW opt = new AdamW(List.of(p), 0.1f);
        assertArrayEquals(new float[] {0.899f, -2.098f}, run(opt, p, 1), 1e-6f);
        assertArrayEquals(new float[] {0.798101f, -2.195902f}, run(opt, p, 1), 1e-6f);
        assertEquals(2, opt.steps());
    }

    @Test
    void parametersWithoutGradientAreSkipped() {
        Parameter a = param(), b = param();
        SGD opt = new SGD(List.of(a, b), 0.1f);
        backward(a);
        opt.step();
        assertArrayEquals(new float[] {1f, -2f}, b.value().toArray());
    }

    @Test
    void schedules() {
        LrSchedule poly = LrSchedule.poly(0.01f, 1000);
        assertEquals(0.01f, poly.lr(0), 1e-9f);
        assertEquals(0.01 * Math.pow(0.5, 0.9), poly.lr(500), 1e-8);
        assertEquals(0f, poly.lr(1000), 1e-9f);
        LrSchedule cos = LrSchedule.cosine(0.1f, 100, 0f);
        assertEquals(0.1f, cos.lr(0), 1e-7f);
        assertEquals(0.05f, cos.lr(50), 1e-7f);
        assertEquals(0f, cos.lr(100), 1e-7f);
        var e = assertThrows(IllegalArgumentException.class, () -> poly.lr(1001));
        assertTrue(e.getMessage().contains("epoch") && e.getMessage().contains("1001"), e.getMessage());
    }

    @Test
    void badArguments() {
        var e = assertThrows(IllegalArgumentException.class, () -> new SGD(List.of(param()), 0.1f, 0f, true, 0f));
        assertTrue(e.getMessage().startsWith("SGD: nesterov"), e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> new AdamW(List.of(param()), 0.1f, 1f, 0.999f, 1e-8f, 0f));
        assertTrue(e2.getMessage().startsWith("AdamW: beta1") && e2.getMessage().contains("got 1.0"), e2.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new SGD(List.of(), 0.1f));
    }
}
