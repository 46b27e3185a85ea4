package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.segloss.autograd.GradCheck;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;

/** Known values, edge cases and checks of {@link LovaszHingeLoss}; each known value says where it came from. */
class LovaszHingeLossTest {
    /** spec/reference-values.md D4: logits [B=2, 1, 2, 2] (the reference's [2, 2, 2] with a channel axis). */
    static final Tensor D4_LOGITS = Tensor.of(new float[] {1.5f, -0.3f, 0.2f, -2.0f, /* b1 */ -1.0f, 0.7f, 2.5f, 0.1f}, 2, 1, 2, 2);
    static final LabelTensor D4_LABELS = LabelTensor.of(new int[] {1, 0, 1, 0, /* b1 */ 0, 1, 1, 1}, 2, 2, 2);

    static float value(Loss l, Tensor x, LabelTensor y) {
        return l.forward(Var.constant(x), y).item();
    }

    @Test
    void d4PerImageAndBatch() {        // D4: 0.458333 / 0.460000 (spec/reference-values.md; re-derived in pure Python)
        assertEquals(0.458333f, value(LovaszHingeLoss.create(), D4_LOGITS, D4_LABELS), 1e-6f);
        assertEquals(0.460000f, value(LovaszHingeLoss.builder().perImage(false).build(), D4_LOGITS, D4_LABELS), 1e-6f);
        Var none = LovaszHingeLoss.builder().reduction(Reduction.NONE).build().forward(Var.constant(D4_LOGITS), D4_LABELS);
        assertEquals(Shape.of(2), none.shape());
        float[] v = none.value().toArray();
        assertEquals(0.458333f, (v[0] + v[1]) / 2, 1e-6f);
        assertEquals(v[0] + v[1], value(LovaszHingeLoss.builder().reduction(Reduction.SUM).build(), D4_LOGITS, D4_LABELS), 1e-6f);
    }

    @Test
    void d4ByHand() {
        // image 0: errors 1 - x σ = [-0.5, 0.7, 0.8, -1.0], labels [1, 0, 1, 0], G = 2
        // sorted: 0.8 (fg), 0.7 (bg), -0.5 (fg), -1.0 (bg): J = [1 - 1/2, 1 - 1/3, 1, 1] -> g = [1/2, 1/6, 1/3, 0]
        // loss = 0.8/2 + 0.7/6 = 0.516667; image 1: [0, 0.3, -1.5, 0.9] with labels [0, 1, 1, 1]: G = 3,
        // sorted 0.9 (fg) 0.3 (fg) 0 (bg) -1.5 (fg): J = [1/3, 2/3, 3/4, 1] -> loss = 0.9/3 + 0.3/3 = 0.4
        Var none = LovaszHingeLoss.builder().reduction(Reduction.NONE).build().forward(Var.constant(D4_LOGITS), D4_LABELS);
        assertArrayEquals(new float[] {0.8f / 2 + 0.7f / 6, 0.4f}, none.value().toArray(), 1e-6f);
    }

    @Test
    void emptyForegroundCostsTheLargestError() {      // spec/contract.md edge case 15: relu(max error)
        Var x = Var.param(Tensor.of(new float[] {-3f, -0.5f, 0.2f, -2f}, 1, 1, 2, 2));
        Var l = LovaszHingeLoss.create().forward(x, LabelTensor.zeros(1, 2, 2));
        assertEquals(1.2f, l.item(), 1e-6f, "errors 1 + x, the largest 1.2");
        l.backward();
        assertArrayEquals(new float[] {0f, 0f, 1f, 0f}, x.grad().toArray(), 0f, "-σ g = +1 at the largest error only");
        assertEquals(0f, value(LovaszHingeLoss.create(), Tensor.full(-1.5f, 1, 1, 2, 2), LabelTensor.zeros(1, 2, 2)), 0f,
                "every error negative: relu gives 0");
    }

