package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * The exp-log loss hands its fused cross-entropy term's per-voxel slope array from each backward
 * to the next forward ({@link SpareBuffer}). Whatever the reused array held, a loss used for many
 * steps must give the values and gradients of a new loss per step, bit for bit: on both fused
 * paths (PAPER with no voxel ignored: {@link FusedDiceExpLog}; with ignored voxels: the Dice sums
 * apart and {@link FusedExpLog}), when the volume changes size between steps, and when two graphs
 * are built before either runs backward (each must keep its own slope). Bit for bit throughout,
 * γ = 0.3 included: the vector pow gives the same bits in every JIT tier (spec/numerics.md,
 * "Determinism").
 */
class ExpLogSpareSlopeTest {
    /** [B, C, D, H, W] per step: the size changes in the middle and comes back. */
    static final int[][] STEPS = {{2, 3, 5, 4, 7}, {2, 3, 5, 4, 7}, {1, 3, 9, 2, 3}, {2, 3, 5, 4, 7}};

    static Tensor logits(int[] shape, long seed) {
        return Tensor.randn(seed, shape).mul(3f);
    }

    /** Labels in [0, C), and with ignore >= 0 about a fifth of the voxels set to ignore. */
    static LabelTensor labels(int[] shape, long seed, int ignore) {
        SplittableRandom r = new SplittableRandom(seed);
        int b = shape[0], c = shape[1], s = shape[2] * shape[3] * shape[4];
        int[] y = new int[b * s];
        for (int i = 0; i < y.length; i++) y[i] = ignore >= 0 && r.nextInt(5) == 0 ? ignore : r.nextInt(c);
        return LabelTensor.of(y, b, shape[2], shape[3], shape[4]);
    }

    record Step(float value, float[] grad) {}

    static Step run(ExpLogLoss loss, Tensor x, LabelTensor y) {
        Var leaf = Var.param(x);
        Var l = loss.forward(leaf, y);
        l.backward();
        return new Step(l.item(), leaf.grad().toArray());
    }

    static void assertSameStep(Step want, Step got, String what) {
        assertBits(want.value(), got.value(), what + ": value");
        assertEquals(want.grad().length, got.grad().length, what + ": gradient length");
        for (int i = 0; i < want.grad().length; i++) assertBits(want.grad()[i], got.grad()[i], what + ": gradient at " + i);
    }

    static void assertBits(float want, float got, String what) {
        if (Float.floatToRawIntBits(want) != Float.floatToRawIntBits(got)) throw new AssertionError(what + ": new loss " + want + ", reused loss " + got);
    }

    @Test
    void aReusedLossGivesTheBitsOfANewLossEveryStep() {
        for (int ignore : new int[] {SegmentationLoss.NO_IGNORE, 255}) {
            for (float gamma : new float[] {0.3f, 1f, 2f}) {
                Supplier<ExpLogLoss> make = () -> ExpLogLoss.builder().gamma(gamma).ignoreIndex(ignore).build();
                ExpLogLoss reused = make.get();
                for (int t = 0; t < STEPS.length; t++) {
                    int[] shape = STEPS[t];
                    Tensor x = logits(shape, 17L * t + 3);
                    LabelTensor y = labels(shape, 29L * t + 1, ignore);
                    assertSameStep(run(make.get(), x, y), run(reused, x, y), "ignore " + ignore + ", gamma " + gamma + ", step " + t);
                }
            }
        }
    }

    @Test
    void twoGraphsAliveAtOnceKeepTheirOwnSlopes() {
        for (int ignore : new int[] {SegmentationLoss.NO_IGNORE, 255}) {
            ExpLogLoss reused = ExpLogLoss.builder().gamma(0.3f).ignoreIndex(ignore).build();
            int[] shape = STEPS[0];
            run(reused, logits(shape, 5), labels(shape, 6, ignore));   // leaves a spare behind
            Tensor xa = logits(shape, 7), xb = logits(shape, 8);
            LabelTensor ya = labels(shape, 9, ignore), yb = labels(shape, 10, ignore);
            Var la = Var.param(xa), lb = Var.param(xb);
            Var a = reused.forward(la, ya), b = reused.forward(lb, yb);   // both forwards before either backward
            b.backward();
            a.backward();
            assertSameStep(run(ExpLogLoss.builder().gamma(0.3f).ignoreIndex(ignore).build(), xa, ya),
                    new Step(a.item(), la.grad().toArray()), "ignore " + ignore + ", first graph");
            assertSameStep(run(ExpLogLoss.builder().gamma(0.3f).ignoreIndex(ignore).build(), xb, yb),
                    new Step(b.item(), lb.grad().toArray()), "ignore " + ignore + ", second graph");
        }
    }

    @Test
    void theSpareIsTakenOnceAndOnlyAtItsSize() {
        SpareBuffer spare = new SpareBuffer();
        float[] first = spare.take(10);
        assertEquals(10, first.length);
        spare.give(first);
        assertSame(first, spare.take(10), "the spare of the right size comes back");
        assertNotSame(first, spare.take(10), "taken once: the next take is a new array");
        spare.give(first);
        float[] other = spare.take(11);
        assertEquals(11, other.length, "a spare of another size is not handed out");
        assertNotSame(first, spare.take(10), "and it was dropped, not kept");
    }
}
