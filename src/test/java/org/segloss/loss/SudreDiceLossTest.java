package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/** Known values of {@link SudreDiceLoss}; each row says where its value came from. */
class SudreDiceLossTest {
    static final Tensor E = TverskyLossTest.E_LOGITS;
    static final LabelTensor Y = TverskyLossTest.E_LABELS;

    static float value(Loss l, Tensor x, LabelTensor y) { return l.forward(Var.constant(x), y).item(); }

    /** 1 x 2 x 1 x 4: background / foreground probabilities of a small binary image. */
    static Tensor twoChannel(float... fg) {
        float[] v = new float[2 * fg.length];
        for (int i = 0; i < fg.length; i++) {
            v[i] = 1f - fg[i];
            v[fg.length + i] = fg[i];
        }
        return Tensor.of(v, 1, 2, 1, fg.length);
    }

    @Test
    void exampleEOneVersusRest() {   // example E, foreground channel 1 (then 2) vs the rest, ε 1e-5: float64 hand computation of spec/losses/sudre-dice.md#formula
        SudreDiceLoss fg1 = SudreDiceLoss.builder().reduction(Reduction.NONE).build();
        assertArrayEquals(new float[] {0.3302314f, 0.3424258f}, fg1.forward(Var.constant(E), Y).value().toArray(), 2e-6f);
        assertEquals(0.3363286f, value(SudreDiceLoss.create(), E, Y), 2e-6f);
        SudreDiceLoss fg2 = SudreDiceLoss.builder().foregroundChannel(2).reduction(Reduction.NONE).build();
        assertArrayEquals(new float[] {0.2756478f, 0.2067304f}, fg2.forward(Var.constant(E), Y).value().toArray(), 2e-6f);
    }

    @Test
    void handComputedBinary() {   // spec/losses/sudre-dice.md#formula on p = (0.8, 0.6, 0.3, 0.1), r = (1, 1, 0, 0), ε = 1e-5
        double eps = 1e-5;
        double i1 = 0.8 + 0.6, s1 = 1.8 + 2, i0 = 0.7 + 0.9, s0 = (4 - 1.8) + 2;
        double expected = 1 - (i1 + eps) / (s1 + eps) - (i0 + eps) / (s0 + eps);
        LabelTensor y = LabelTensor.of(new int[] {1, 1, 0, 0}, 1, 1, 4);
        SudreDiceLoss l = SudreDiceLoss.builder().activation(Activation.NONE).build();
        assertEquals(expected, value(l, twoChannel(0.8f, 0.6f, 0.3f, 0.1f), y), 1e-6);
        // no factor 2: for ε -> 0 it is 1 - (D_fg + D_bg)/2, i.e. MONAI's mean Dice loss over the two classes
        DiceLoss dice = DiceLoss.builder().activation(Activation.NONE).smoothNr(1e-9f).smoothDr(1e-9f).build();
        SudreDiceLoss tiny = SudreDiceLoss.builder().activation(Activation.NONE).epsilon(1e-9f).build();
        assertEquals(value(dice, twoChannel(0.8f, 0.6f, 0.3f, 0.1f), y), value(tiny, twoChannel(0.8f, 0.6f, 0.3f, 0.1f), y), 1e-6f);
    }

    @Test
    void softmaxTwoChannelsEqualsSigmoidOneChannel() {   // the foreground of softmax(z0, z1) is sigmoid(z1 - z0)
        Tensor z = E.slice(1, 0, 2);                           // [2, 2, 2, 2]
        Tensor diff = z.slice(1, 1, 2).sub(z.slice(1, 0, 1));   // [2, 1, 2, 2]
        LabelTensor y = LabelTensor.of(new int[] {0, 1, 1, 1, /* b1 */ 1, 1, 0, 0}, 2, 2, 2);
        float softmax = value(SudreDiceLoss.create(), z, y);
        Tensor binary = y.eq(1).toFloat().reshape(2, 1, 2, 2);   // a one-channel target is a binary map [B, 1, *spatial]
        float sigmoid = SudreDiceLoss.builder().activation(Activation.SIGMOID).build().forward(Var.constant(diff), binary).item();
        assertEquals(softmax, sigmoid, 1e-6f);
    }

    @Test
    void emptyForegroundDiscontinuity() {   // spec/losses/sudre-dice.md#discontinuity-kept-documented-tested: empty/empty -> ≈ -1/2; any prediction with Σp >> ε -> ≈ +1/2
        LabelTensor empty = LabelTensor.zeros(1, 1, 4);
        SudreDiceLoss l = SudreDiceLoss.builder().activation(Activation.NONE).build();
        double eps = 1e-5, n = 4;
        float atZero = value(l, twoChannel(0f, 0f, 0f, 0f), empty);
        assertEquals(1 - 1 - (n + eps) / (2 * n + eps), atZero, 1e-6, "first ratio ε/ε = 1");
        assertTrue(atZero < -0.49f, "a negative value, as printed: " + atZero);
        float small = value(l, twoChannel(0.01f, 0.01f, 0.01f, 0.01f), empty);
        double expected = 1 - eps / (0.04 + eps) - (3.96 + eps) / (7.96 + eps);
        assertEquals(expected, small, 1e-6);
        assertTrue(small > 0.49f, "a jump of about 1 for 1% false positives: " + small);
        // a non-empty perfect match gives ≈ 0 (each ratio ≈ 1/2)
        LabelTensor y = LabelTensor.of(new int[] {1, 0, 0, 0}, 1, 1, 4);
        assertEquals(0f, value(l, twoChannel(1f, 0f, 0f, 0f), y), 1e-5f);
    }

    @Test
    void badArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SudreDiceLoss.builder().includeBackground(false).build());
        assertTrue(e.getMessage().startsWith("SudreDiceLoss") && e.getMessage().contains("includeBackground must be true")
                && e.getMessage().contains("got false"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SudreDiceLoss.builder().weight(1f, 1f).build());
        assertTrue(e.getMessage().contains("weight") && e.getMessage().contains("[1.0, 1.0]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SudreDiceLoss.builder().epsilon(-1f));
        assertTrue(e.getMessage().contains("epsilon") && e.getMessage().contains("> 0") && e.getMessage().contains("-1.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SudreDiceLoss.builder().foregroundChannel(-1));
        assertTrue(e.getMessage().contains("foregroundChannel") && e.getMessage().contains(">= 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SudreDiceLoss.builder().foregroundChannel(3).build().forward(Var.constant(E), Y));
        assertTrue(e.getMessage().contains("foregroundChannel must be < C = 3") && e.getMessage().contains("got 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SudreDiceLoss.create().forward(Var.constant(Tensor.zeros(1, 1, 2, 2)), LabelTensor.zeros(1, 2, 2)));
        assertTrue(e.getMessage().contains("SOFTMAX needs >= 2 channels") && e.getMessage().contains("SIGMOID"), e.getMessage());
    }
}
