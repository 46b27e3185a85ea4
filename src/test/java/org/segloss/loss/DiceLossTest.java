package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/** Known values of {@link DiceLoss}; each row says where its value came from. */
class DiceLossTest {
    // MONAI tests/losses/test_dice_loss.py, also spec/reference-values.md R1-R3: B=1, C=1, 2x2, sigmoid
    static final Tensor R1_INPUT = Tensor.of(new float[] {1, -1, -1, 1}, 1, 1, 2, 2);
    static final Tensor R1_TARGET = Tensor.of(new float[] {1, 0, 1, 1}, 1, 1, 2, 2);
    // spec/reference-values.md R4/R5 (MONAI test case): B=2, C=2, S=3, written here as 1x3 images
    static final Tensor R4_INPUT = Tensor.of(new float[] {-1, 0, 1, 1, 0, -1, 0, 0, 0, 0, 0, 0}, 2, 2, 1, 3);
    static final LabelTensor R4_LABELS = LabelTensor.of(new int[] {1, 0, 0, 1, 1, 0}, 2, 1, 3);

    static float value(Loss loss, Tensor input, Tensor target) {
        return loss.forward(Var.constant(input), target).item();
    }

    @Test
    void monaiSigmoidSmooth1e6() {   // R1: MONAI test value 0.307576
        DiceLoss l = DiceLoss.builder().activation(Activation.SIGMOID).smoothNr(1e-6f).smoothDr(1e-6f).build();
        assertEquals(0.307576f, value(l, R1_INPUT, R1_TARGET), 1e-5f);
    }

    @Test
    void monaiSquaredPred() {        // R2: 0.178337 (MONAI test, default smoothing)
        DiceLoss l = DiceLoss.builder().activation(Activation.SIGMOID).squaredPred(true).build();
        assertEquals(0.178337f, value(l, R1_INPUT, R1_TARGET), 1e-5f);
    }

    @Test
    void monaiJaccard() {            // R3: 0.470451 (MONAI test, default smoothing)
        DiceLoss l = DiceLoss.builder().activation(Activation.SIGMOID).jaccard(true).build();
        assertEquals(0.470451f, value(l, R1_INPUT, R1_TARGET), 1e-5f);
    }

    @Test
    void monaiSoftmaxLabels() {      // R4: 0.383713 (MONAI test, smooth 1e-4, to_onehot_y)
        DiceLoss l = DiceLoss.builder().smoothNr(1e-4f).smoothDr(1e-4f).build();
        assertEquals(0.383713f, l.forward(Var.constant(R4_INPUT), R4_LABELS).item(), 1e-5f);
    }

    @Test
    void monaiSigmoidReductionNone() {   // R5: [[0.296529, 0.415136], [0.599976, 0.428559]] (MONAI test)
        DiceLoss l = DiceLoss.builder().activation(Activation.SIGMOID).smoothNr(1e-4f).smoothDr(1e-4f)
                .reduction(Reduction.NONE).build();
        Var v = l.forward(Var.constant(R4_INPUT), R4_LABELS);
        assertEquals(org.segloss.tensor.Shape.of(2, 2), v.shape());
        assertArrayEquals(new float[] {0.296529f, 0.415136f, 0.599976f, 0.428559f}, v.value().toArray(), 1e-5f);
    }

    @Test
    void emptyClassConventions() {   // spec/contract.md edge case 1 (derived by hand)
        Tensor probs = Tensor.of(new float[] {1, 1, 1, 1, 0, 0, 0, 0}, 1, 2, 2, 2);   // class 1 absent, predicted empty
        LabelTensor labels = LabelTensor.zeros(1, 2, 2);
        DiceLoss smoothed = DiceLoss.builder().activation(Activation.NONE).reduction(Reduction.NONE).build();
        assertArrayEquals(new float[] {0f, 0f}, smoothed.forward(Var.constant(probs), labels).value().toArray(), 1e-6f);
        DiceLoss noNumerator = DiceLoss.builder().activation(Activation.NONE).smoothNr(0f).reduction(Reduction.NONE).build();
        Var p = Var.param(probs);
        Var v = noNumerator.forward(p, labels);
        assertEquals(1f, v.value().at(1), 1e-6f, "smoothNr = 0: the empty class costs 1");
        v.slice(1, 1, 2).sum().backward();
        for (float g : p.grad().toArray()) assertEquals(0f, g, 0f, "... with zero gradient");
    }

    @Test
    void falsePositivesOnAnEmptyClassArePenalised() {   // spec/contract.md edge case 2: loss = 1 - s/(Σp + s)
        Tensor probs = Tensor.of(new float[] {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f}, 1, 2, 2, 2);
        DiceLoss l = DiceLoss.builder().activation(Activation.NONE).reduction(Reduction.NONE).build();
        float v = l.forward(Var.constant(probs), LabelTensor.zeros(1, 2, 2)).value().at(1);
        assertEquals(1f - 1e-5f / (2f + 1e-5f), v, 1e-6f);
    }

