package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/** Known values of {@link ExpLogLoss}; each row says where its value came from. */
class ExpLogLossTest {
    static final Tensor E = TverskyLossTest.E_LOGITS;
    static final LabelTensor Y = TverskyLossTest.E_LABELS;

    static float value(Loss l, Tensor x, LabelTensor y) { return l.forward(Var.constant(x), y).item(); }

    @Test
    void d10PaperForm() {   // D10 (spec/reference-values.md): paper form on E -> total 0.857005, L_Dice 0.736350, L_Cross 1.339624
        assertEquals(0.857005f, value(ExpLogLoss.create(), E, Y), 2e-6f);
        assertEquals(0.736350f, value(ExpLogLoss.builder().weightDice(1f).weightCross(0f).build(), E, Y), 2e-6f);
        assertEquals(1.339624f, value(ExpLogLoss.builder().weightDice(0f).weightCross(1f).build(), E, Y), 4e-6f);
    }

    @Test
    void segLossForm() {   // example E, SegLoss ExpLog_loss (smooth 1, per-sample Dice, γ .3, unweighted CE): float64 hand computation 0.652427
        assertEquals(0.6524266f, value(ExpLogLoss.segLossBuilder().build(), E, Y), 2e-6f);
    }

    @Test
    void gammaOneWithUnitWeightsIsDiceLossPlusCrossEntropy() {   // spec/losses/exp-log.md: γ = 1 -> linear terms; hand-checked against the softmax of E
        Tensor p = E.softmax(1);
        double ce = 0;
        for (int b = 0; b < 2; b++) {
            for (int i = 0; i < 4; i++) ce -= Math.log(p.at((b * 3 + Y.at(b * 4 + i)) * 4 + i)) / 8;
        }
        ExpLogLoss l = ExpLogLoss.builder().gamma(1f).weightDice(0f).weightCross(1f).ceWeight(1f, 1f, 1f).build();
        assertEquals(ce, value(l, E, Y), 2e-6);
        // Dice part with γ = 1: mean_l -ln D_l, D pooled with ε = 1 (MONAI DiceLoss with batch, smoothing 1, gives 1 - D_l)
        float[] oneMinusD = DiceLoss.builder().batch(true).smoothNr(1f).smoothDr(1f).reduction(Reduction.NONE).build()
                .forward(Var.constant(E), Y).value().toArray();
        double dice = 0;
        for (float f : oneMinusD) dice -= Math.log(1 - f) / 3;
        assertEquals(dice, value(ExpLogLoss.builder().gamma(1f).weightDice(1f).weightCross(0f).build(), E, Y), 2e-6);
    }

    @Test
    void finiteGradientAtAPerfectPrediction() {   // spec/contract.md edge case 9 / spec/losses/exp-log.md#clamps-decision: D -> 1 and p -> 1 with γ < 1
        Tensor onehot = Y.oneHot(3);
        for (ExpLogLoss.Form form : ExpLogLoss.Form.values()) {
            ExpLogLoss probs = ExpLogLoss.builder().form(form).activation(Activation.NONE).build();
            Var p = Var.param(onehot);
            Var v = probs.forward(p, Y);
            assertTrue(Float.isFinite(v.item()), form + ": value " + v.item());
            v.backward();
            for (float g : p.grad().toArray()) assertTrue(Float.isFinite(g), form + ": gradient " + g);
            Var z = Var.param(onehot.mul(40f).add(-20f));
            ExpLogLoss.builder().form(form).build().forward(z, Y).backward();
            for (float g : z.grad().toArray()) assertTrue(Float.isFinite(g), form + " saturated logits: gradient " + g);
        }
        // the clamp's floor: every -ln term is MIN_LOG, so L = (0.8 + 0.2 mean_x w_y) MIN_LOG^γ; E's counts (2, 3, 3) of 8
        double meanW = (2 * Math.sqrt(8 / 2.0) + 3 * Math.sqrt(8 / 3.0) + 3 * Math.sqrt(8 / 3.0)) / 8;
        double floor = Math.pow(ExpLogLoss.MIN_LOG, 0.3);
        assertEquals((0.8 + 0.2 * meanW) * floor, value(ExpLogLoss.builder().activation(Activation.NONE).build(), onehot, Y), 1e-6);
    }

