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

/** Known values of {@link TverskyLoss}; each row says where its value came from. */
class TverskyLossTest {
    // spec/reference-values.md, example E: logits B=2, C=3, 2x2 and labels (used by the overlap-loss tests)
    static final Tensor E_LOGITS = Tensor.of(new float[] {
        2.0f, 0.5f, 0.1f, -1.0f, /* c1 */ 0.3f, 1.5f, 0.2f, 0.4f, /* c2 */ -0.5f, 0.0f, 1.2f, 0.8f,
        /* b1 */ 0.0f, 0.0f, 1.0f, -2.0f, /* c1 */ 1.0f, 0.5f, 0.0f, 0.3f, /* c2 */ 0.5f, -1.0f, -1.0f, 2.0f}, 2, 3, 2, 2);
    static final LabelTensor E_LABELS = LabelTensor.of(new int[] {0, 1, 2, 2, /* b1 */ 1, 1, 0, 2}, 2, 2, 2);

    // MONAI tests/losses/test_tversky_loss.py inputs: R1 (B=1, C=1, 2x2) and R4 (B=2, C=2, S=3 as 1x3)
    static final Tensor R1_INPUT = DiceLossTest.R1_INPUT;
    static final Tensor R1_TARGET = DiceLossTest.R1_TARGET;
    static final Tensor R4_INPUT = DiceLossTest.R4_INPUT;
    static final LabelTensor R4_LABELS = DiceLossTest.R4_LABELS;
    static final Tensor TANH_CASE_TARGET = Tensor.of(new float[] {1, 1, 1, 1, 1, 0, 1, 0}, 2, 1, 2, 2);

    static float value(Loss loss, Tensor input, LabelTensor target) {
        return loss.forward(Var.constant(input), target).item();
    }

    static float value(Loss loss, Tensor input, Tensor target) {
        return loss.forward(Var.constant(input), target).item();
    }

    @Test
    void monaiSigmoidSmooth1e6() {   // MONAI test_tversky_loss case 1: 0.307576 (alpha = beta = 0.5 = Dice, cf. R1)
        TverskyLoss l = TverskyLoss.builder().activation(Activation.SIGMOID).smoothNr(1e-6f).smoothDr(1e-6f).build();
        assertEquals(0.307576f, value(l, R1_INPUT, R1_TARGET), 1e-5f);
    }

    /**
     * MONAI's Tversky tests assert with rtol 1e-4 and several expected values were carried over
     * from the Dice tests (whose smoothing enters differently): they hold only to that tolerance.
     * Such rows check MONAI's value at rtol 1e-4 and the float64 recomputation of spec/losses/tversky.md#formula at 2e-6.
     */
    static void monaiAndExact(float monai, double exact, float actual) {
        assertEquals(monai, actual, 1e-4f * Math.abs(monai), "MONAI test value (rtol 1e-4)");
        assertEquals(exact, actual, 2e-6, "float64 recomputation");
    }

    @Test
    void monaiSigmoidBatchOfTwo() {  // MONAI test_tversky_loss case 2: 0.416657 (rtol 1e-4); exact 0.4166486
        Tensor x = Tensor.concat(0, R1_INPUT, R1_INPUT);
        TverskyLoss l = TverskyLoss.builder().activation(Activation.SIGMOID).smoothNr(1e-4f).smoothDr(1e-4f).build();
        monaiAndExact(0.416657f, 0.4166486, value(l, x, TANH_CASE_TARGET));
    }

