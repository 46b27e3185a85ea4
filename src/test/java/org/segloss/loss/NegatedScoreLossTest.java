package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

class NegatedScoreLossTest {
    @Test
    void isMinusTheMeanDiceWithTheSameGradient() {
        Tensor x = Tensor.randn(1, 2, 3, 3, 3);
        LabelTensor y = LabelTensor.randomLabels(2, 3, 2, 3, 3);
        DiceLoss dice = DiceLoss.builder().smoothNr(1f).smoothDr(1f).build();
        Var a = Var.param(x), b = Var.param(x);
        Var d = dice.forward(a, y), n = NegatedScoreLoss.of(dice).forward(b, y);
        // -mean(dc) with dc = (2I + 1)/(P + G + 1), SegLoss SoftDiceLoss's value; the items are f = 1 - dc
        Var f = DiceLoss.builder().smoothNr(1f).smoothDr(1f).reduction(Reduction.NONE).build().forward(Var.constant(x), y);
        float meanDc = 1f - f.value().mean().item();
        assertEquals(-meanDc, n.item(), 1e-6f);
        assertEquals(d.item() - 1f, n.item(), 1e-6f);
        d.backward();
        n.backward();
        assertTrue(a.grad().maxAbsDiff(b.grad()) == 0f);
    }
}