    @Test
    void absentLabelIsLookedUpNotMultiplied() {   // spec/losses/exp-log.md: f_l = 0 -> w_l = ∞ must never meet a 0 of the one-hot
        LabelTensor noClass2 = LabelTensor.of(new int[] {0, 1, 1, 1, /* b1 */ 1, 1, 0, 0}, 2, 2, 2);
        Var z = Var.param(E);
        Var v = ExpLogLoss.builder().gamma(1f).weightDice(0f).weightCross(1f).build().forward(z, noClass2);
        // counts: class 0: 3, class 1: 5 of 8 -> w = sqrt(8/3), sqrt(8/5); mean_x w_y (-ln p_y)
        Tensor p = E.softmax(1);
        double expected = 0;
        for (int b = 0; b < 2; b++) {
            for (int i = 0; i < 4; i++) {
                int y = noClass2.at(b * 4 + i);
                expected -= Math.sqrt(8.0 / (y == 0 ? 3 : 5)) * Math.log(p.at((b * 3 + y) * 4 + i)) / 8;
            }
        }
        assertEquals(expected, v.item(), 2e-6);
        v.backward();
        for (float g : z.grad().toArray()) assertTrue(Float.isFinite(g), "gradient " + g);
        // the Dice term of the absent, hardly predicted label stays finite too (ε = 1)
        assertTrue(Float.isFinite(value(ExpLogLoss.create(), E, noClass2)));
    }

    @Test
    void diceNearZeroStaysFinite() {   // spec/contract.md edge case 9: a disjoint prediction with a tiny ε: -ln D large but finite
        Tensor wrong = LabelTensor.of(new int[] {1, 2, 0, 0, /* b1 */ 2, 0, 1, 1}, 2, 2, 2).oneHot(3);
        Var p = Var.param(wrong);
        Var v = ExpLogLoss.builder().activation(Activation.NONE).epsilon(1e-6f).build().forward(p, Y);
        assertTrue(Float.isFinite(v.item()) && v.item() > 1f, "value " + v.item());
        v.backward();
        for (float g : p.grad().toArray()) assertTrue(Float.isFinite(g), "gradient " + g);
    }

    @Test
    void badArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ExpLogLoss.builder().activation(Activation.SIGMOID).build());
        assertTrue(e.getMessage().startsWith("ExpLogLoss") && e.getMessage().contains("SOFTMAX or NONE") && e.getMessage().contains("got SIGMOID"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ExpLogLoss.builder().reduction(Reduction.NONE).build());
        assertTrue(e.getMessage().contains("reduction must be MEAN") && e.getMessage().contains("got NONE"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ExpLogLoss.builder().weight(1f, 1f, 1f).build());
        assertTrue(e.getMessage().contains("ceWeight"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ExpLogLoss.builder().softLabel(true).build());
        assertTrue(e.getMessage().contains("softLabel must be false"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ExpLogLoss.builder().gamma(0f));
        assertTrue(e.getMessage().contains("gammaDice") && e.getMessage().contains("> 0") && e.getMessage().contains("got 0.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ExpLogLoss.builder().epsilon(0f));
        assertTrue(e.getMessage().contains("epsilon") && e.getMessage().contains("got 0.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ExpLogLoss.builder().ceWeight(1f, -1f));
        assertTrue(e.getMessage().contains("ceWeight") && e.getMessage().contains("-1.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ExpLogLoss.builder().ceWeight(1f, 1f).build().forward(Var.constant(E), Y));
        assertTrue(e.getMessage().contains("ceWeight must have one entry per class (C = 3") && e.getMessage().contains("got 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ExpLogLoss.builder().weightCross(-0.2f));
        assertTrue(e.getMessage().contains("weightCross"), e.getMessage());
    }
}
