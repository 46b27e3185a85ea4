package org.segloss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.segloss.autograd.GradCheck;
import org.segloss.autograd.Var;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;

/** The README's ten lines compile, run, and give a gradient that GradCheck accepts. */
class ReadmeExampleTest {
    static Var softDice(Var logits, Tensor onehot) {
        Var p = logits.softmax(1);
        Var inter = p.mul(onehot).sum(0, 2, 3, 4);
        Var denom = p.sum(0, 2, 3, 4).add(onehot.sum(new int[] {0, 2, 3, 4}, false));
        Var dice = inter.mul(2f).add(1e-5f).div(denom.add(1e-5f));
        return dice.rsub(1f).mean();
    }

    @Test
    void readmeExample() {
        Var logits = Var.param(Tensor.randn(42, 2, 4, 8, 8, 8));
        Tensor onehot = Tensor.rand(7, 2, 4, 8, 8, 8).argmax(1).oneHot(4);
        Var loss = softDice(logits, onehot);
        loss.backward();
        assertEquals(Shape.of(2, 4, 8, 8, 8), logits.grad().shape());
        assertTrue(loss.item() > 0.5f && loss.item() < 1f, "random logits: Dice loss near 0.75, got " + loss.item());
        Tensor small = Tensor.randn(1, 2, 3, 3, 2, 1);
        Tensor target = Tensor.rand(2, 2, 3, 3, 2, 1).argmax(1).oneHot(3);
        GradCheck.Report r = GradCheck.check(v -> softDice(v[0], target), small);
        assertTrue(r.passed(), r.toString());
    }
}