    @Test
    void perfectPredictionIsZeroAndDisjointIsAboutOne() {   // spec/contract.md edge case 3
        LabelTensor labels = LabelTensor.of(new int[] {0, 1, 1, 0}, 1, 2, 2);
        Tensor perfect = labels.oneHot(2);
        DiceLoss l = DiceLoss.builder().activation(Activation.NONE).build();
        assertEquals(0f, value(l, perfect, perfect), 0f);
        Tensor disjoint = LabelTensor.of(new int[] {1, 0, 0, 1}, 1, 2, 2).oneHot(2);
        assertEquals(1f, value(l, disjoint, perfect), 1e-5f);
    }

    @Test
    void batchDicePoolsTheStatistics() {   // spec/losses/dice.md#batch-dice: batch Dice = 1 - mean_c (2 I_c + s) / (P_c + G_c + s), hand-computed
        Tensor p = Tensor.of(new float[] {0.9f, 0.1f, 0.1f, 0.9f, /* b1 */ 0.6f, 0.4f, 0.4f, 0.6f}, 2, 2, 1, 2);
        LabelTensor y = LabelTensor.of(new int[] {0, 1, 0, 0}, 2, 1, 2);
        DiceLoss l = DiceLoss.builder().activation(Activation.NONE).batch(true).reduction(Reduction.NONE).build();
        float[] v = l.forward(Var.constant(p), y).value().toArray();
        // class 0: I = 0.9 + 0.6 + 0.4 = 1.9, P = 0.9+0.1+0.6+0.4 = 2.0, G = 3
        // class 1: I = 0.9, P = 0.1+0.9+0.4+0.6 = 2.0, G = 1
        float s = 1e-5f;
        assertArrayEquals(new float[] {1 - (3.8f + s) / (5f + s), 1 - (1.8f + s) / (3f + s)}, v, 1e-6f);
    }

    @Test
    void badArguments() {
        Var logits = Var.constant(Tensor.zeros(2, 3, 4, 4));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DiceLoss.create().forward(logits, LabelTensor.zeros(2, 4, 5)));
        assertTrue(e.getMessage().contains("[2, 4, 4]") && e.getMessage().contains("[2, 4, 5]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> DiceLoss.create().forward(logits, LabelTensor.of(new int[32], 2, 4, 4).eq(0).toFloat().reshape(2, 1, 4, 4)));
        assertTrue(e.getMessage().contains("one-hot target must have the input's shape"), e.getMessage());
        int[] bad = new int[32];
        bad[5] = 3;
        e = assertThrows(IllegalArgumentException.class, () -> DiceLoss.create().forward(logits, LabelTensor.of(bad, 2, 4, 4)));
        assertTrue(e.getMessage().contains("[0, 3)") && e.getMessage().contains("got 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> DiceLoss.builder().weight(1f, 2f).build().forward(logits, LabelTensor.zeros(2, 4, 4)));
        assertTrue(e.getMessage().contains("3") && e.getMessage().contains("got 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> DiceLoss.create().forward(Var.constant(Tensor.zeros(2, 1, 4, 4)), LabelTensor.zeros(2, 4, 4)));
        assertTrue(e.getMessage().contains("SOFTMAX needs >= 2 channels"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DiceLoss.builder().smoothDr(0f).build());
        assertTrue(e.getMessage().contains("smoothDr"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DiceLoss.builder().smoothNr(-1f));
        assertTrue(e.getMessage().contains("smoothNr") && e.getMessage().contains("-1"), e.getMessage());
        Tensor nan = Tensor.zeros(2, 3, 4, 4);
        nan.set(Float.NaN, 0, 0, 0, 0);
        e = assertThrows(IllegalArgumentException.class, () -> DiceLoss.create().forward(Var.constant(nan), LabelTensor.zeros(2, 4, 4)));
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DiceLoss.builder().activation(Activation.NONE).build()
                .forward(Var.constant(Tensor.full(2f, 2, 3, 4, 4)), LabelTensor.zeros(2, 4, 4)));
        assertTrue(e.getMessage().contains("probabilities"), e.getMessage());
        Tensor soft = LabelTensor.zeros(2, 4, 4).oneHot(3).mul(0.5f);
        e = assertThrows(IllegalArgumentException.class, () -> DiceLoss.create().forward(logits, soft));
        assertTrue(e.getMessage().contains("softLabel"), e.getMessage());
    }

    @Test
    void oneChannelSigmoidWithALabelMapSaysToPassAFloatMaskOrTwoChannels() {
        DiceLoss l = DiceLoss.builder().activation(Activation.SIGMOID).build();
        Tensor x = Tensor.randn(1, 2, 1, 3, 3);
        LabelTensor y = LabelTensor.of(new int[] {0, 1, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0, 0}, 2, 3, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> l.forward(Var.constant(x), y));
        assertTrue(e.getMessage().contains("one-channel SIGMOID input takes a float mask target [B, 1, *spatial] = [2, 1, 3, 3]")
                && e.getMessage().contains("C = 2 channels"), e.getMessage());
        // and the float mask it points to is accepted
        Tensor mask = y.toFloat().reshape(2, 1, 3, 3);
        assertTrue(Float.isFinite(l.forward(Var.constant(x), mask).item()));
    }
}