    @Test
    void monaiAlphaBetaAsymmetric() {   // MONAI test_tversky_loss: alpha .3 / beta .7 -> 0.3589 (exact 0.3588671); .7 / .3 -> 0.247366
        TverskyLoss fnHeavy = TverskyLoss.builder().activation(Activation.SIGMOID).alpha(0.3f).beta(0.7f)
                .smoothNr(1e-6f).smoothDr(1e-6f).build();
        monaiAndExact(0.3589f, 0.3588671, value(fnHeavy, R1_INPUT, R1_TARGET));
        TverskyLoss fpHeavy = TverskyLoss.builder().activation(Activation.SIGMOID).weightFP(0.7f).weightFN(0.3f)
                .smoothNr(1e-6f).smoothDr(1e-6f).build();
        assertEquals(0.247366f, value(fpHeavy, R1_INPUT, R1_TARGET), 1e-5f);
    }

    @Test
    void monaiSigmoidLabels() {      // R11 (spec/reference-values.md, MONAI test): 0.435050 (rtol 1e-4; exact 0.4350350); batch 0.422979; sum 1.74013
        TverskyLoss l = TverskyLoss.builder().activation(Activation.SIGMOID).smoothNr(1e-4f).smoothDr(1e-4f).build();
        monaiAndExact(0.435050f, 0.4350350, l.forward(Var.constant(R4_INPUT), R4_LABELS).item());
        TverskyLoss batch = TverskyLoss.builder().activation(Activation.SIGMOID).batch(true).build();
        assertEquals(0.422979f, batch.forward(Var.constant(R4_INPUT), R4_LABELS).item(), 1e-5f);
        TverskyLoss sum = TverskyLoss.builder().activation(Activation.SIGMOID).smoothNr(1e-4f).smoothDr(1e-4f)
                .reduction(Reduction.SUM).build();
        assertEquals(1.74013f, sum.forward(Var.constant(R4_INPUT), R4_LABELS).item(), 1e-4f);
    }

    @Test
    void monaiSoftmaxLabels() {      // MONAI test_tversky_loss: 0.383713 (Dice's R4 value, rtol 1e-4; exact 0.3836997); none: [[0.210961, 0.295339], [0.599952, 0.428547]]
        TverskyLoss l = TverskyLoss.builder().smoothNr(1e-4f).smoothDr(1e-4f).build();
        monaiAndExact(0.383713f, 0.3836997, l.forward(Var.constant(R4_INPUT), R4_LABELS).item());
        TverskyLoss none = TverskyLoss.builder().smoothNr(1e-4f).smoothDr(1e-4f).reduction(Reduction.NONE).build();
        Var v = none.forward(Var.constant(R4_INPUT), R4_LABELS);
        assertEquals(Shape.of(2, 2), v.shape());
        assertArrayEquals(new float[] {0.210961f, 0.295339f, 0.599952f, 0.428547f}, v.value().toArray(), 1e-5f);
    }

    @Test
    void monaiSmoothNrZeroCostsAPerfectItem() {   // MONAI test_tversky_loss: smooth_nr 0, smooth_dr 1e-3 -> 0.000999
        Tensor probs = Tensor.of(new float[] {1, 1, 0, 0, 0, 1, /* b1 */ 1, 0, 1, 0, 1, 0}, 2, 2, 1, 3);
        LabelTensor y = LabelTensor.of(new int[] {0, 0, 1, 0, 1, 0}, 2, 1, 3);
        TverskyLoss l = TverskyLoss.builder().activation(Activation.NONE).includeBackground(false)
                .smoothNr(0f).smoothDr(1e-3f).build();
        assertEquals(0.000999f, l.forward(Var.constant(probs), y).item(), 1e-6f);
    }

    @Test
    void monaiSoftLabelIdentityIsZero() {   // MONAI test_tversky_loss soft_label case: 0.0
        Tensor t = Tensor.of(new float[] {0.3f, 0.4f, 0.7f, 0.9f, 1.0f, 0.1f, 0.5f, 0.3f}, 2, 1, 2, 2);
        TverskyLoss soft = TverskyLoss.builder().activation(Activation.NONE).softLabel(true)
                .smoothNr(1e-4f).smoothDr(1e-4f).build();
        assertEquals(0f, value(soft, t, t), 1e-6f);
    }