    @Test
    void everyVoxelIgnoredGivesZeroWithZeroGradient() {
        LabelTensor y = LabelTensor.of(new int[] {255, 255, 255, 255, /* b1 */ 1, 0, 255, 1}, 2, 2, 2);
        Var x = Var.param(D4_LOGITS);
        Var none = LovaszHingeLoss.builder().ignoreIndex(255).reduction(Reduction.NONE).build().forward(x, y);
        assertEquals(0f, none.value().at(0), 0f);
        none.sum().backward();
        for (int i = 0; i < 4; i++) assertEquals(0f, x.grad().at(i), 0f);
        assertEquals(0f, x.grad().at(6), 0f);
        Var all = Var.param(D4_LOGITS);
        Var l = LovaszHingeLoss.builder().ignoreIndex(255).perImage(false).build()
                .forward(all, LabelTensor.of(new int[] {255, 255, 255, 255, 255, 255, 255, 255}, 2, 2, 2));
        assertEquals(0f, l.item(), 0f);
        assertTrue(l.requiresGrad());
        l.backward();
        for (float g : all.grad().toArray()) assertEquals(0f, g, 0f);
    }

    @Test
    void aSingleValidVoxelWorks() {
        // one foreground voxel: G = 1, g = [1], loss = relu(1 - x)
        assertEquals(0.7f, value(LovaszHingeLoss.create(), Tensor.of(new float[] {0.3f}, 1, 1, 1, 1), LabelTensor.of(new int[] {1}, 1, 1, 1)),
                1e-6f);
        LabelTensor y = LabelTensor.of(new int[] {7, 7, 0, 7}, 1, 2, 2);
        assertEquals(0.8f, value(LovaszHingeLoss.builder().ignoreIndex(7).build(), Tensor.of(new float[] {5f, 5f, -0.2f, 5f}, 1, 1, 2, 2), y),
                1e-6f, "background voxel: relu(1 + x)");
    }

    @Test
    void perImageEqualsTheMeanOfSingleImageCalls() {
        LovaszHingeLoss l = LovaszHingeLoss.create();
        float first = value(l, D4_LOGITS.slice(0, 0, 1), LabelTensor.of(Arrays.copyOfRange(D4_LABELS.toArray(), 0, 4), 1, 2, 2));
        float second = value(l, D4_LOGITS.slice(0, 1, 2), LabelTensor.of(Arrays.copyOfRange(D4_LABELS.toArray(), 4, 8), 1, 2, 2));
        assertEquals((first + second) / 2, value(l, D4_LOGITS, D4_LABELS), 1e-6f);
    }

    @Test
    void tensorTargetThreeDAndChannelLessInput() {
        LovaszHingeLoss l = LovaszHingeLoss.create();
        float v = value(l, D4_LOGITS, D4_LABELS);
        assertEquals(v, l.forward(Var.constant(D4_LOGITS), D4_LABELS.toFloat().reshape(2, 1, 2, 2)).item(), 0f, "tensor target");
        assertEquals(v, value(l, D4_LOGITS.reshape(2, 1, 1, 2, 2), D4_LABELS.reshape(2, 1, 2, 2)), 0f, "3-D with depth 1");
        assertEquals(v, value(l, D4_LOGITS, D4_LABELS.reshape(2, 1, 2, 2)), 0f, "labels with a channel axis");
        // the reference's channel-less [B, H, W] logits: reshape, and the gradient comes back in that shape
        Var flat = Var.param(D4_LOGITS.reshape(2, 2, 2));
        Var loss = l.forward(flat.reshape(2, 1, 2, 2), D4_LABELS);
        loss.backward();
        assertEquals(Shape.of(2, 2, 2), flat.grad().shape());
        assertEquals(v, loss.item(), 0f);
    }

