package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.segloss.autograd.Var;
import org.segloss.loss.GeneralizedDiceLoss.Variant;
import org.segloss.loss.GeneralizedDiceLoss.WeightType;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;

/** Known values of {@link GeneralizedDiceLoss}; each row says where its value came from. */
class GeneralizedDiceLossTest {
    static final Tensor E = TverskyLossTest.E_LOGITS;
    static final LabelTensor Y = TverskyLossTest.E_LABELS;
    static final Tensor R4_INPUT = DiceLossTest.R4_INPUT;
    static final LabelTensor R4_LABELS = DiceLossTest.R4_LABELS;

    static float value(Loss l, Tensor x, LabelTensor y) { return l.forward(Var.constant(x), y).item(); }

    @Test
    void monaiSoftmaxR7() {   // R7 (spec/reference-values.md, MONAI test_generalized_dice_loss): none [0.273476, 0.555539]; mean 0.414507; sum 0.829015
        GeneralizedDiceLoss none = GeneralizedDiceLoss.builder().smooth(1e-4f).reduction(Reduction.NONE).build();
        Var v = none.forward(Var.constant(R4_INPUT), R4_LABELS);
        assertEquals(Shape.of(2), v.shape());
        assertArrayEquals(new float[] {0.273476f, 0.555539f}, v.value().toArray(), 2e-6f);
        assertEquals(0.414507f, value(GeneralizedDiceLoss.builder().smooth(1e-4f).build(), R4_INPUT, R4_LABELS), 2e-6f);
        assertEquals(0.829015f, value(GeneralizedDiceLoss.builder().smooth(1e-4f).reduction(Reduction.SUM).build(), R4_INPUT, R4_LABELS), 4e-6f);
    }

    @Test
    void monaiSigmoidR8() {   // R8 (MONAI test): 0.469964
        GeneralizedDiceLoss l = GeneralizedDiceLoss.builder().activation(Activation.SIGMOID).smooth(1e-4f).build();
        assertEquals(0.469964f, value(l, R4_INPUT, R4_LABELS), 2e-6f);
    }

    @Test
    void monaiSimpleWeightsR9() {   // R9 (MONAI test): simple weights, softmax, smoothing 0 -> 0.250023
        Tensor x = Tensor.of(new float[] {0, 10, 10, 10, 10, 0, 0, 0}, 1, 2, 1, 4);
        LabelTensor y = LabelTensor.of(new int[] {1, 1, 0, 0}, 1, 1, 4);
        GeneralizedDiceLoss l = GeneralizedDiceLoss.builder().weightType(WeightType.SIMPLE).smooth(0f).build();
        assertEquals(0.250023f, value(l, x, y), 2e-6f);
    }

    @Test
    void monaiAllClassesEmptyR10() {   // R10 (MONAI test): no background, every target background, s = 1e-8 -> 0.0, zero gradient
        Tensor probs = Tensor.of(new float[] {1, 1, 0, 0, 0, 1, /* b1 */ 1, 0, 1, 0, 1, 0}, 2, 2, 1, 3);
        GeneralizedDiceLoss l = GeneralizedDiceLoss.builder().activation(Activation.NONE).includeBackground(false).smooth(1e-8f).build();
        Var p = Var.param(probs);
        Var v = l.forward(p, LabelTensor.zeros(2, 1, 3));
        assertEquals(0f, v.item(), 0f, "all weights 0: 1 - s_n/s_d, despite the false positives");
        v.backward();
        for (float g : p.grad().toArray()) assertEquals(0f, g, 0f);
    }

    @Test
    void monaiNoBackgroundSmoothZeroPerfect() {   // MONAI test: include_background False, smoothing 0, perfect foreground -> 0.0
        Tensor probs = Tensor.of(new float[] {1, 1, 0, 0, 0, 1, /* b1 */ 1, 0, 1, 0, 1, 0}, 2, 2, 1, 3);
        LabelTensor y = LabelTensor.of(new int[] {0, 0, 1, 0, 1, 0}, 2, 1, 3);
        GeneralizedDiceLoss l = GeneralizedDiceLoss.builder().activation(Activation.NONE).includeBackground(false).smooth(0f).build();
        assertEquals(0f, value(l, probs, y), 1e-7f);
    }