    @Test
    void exampleEHandComputed() {    // example E (spec/reference-values.md), alpha .3 / beta .7, smoothing 1e-5: float64 hand computation of spec/losses/tversky.md#formula
        TverskyLoss l = TverskyLoss.builder().alpha(0.3f).beta(0.7f).reduction(Reduction.NONE).build();
        float[] expected = {0.276147f, 0.431875f, 0.371170f, 0.372111f, 0.426127f, 0.246849f};
        assertArrayEquals(expected, l.forward(Var.constant(E_LOGITS), E_LABELS).value().toArray(), 2e-6f);
    }

    @Test
    void halfHalfEqualsDiceAndOneOneEqualsJaccard() {   // spec/losses/tversky.md#formula: α = β = 0.5 -> Dice; α = β = 1 -> Jaccard
        for (Activation a : new Activation[] {Activation.SOFTMAX, Activation.SIGMOID}) {
            // TI(½, ½) = (2I + 2s) / (P + G + 2s): MONAI's Dice with the smoothing doubled
            TverskyLoss half = TverskyLoss.builder().activation(a).smoothNr(1e-3f).smoothDr(1e-3f).reduction(Reduction.NONE).build();
            DiceLoss dice = DiceLoss.builder().activation(a).smoothNr(2e-3f).smoothDr(2e-3f).reduction(Reduction.NONE).build();
            assertArrayEquals(dice.forward(Var.constant(E_LOGITS), E_LABELS).value().toArray(),
                    half.forward(Var.constant(E_LOGITS), E_LABELS).value().toArray(), 1e-6f);
            // TI(1, 1) = (I + s) / (P + G - I + s); MONAI's Jaccard = (2I + s') / (2(P + G - I) + s'): equal for s' = 2s
            TverskyLoss one = TverskyLoss.builder().activation(a).alpha(1f).beta(1f).smoothNr(1e-3f).smoothDr(1e-3f)
                    .reduction(Reduction.NONE).build();
            DiceLoss jaccard = DiceLoss.builder().activation(a).jaccard(true).smoothNr(2e-3f).smoothDr(2e-3f)
                    .reduction(Reduction.NONE).build();
            assertArrayEquals(jaccard.forward(Var.constant(E_LOGITS), E_LABELS).value().toArray(),
                    one.forward(Var.constant(E_LOGITS), E_LABELS).value().toArray(), 1e-6f);
        }
    }

    @Test
    void alphaPenalisesFalsePositivesAndBetaFalseNegatives() {   // spec/contract.md edge case 11 (Flux #1993)
        LabelTensor y = LabelTensor.of(new int[] {1, 1, 0, 0}, 1, 2, 2);
        Tensor fpOnly = LabelTensor.of(new int[] {1, 1, 1, 0}, 1, 2, 2).oneHot(2);   // one extra foreground voxel
        Tensor fnOnly = LabelTensor.of(new int[] {1, 0, 0, 0}, 1, 2, 2).oneHot(2);   // one missed foreground voxel
        TverskyLoss fpHeavy = TverskyLoss.builder().activation(Activation.NONE).includeBackground(false).alpha(0.9f).beta(0.1f).build();
        TverskyLoss fnHeavy = TverskyLoss.builder().activation(Activation.NONE).includeBackground(false).alpha(0.1f).beta(0.9f).build();
        // TI = 2 / (2 + 0.9) vs 1 / (1 + 0.1) (hand-computed, smoothing negligible)
        assertEquals(1 - 2 / 2.9f, value(fpHeavy, fpOnly, y), 1e-5f);
        assertEquals(1 - 1 / 1.1f, value(fpHeavy, fnOnly, y), 1e-5f);
        assertTrue(value(fpHeavy, fpOnly, y) > value(fpHeavy, fnOnly, y), "larger alpha: false positives cost more");
        assertTrue(value(fnHeavy, fnOnly, y) > value(fnHeavy, fpOnly, y), "larger beta: false negatives cost more");
    }

