package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/** Known values of {@link FocalTverskyLoss}; each row says where its value came from. */
class FocalTverskyLossTest {
    static final Tensor E = TverskyLossTest.E_LOGITS;
    static final LabelTensor Y = TverskyLossTest.E_LABELS;

    static float value(Loss l, Tensor x, LabelTensor y) { return l.forward(Var.constant(x), y).item(); }

    @Test
    void exampleEDefaults() {   // example E (spec/reference-values.md), defaults (FP .3, FN .7, exponent .75, s 1e-5, per class, mean): float64 hand computation 0.457212
        assertEquals(0.4572125f, value(FocalTverskyLoss.create(), E, Y), 2e-6f);
    }

    @Test
    void exampleESegLossForm() {   // example E, SegLoss FocalTversky_loss (1 - mean TI(.3, .7, smooth 1))^0.75: float64 hand computation 0.300292
        assertEquals(0.3002921f, value(FocalTverskyLoss.segLossBuilder().build(), E, Y), 2e-6f);
    }

    @Test
    void powerIsAppliedPerClassBeforeTheMean() {   // paper Eq. 4 / smp #734: mean_c (1 - TI_c)^e, not (1 - mean TI)^e
        TverskyLoss tv = TverskyLoss.builder().alpha(0.3f).beta(0.7f).reduction(Reduction.NONE).build();
        float[] items = tv.forward(Var.constant(E), Y).value().toArray();
        double perClass = 0, mean = 0;
        for (float f : items) {
            perClass += Math.pow(f, 0.75) / items.length;
            mean += f / items.length;
        }
        FocalTverskyLoss pc = FocalTverskyLoss.create();
        FocalTverskyLoss mtp = FocalTverskyLoss.builder().form(FocalTverskyLoss.Form.MEAN_THEN_POWER).build();
        assertEquals(perClass, value(pc, E, Y), 2e-6);
        assertEquals(Math.pow(mean, 0.75), value(mtp, E, Y), 2e-6);
        assertNotEquals(value(pc, E, Y), value(mtp, E, Y), 1e-3f);
        // Eq. 4 sums over the classes: reduction SUM
        FocalTverskyLoss sum = FocalTverskyLoss.builder().reduction(Reduction.SUM).build();
        assertEquals(perClass * items.length, value(sum, E, Y), 1e-5);
    }

    @Test
    void halfHalfExponentOneIsTheDiceLoss() {   // spec/contract.md edge case 10: α = β = 0.5, exponent 1 -> Dice (smoothing doubled, see TverskyLoss)
        FocalTverskyLoss ft = FocalTverskyLoss.builder().alpha(0.5f).beta(0.5f).exponent(1f).smoothNr(1e-3f).smoothDr(1e-3f)
                .reduction(Reduction.NONE).build();
        DiceLoss dice = DiceLoss.builder().smoothNr(2e-3f).smoothDr(2e-3f).reduction(Reduction.NONE).build();
        assertArrayEquals(dice.forward(Var.constant(E), Y).value().toArray(), ft.forward(Var.constant(E), Y).value().toArray(), 1e-6f);
    }

    @Test
    void gradientIsFiniteAtAPerfectPrediction() {   // spec/contract.md edge case 10: TI = 1 with exponent < 1 (focal-tversky-unet #29)
        Tensor onehot = Y.oneHot(3);
        for (FocalTverskyLoss.Form form : FocalTverskyLoss.Form.values()) {
            for (float e : new float[] {0.25f, 0.75f}) {
                FocalTverskyLoss l = FocalTverskyLoss.builder().activation(Activation.NONE).exponent(e).form(form).build();
                Var p = Var.param(onehot);
                Var v = l.forward(p, Y);
                assertEquals(Math.pow(FocalTverskyLoss.MIN_BASE, e), v.item(), 1e-7, "the clamp's floor");
                v.backward();
                for (float g : p.grad().toArray()) assertTrue(Float.isFinite(g), form + " exponent " + e + ": gradient " + g);
            }
            // saturated logits: TI within float32 rounding of 1
            FocalTverskyLoss l = FocalTverskyLoss.builder().exponent(0.5f).form(form).build();
            Var z = Var.param(onehot.mul(40f).add(-20f));
            l.forward(z, Y).backward();
            for (float g : z.grad().toArray()) assertTrue(Float.isFinite(g), form + " saturated logits: gradient " + g);
        }
    }

    @Test
    void badArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FocalTverskyLoss.builder().exponent(0f));
        assertTrue(e.getMessage().startsWith("FocalTverskyLoss") && e.getMessage().contains("exponent")
                && e.getMessage().contains("> 0") && e.getMessage().contains("got 0.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FocalTverskyLoss.builder().exponent(Float.POSITIVE_INFINITY));
        assertTrue(e.getMessage().contains("Infinity"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FocalTverskyLoss.builder().beta(-1f));
        assertTrue(e.getMessage().contains("beta") && e.getMessage().contains("-1.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FocalTverskyLoss.builder().alpha(0f).beta(0f).build());
        assertTrue(e.getMessage().contains("both be 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FocalTverskyLoss.builder().smoothDr(0f).build());
        assertTrue(e.getMessage().contains("smoothDr") && e.getMessage().contains("got 0.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FocalTverskyLoss.builder()
                .form(FocalTverskyLoss.Form.MEAN_THEN_POWER).reduction(Reduction.NONE).build());
        assertTrue(e.getMessage().contains("reduction must be MEAN") && e.getMessage().contains("got NONE"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FocalTverskyLoss.builder()
                .form(FocalTverskyLoss.Form.MEAN_THEN_POWER).weight(1f, 2f, 3f).build());
        assertTrue(e.getMessage().contains("weight") && e.getMessage().contains("PER_CLASS"), e.getMessage());
    }
}