    @Test
    void monaiSingleChannelEqualsDice() {   // MONAI test: 1 channel, sigmoid, s = 1e-6 -> 0.307576 (= Dice R1); B = 2, s = 1e-4 -> 0.416597
        GeneralizedDiceLoss l = GeneralizedDiceLoss.builder().activation(Activation.SIGMOID).smooth(1e-6f).build();
        assertEquals(0.307576f, l.forward(Var.constant(DiceLossTest.R1_INPUT), DiceLossTest.R1_TARGET).item(), 2e-6f);
        Tensor x2 = Tensor.concat(0, DiceLossTest.R1_INPUT, DiceLossTest.R1_INPUT);
        GeneralizedDiceLoss l2 = GeneralizedDiceLoss.builder().activation(Activation.SIGMOID).smooth(1e-4f).build();
        assertEquals(0.416597f, l2.forward(Var.constant(x2), TverskyLossTest.TANH_CASE_TARGET).item(), 2e-6f);
        // spec/contract.md edge case 6: one kept channel -> the weight cancels; exactly Dice for UNIFORM weights
        for (WeightType t : WeightType.values()) {
            GeneralizedDiceLoss g = GeneralizedDiceLoss.builder().activation(Activation.SIGMOID).weightType(t)
                    .smooth(t == WeightType.UNIFORM ? 1e-5f : 0f).reduction(Reduction.NONE).build();
            DiceLoss d = DiceLoss.builder().activation(Activation.SIGMOID).smoothNr(t == WeightType.UNIFORM ? 1e-5f : 1e-12f)
                    .smoothDr(t == WeightType.UNIFORM ? 1e-5f : 1e-12f).reduction(Reduction.NONE).build();
            assertArrayEquals(d.forward(Var.constant(x2), TverskyLossTest.TANH_CASE_TARGET).value().toArray(),
                    g.forward(Var.constant(x2), TverskyLossTest.TANH_CASE_TARGET).value().toArray(), 1e-6f, t.toString());
        }
    }

    @Test
    void monaiSoftLabelIdentityIsZero() {   // MONAI test soft_label case: 0.0
        Tensor t = Tensor.of(new float[] {0.3f, 0.4f, 0.7f, 0.9f, 1.0f, 0.1f, 0.5f, 0.3f}, 2, 1, 2, 2);
        GeneralizedDiceLoss l = GeneralizedDiceLoss.builder().activation(Activation.NONE).softLabel(true).smooth(1e-4f).build();
        assertEquals(0f, l.forward(Var.constant(t), t).item(), 1e-6f);
    }

    @Test
    void exampleEHandComputed() {   // example E, MONAI defaults: float64 hand computation [0.380567, 0.349244]; SegLoss -0.635096; LIVIAETS 1 + SegLoss
        GeneralizedDiceLoss none = GeneralizedDiceLoss.builder().reduction(Reduction.NONE).build();
        assertArrayEquals(new float[] {0.3805673f, 0.3492442f}, none.forward(Var.constant(E), Y).value().toArray(), 2e-6f);
        float seg = value(GeneralizedDiceLoss.builder().variant(Variant.SEGLOSS).build(), E, Y);
        assertEquals(-0.6350961f, seg, 2e-6f);
        assertEquals(1f + seg, value(GeneralizedDiceLoss.builder().variant(Variant.LIVIAETS).build(), E, Y), 1e-6f);
    }

    /** An imbalanced 1 x 2 x 4 x 4 volume: one foreground voxel, predicted half right, with two false positives. */
    static Tensor imbalancedProbs() {
        float[] fg = new float[16];
        fg[0] = 0.5f;
        fg[1] = 0.4f;
        fg[2] = 0.3f;
        float[] v = new float[32];
        for (int i = 0; i < 16; i++) {
            v[i] = 1f - fg[i];
            v[16 + i] = fg[i];
        }
        return Tensor.of(v, 1, 2, 4, 4);
    }

    @Test
    void weightsMatterOnAnImbalancedVolume() {   // MONAI #369 regression (spec/contract.md edge case 5): sum over classes, then divide
        Tensor p = imbalancedProbs();
        int[] lab = new int[16];
        lab[0] = 1;
        LabelTensor y = LabelTensor.of(lab, 1, 4, 4);
        // by hand: class 0: G = 15, I = Σ_{i>0} (1 - fg_i) = 15 - 0.7, P = 16 - 1.2; class 1: G = 1, I = 0.5, P = 1.2
        double w0 = 1 / 225.0, w1 = 1.0, s = 1e-5;
        double num = 2 * (w0 * 14.3 + w1 * 0.5) + s, den = w0 * (14.8 + 15) + w1 * (1.2 + 1) + s;
        float gdl = value(GeneralizedDiceLoss.builder().activation(Activation.NONE).build(), p, y);
        assertEquals(1 - num / den, gdl, 1e-6);
        float meanDice = value(DiceLoss.builder().activation(Activation.NONE).build(), p, y);
        assertTrue(Math.abs(gdl - meanDice) > 0.1, "GDL " + gdl + " must differ from mean Dice " + meanDice
                + " (weights cancel if each class is divided separately, #369)");
        // dividing per class and averaging (the #369 bug) gives back mean Dice
        double buggy = 1 - ((2 * 14.3 + s) / (29.8 + s) + (2 * 0.5 + s) / (2.2 + s)) / 2;
        assertEquals(buggy, meanDice, 1e-6);
    }