    @Test
    void segLossFormIsMinusTheIndex() {   // SegLoss TverskyLoss returns -mean(TI): 1 - TI shifted by -1, same gradient
        TverskyLoss monai = TverskyLoss.builder().alpha(0.3f).beta(0.7f).smoothNr(1f).smoothDr(1f).build();
        TverskyLoss seg = TverskyLoss.segLossBuilder().build();
        assertEquals(value(monai, E_LOGITS, E_LABELS) - 1f, value(seg, E_LOGITS, E_LABELS), 1e-6f);
        Var a = Var.param(E_LOGITS), b = Var.param(E_LOGITS);
        monai.forward(a, E_LABELS).backward();
        seg.forward(b, E_LABELS).backward();
        assertArrayEquals(a.grad().toArray(), b.grad().toArray(), 1e-7f);
    }

    @Test
    void asymmetricSimilarityWeights() {   // Hashemi 2018 F-beta: weightFP = 1/(1+β²), weightFN = β²/(1+β²)
        TverskyLoss l = TverskyLoss.asymmetricSimilarityBuilder(1.5f).build();
        assertEquals(1f / 3.25f, l.alpha(), 1e-7f);
        assertEquals(2.25f / 3.25f, l.beta(), 1e-7f);
    }

    @Test
    void emptyItemConventions() {    // spec/contract.md edge case 1 for Tversky: empty/empty = s_n/s_d
        Tensor probs = Tensor.of(new float[] {1, 1, 1, 1, 0, 0, 0, 0}, 1, 2, 2, 2);
        LabelTensor y = LabelTensor.zeros(1, 2, 2);
        TverskyLoss l = TverskyLoss.builder().activation(Activation.NONE).reduction(Reduction.NONE).build();
        assertArrayEquals(new float[] {0f, 0f}, l.forward(Var.constant(probs), y).value().toArray(), 1e-6f);
        TverskyLoss noNr = TverskyLoss.builder().activation(Activation.NONE).smoothNr(0f).reduction(Reduction.NONE).build();
        Var p = Var.param(probs);
        Var v = noNr.forward(p, y);
        assertEquals(1f, v.value().at(1), 1e-6f);
        v.slice(1, 1, 2).sum().backward();
        for (float g : p.grad().toArray()) assertEquals(0f, g, 0f);
    }

    @Test
    void badArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TverskyLoss.builder().alpha(-0.1f));
        assertTrue(e.getMessage().startsWith("TverskyLoss") && e.getMessage().contains("alpha")
                && e.getMessage().contains(">= 0") && e.getMessage().contains("-0.1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TverskyLoss.builder().beta(Float.NaN));
        assertTrue(e.getMessage().contains("beta") && e.getMessage().contains("NaN"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TverskyLoss.builder().alpha(0f).beta(0f).build());
        assertTrue(e.getMessage().contains("both be 0") && e.getMessage().contains("alpha=0.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TverskyLoss.builder().smoothDr(0f).build());
        assertTrue(e.getMessage().contains("smoothDr") && e.getMessage().contains("> 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TverskyLoss.builder().form(null));
        assertTrue(e.getMessage().contains("form") && e.getMessage().contains("ONE_MINUS"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TverskyLoss.asymmetricSimilarityBuilder(0f));
        assertTrue(e.getMessage().contains("> 0") && e.getMessage().contains("0.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TverskyLoss.builder().weight(1f, 2f).build()
                .forward(Var.constant(E_LOGITS), E_LABELS));
        assertTrue(e.getMessage().startsWith("TverskyLoss") && e.getMessage().contains("3") && e.getMessage().contains("got 2"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TverskyLoss.create().forward(Var.constant(E_LOGITS), LabelTensor.zeros(2, 2, 3)));
        assertTrue(e.getMessage().contains("[2, 2, 2]") && e.getMessage().contains("[2, 2, 3]"), e.getMessage());
    }
}