    @Test
    void gradientAgreesWithFiniteDifferences() {
        // errors 1 - x σ at least 0.05 apart and 0.2 away from the relu kink at 0: no step (<= 2.6e-3) crosses either
        Tensor x = Tensor.of(new float[] {1.5f, -0.3f, 0.35f, -2.0f, 0.8f, 2.6f, /* b1 */ -1.2f, 0.7f, 2.5f, 0.15f, -0.55f, 1.9f},
                2, 1, 2, 3);
        LabelTensor y = LabelTensor.of(new int[] {1, 0, 1, 0, 0, 1, /* b1 */ 0, 1, 1, 1, 0, 0}, 2, 2, 3);
        for (boolean perImage : new boolean[] {true, false}) {
            LovaszHingeLoss l = LovaszHingeLoss.builder().perImage(perImage).build();
            GradCheck.Report r = GradCheck.check(v -> l.forward(v[0], y), x);
            assertTrue(r.passed(), "perImage " + perImage + ": " + r);
        }
        Var p = Var.param(x);
        LovaszHingeLoss.builder().perImage(false).build().forward(p, y).backward();
        // errors <= 0 (relu inactive) get exactly zero gradient: voxel 0 (e = -0.5) and voxel 8 (e = -1.5)
        assertEquals(0f, p.grad().at(0), 0f);
        assertEquals(0f, p.grad().at(8), 0f);
    }

    static void throwsWith(Executable ex, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, ex);
        assertTrue(e.getMessage().startsWith("LovaszHingeLoss"), e.getMessage());
        for (String s : parts) assertTrue(e.getMessage().contains(s), "'" + s + "' in: " + e.getMessage());
    }

    @Test
    void badArguments() {                              // spec/contract.md bad inputs 14 and 1 (shapes)
        LovaszHingeLoss l = LovaszHingeLoss.create();
        throwsWith(() -> value(l, D4_LOGITS, LabelTensor.of(new int[] {1, -1, 1, -1, -1, 1, 1, 1}, 2, 2, 2)),
                "labels must be 0 or 1", "got -1", "map -1 to 0");
        throwsWith(() -> value(l, D4_LOGITS, LabelTensor.of(new int[] {1, 2, 0, 0, 0, 0, 0, 0}, 2, 2, 2)), "0 or 1", "got 2",
                "flat index 1");
        throwsWith(() -> value(LovaszHingeLoss.builder().ignoreIndex(255).build(), D4_LOGITS,
                LabelTensor.of(new int[] {1, 2, 0, 0, 0, 0, 0, 0}, 2, 2, 2)), "or ignoreIndex 255", "got 2");
        throwsWith(() -> l.forward(Var.constant(D4_LOGITS), D4_LABELS.toFloat().mul(0.5f).reshape(2, 1, 2, 2)), "0 or 1", "got 0.5");
        throwsWith(() -> value(l, Tensor.zeros(2, 2, 2, 2), D4_LABELS), "one logit channel", "[2, 2, 2, 2]", "LovaszSoftmaxLoss");
        throwsWith(() -> value(l, D4_LOGITS.reshape(2, 2, 2), D4_LABELS), "[B, 1, H, W]", "reshape");
        throwsWith(() -> value(l, D4_LOGITS, LabelTensor.zeros(2, 2, 3)), "[2, 2, 2]", "[2, 2, 3]");
        throwsWith(() -> l.forward(Var.constant(D4_LOGITS), Tensor.zeros(2, 2, 2)), "input's shape", "[2, 1, 2, 2]");
        throwsWith(() -> LovaszHingeLoss.builder().activation(Activation.SIGMOID), "raw logits", "got SIGMOID");
        throwsWith(() -> LovaszHingeLoss.builder().ignoreIndex(1).build(), "ignoreIndex", "got 1");
        throwsWith(() -> LovaszHingeLoss.builder().includeBackground(false).build(), "includeBackground");
        throwsWith(() -> LovaszHingeLoss.builder().weight(2f).build(), "weight");
        Tensor nan = D4_LOGITS.copy();
        nan.set(Float.NaN, 0, 0, 0, 0);
        throwsWith(() -> value(l, nan, D4_LABELS), "NaN");
    }
}