    @Test
    void absentClassGetsTheLargestFiniteWeightOfTheSample() {   // spec/losses/generalized-dice.md#empty-class-rule-decision (MONAI #371), spec/contract.md edge case 5
        // 1 x 3 x 1 x 4 probabilities; class 2 absent from the target but predicted (false positives)
        Tensor p = Tensor.of(new float[] {0.7f, 0.6f, 0.2f, 0.1f, /* c1 */ 0.2f, 0.2f, 0.7f, 0.6f, /* c2 */ 0.1f, 0.2f, 0.1f, 0.3f},
                1, 3, 1, 4);
        LabelTensor y = LabelTensor.of(new int[] {0, 0, 1, 0}, 1, 1, 4);
        double[] g = {3, 1, 0}, inter = {0.7 + 0.6 + 0.1, 0.7, 0}, pred = {1.6, 1.7, 0.7};
        double[] w = {1 / 9.0, 1.0, 1.0};   // 1/G², and the absent class takes max(1/9, 1) = 1
        double num = 1e-5, den = 1e-5;
        for (int c = 0; c < 3; c++) {
            num += 2 * w[c] * inter[c];
            den += w[c] * (pred[c] + g[c]);
        }
        Var x = Var.param(p);
        Var v = GeneralizedDiceLoss.builder().activation(Activation.NONE).build().forward(x, y);
        assertEquals(1 - num / den, v.item(), 1e-6);
        v.backward();
        for (float d : x.grad().toArray()) assertTrue(Float.isFinite(d), "finite gradient, got " + d);
        assertTrue(x.grad().at(8) > 0f, "false positives of the absent class are penalised");
    }

    @Test
    void batchPoolsWeightsAndStatistics() {   // spec/losses/generalized-dice.md#formula-monai-default: batch -> one value, weights from the pooled G
        GeneralizedDiceLoss b = GeneralizedDiceLoss.builder().batch(true).reduction(Reduction.NONE).build();
        Var v = b.forward(Var.constant(E), Y);
        assertEquals(0, v.shape().rank(), "a scalar with batch");
        // pooled E: G = (2, 3, 3); recomputed from TverskyLoss-style sums without autograd
        Tensor probs = E.softmax(1), onehot = Y.oneHot(3);
        double num = 1e-5, den = 1e-5;
        for (int c = 0; c < 3; c++) {
            double i = 0, pp = 0, gg = 0;
            for (int bi = 0; bi < 2; bi++) {
                for (int k = 0; k < 4; k++) {
                    int at = (bi * 3 + c) * 4 + k;
                    i += probs.at(at) * onehot.at(at);
                    pp += probs.at(at);
                    gg += onehot.at(at);
                }
            }
            num += 2 * i / (gg * gg);
            den += (pp + gg) / (gg * gg);
        }
        assertEquals(1 - num / den, v.item(), 1e-6);
    }

    @Test
    void badArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GeneralizedDiceLoss.builder().weight(1f, 2f).build());
        assertTrue(e.getMessage().startsWith("GeneralizedDiceLoss") && e.getMessage().contains("weight is not supported")
                && e.getMessage().contains("[1.0, 2.0]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GeneralizedDiceLoss.builder().variant(Variant.SEGLOSS_V2).build());
        assertTrue(e.getMessage().contains("batch must be true, got false"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GeneralizedDiceLoss.builder().variant(Variant.SEGLOSS_V2).batch(true).smooth(0f).build());
        assertTrue(e.getMessage().contains("smoothDr") && e.getMessage().contains("got 0.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GeneralizedDiceLoss.builder().weightType(null));
        assertTrue(e.getMessage().contains("weightType") && e.getMessage().contains("SQUARE"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GeneralizedDiceLoss.builder().smoothNr(-1f));
        assertTrue(e.getMessage().contains("smoothNr") && e.getMessage().contains(">= 0") && e.getMessage().contains("-1.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GeneralizedDiceLoss.create().forward(Var.constant(Tensor.zeros(2, 1, 2, 2)), LabelTensor.zeros(2, 2, 2)));
        assertTrue(e.getMessage().contains("SOFTMAX needs >= 2 channels"), e.getMessage());
    }
}
