package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;

/** Known values of {@link SensitivitySpecificityLoss}; each row says where its value came from. */
class SensitivitySpecificityLossTest {
    static final Tensor E = TverskyLossTest.E_LOGITS;
    static final LabelTensor Y = TverskyLossTest.E_LABELS;

    static float value(Loss l, Tensor x, LabelTensor y) { return l.forward(Var.constant(x), y).item(); }

    @Test
    void d7PerClassMean() {   // D7 (spec/reference-values.md): λ 0.05, ε 1e-5, background included, mean over (b, c) -> 0.044306
        assertEquals(0.044306f, value(SensitivitySpecificityLoss.create(), E, Y), 1e-6f);
    }

    @Test
    void d7NiftyNetForm() {   // D7 (spec/reference-values.md): NiftyNet form (sum over classes, mean over batch) -> 0.132918
        assertEquals(0.132918f, value(SensitivitySpecificityLoss.niftyNetBuilder().build(), E, Y), 1e-6f);
        Var none = SensitivitySpecificityLoss.niftyNetBuilder().reduction(Reduction.NONE).build().forward(Var.constant(E), Y);
        assertEquals(Shape.of(2), none.shape(), "one value per sample");
    }

    @Test
    void segLossForm() {   // example E, SegLoss SSLoss (r = 0.1, smooth 1, mean over items): float64 hand computation 0.0337329
        assertEquals(0.0337329f, value(SensitivitySpecificityLoss.segLossBuilder().build(), E, Y), 1e-6f);
    }

    @Test
    void perClassItemsByHand() {   // spec/losses/sensitivity-specificity.md#formula written out on a 1 x 2 x 1 x 4 probability map (hand-computed)
        Tensor p = Tensor.of(new float[] {0.9f, 0.6f, 0.3f, 0.2f, 0.1f, 0.4f, 0.7f, 0.8f}, 1, 2, 1, 4);
        LabelTensor y = LabelTensor.of(new int[] {0, 0, 1, 0}, 1, 1, 4);
        float lam = 0.3f, eps = 1e-5f;
        // class 1: positives {2}: (1 - 0.7)² / 1; negatives {0, 1, 3}: (0.01 + 0.16 + 0.64) / 3
        double c1 = lam * 0.09 / (1 + eps) + (1 - lam) * 0.81 / (3 + eps);
        // class 0: positives {0, 1, 3}: (0.01 + 0.16 + 0.64) / 3; negatives {2}: 0.09 / 1
        double c0 = lam * 0.81 / (3 + eps) + (1 - lam) * 0.09 / (1 + eps);
        SensitivitySpecificityLoss l = SensitivitySpecificityLoss.builder().activation(Activation.NONE).lambda(lam)
                .reduction(Reduction.NONE).build();
        assertArrayEquals(new float[] {(float) c0, (float) c1}, l.forward(Var.constant(p), y).value().toArray(), 1e-6f);
    }

    @Test
    void finiteWithNoPositivesOrNoNegatives() {   // spec/contract.md edge case 8: ε in both denominators
        Tensor p = Tensor.of(new float[] {0.9f, 0.6f, 0.3f, 0.2f, 0.1f, 0.4f, 0.7f, 0.8f}, 1, 2, 1, 4);
        LabelTensor allBackground = LabelTensor.zeros(1, 1, 4);   // class 0 has no negatives, class 1 no positives
        Var x = Var.param(p);
        Var v = SensitivitySpecificityLoss.builder().activation(Activation.NONE).reduction(Reduction.NONE).build().forward(x, allBackground);
        double neg = (0.01 + 0.16 + 0.49 + 0.64) / (4 + 1e-5);   // mean squared error of class 1 (all negatives), also class 0's positives
        assertArrayEquals(new float[] {(float) (0.05 * neg), (float) (0.95 * neg)}, v.value().toArray(), 1e-6f);
        v.sum().backward();
        for (float g : x.grad().toArray()) assertTrue(Float.isFinite(g), "gradient " + g);
    }

    @Test
    void ignoredVoxelsCountInNeitherTerm() {   // ignore: the voxel leaves both numerators and both denominators
        Tensor p = Tensor.of(new float[] {0.9f, 0.6f, 0.3f, 0.2f, 0.1f, 0.4f, 0.7f, 0.8f}, 1, 2, 1, 4);
        LabelTensor withIgnored = LabelTensor.of(new int[] {0, 0, 1, 255}, 1, 1, 4);
        Tensor cut = Tensor.of(new float[] {0.9f, 0.6f, 0.3f, 0.1f, 0.4f, 0.7f}, 1, 2, 1, 3);
        LabelTensor cutLabels = LabelTensor.of(new int[] {0, 0, 1}, 1, 1, 3);
        SensitivitySpecificityLoss l = SensitivitySpecificityLoss.builder().activation(Activation.NONE).ignoreIndex(255).build();
        assertEquals(value(l, cut, cutLabels), value(l, p, withIgnored), 1e-7f);
    }

    @Test
    void badArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SensitivitySpecificityLoss.builder().sensitivityWeight(1.5f));
        assertTrue(e.getMessage().startsWith("SensitivitySpecificityLoss") && e.getMessage().contains("sensitivityWeight")
                && e.getMessage().contains("[0, 1]") && e.getMessage().contains("1.5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SensitivitySpecificityLoss.builder().lambda(Float.NaN));
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SensitivitySpecificityLoss.builder().epsilon(0f));
        assertTrue(e.getMessage().contains("epsilon") && e.getMessage().contains("> 0") && e.getMessage().contains("got 0.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SensitivitySpecificityLoss.builder().form(null));
        assertTrue(e.getMessage().contains("SUM_OVER_CLASSES"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SensitivitySpecificityLoss.builder().weight(1f).build().forward(Var.constant(E), Y));
        assertTrue(e.getMessage().contains("weight") && e.getMessage().contains("got 1"), e.getMessage());
    }
}
