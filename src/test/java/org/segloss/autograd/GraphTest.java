package org.segloss.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.segloss.tensor.Tensor;

/** The graph mechanics: accumulation, reuse, diamonds, no-grad, detach, long chains, freeing. */
class GraphTest {

    private static Var x(float... v) { return Var.param(Tensor.of(v, v.length)); }

    @Test
    void reusedNodeReceivesTheSumOfItsGradients() {
        Var a = x(3f, -2f);
        a.mul(a).sum().backward();                       // d(a^2)/da = 2a: both uses add up
        assertArrayEquals(new float[] {6f, -4f}, a.grad().toArray());
    }

    @Test
    void diamondAccumulatesAlongBothPaths() {
        Var a = x(2f);
        Var b = a.mul(3f);                               // b = 3a
        Var left = b.exp(), right = b.mul(b);            // two paths from b
        left.add(right).sum().backward();                // d/da = 3 e^{3a} + 2 * 3a * 3
        assertEquals(3 * Math.exp(6) + 36, a.grad().item(), 1e-3 * Math.exp(6));
    }

    @Test
    void leafGradientsAccumulateAcrossBackwardCallsUntilZeroGrad() {
        Var a = x(1f, 2f);
        a.mul(2f).sum().backward();
        a.mul(3f).sum().backward();
        assertArrayEquals(new float[] {5f, 5f}, a.grad().toArray());
        a.zeroGrad();
        assertNull(a.grad());
    }

    @Test
    void noGradRecordsNothing() {
        Var a = x(1f, 2f);
        Var y;
        try (NoGrad ignored = NoGrad.enter()) {
            y = a.mul(a).sum();
            assertFalse(NoGrad.gradEnabled());
        }
        assertTrue(NoGrad.gradEnabled());
        assertFalse(y.requiresGrad());
        assertTrue(y.isLeaf());
        assertThrows(IllegalStateException.class, y::backward);
        assertTrue(a.mul(a).sum().requiresGrad(), "recording resumes after the scope");
    }

    @Test
    void constantsRecordNothing() {
        Var c = Var.constant(Tensor.of(new float[] {1f, 2f}, 2));
        Var y = c.exp().sum();
        assertFalse(y.requiresGrad());
        assertTrue(y.isLeaf());
    }

    @Test
    void detachCutsTheGraph() {
        Var a = x(2f);
        Var y = a.mul(a).detach().mul(a).sum();          // only the last factor is differentiated
        y.backward();
        assertEquals(4f, a.grad().item(), 0f);
    }

    @Test
    void hundredThousandNodeChainDoesNotOverflowTheStack() {
        Var a = x(0f);
        Var y = a;
        for (int i = 0; i < 100_000; i++) y = y.add(1f);
        y.sum().backward();
        assertEquals(100_000f, y.item(), 0f);
        assertEquals(1f, a.grad().item(), 0f);
    }

    @Test
    void savedTensorsAreFreedAfterBackwardAndASecondBackwardFailsClearly() {
        Var a = x(1f, 2f);
        Var y = a.exp().sum();
        y.backward();
        IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(e.getMessage().contains("freed"), e.getMessage());
        // every node behind y has dropped its context
        for (Node n : Graph.topologicalOrder(y.node)) assertNull(n.ctx);
    }

    @Test
    void unusedOutputsOfAMultiOutputFunctionGetZeroGradients() {
        // sort returns (values, indices); only the values are used
        Var a = x(3f, 1f, 2f);
        Var[] out = new CustomFunctionTutorialTest.SortWithIndices().applyAll(a);
        assertFalse(out[1].requiresGrad(), "indices are marked non-differentiable");
        out[0].mul(Var.constant(Tensor.of(new float[] {1f, 10f, 100f}, 3))).sum().backward();
        assertArrayEquals(new float[] {100f, 1f, 10f}, a.grad().toArray());
    }

    @Test
    void backwardRequiresAScalarOrASeedOfTheRightShape() {
        Var a = x(1f, 2f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.mul(a).backward());
        assertTrue(e.getMessage().contains("[2]"), e.getMessage());
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                () -> a.mul(a).backward(Tensor.ones(3)));
        assertTrue(e2.getMessage().contains("[2]") && e2.getMessage().contains("[3]"), e2.getMessage());
    }

    @Test
    void aBackwardReturningTheWrongShapeIsReported() {
        Function bad = new Function() {
            protected Tensor forward(Ctx ctx, Tensor... in) { return in[0].copy(); }
            protected Tensor[] backward(Ctx ctx, Tensor g) { return new Tensor[] {Tensor.zeros(7)}; }
        };
        Var a = x(1f, 2f);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> bad.apply(a).sum().backward());
        assertTrue(e.getMessage().contains("[2]") && e.getMessage().contains("[7]"), e.getMessage());
    }

    @Test
    void onlyInputsThatNeedAGradientAreAskedFor() {
        boolean[] asked = new boolean[2];
        Function probe = new Function() {
            protected Tensor forward(Ctx ctx, Tensor... in) { return in[0].mul(in[1]); }
            protected Tensor[] backward(Ctx ctx, Tensor g) {
                asked[0] = ctx.needsInputGrad(0);
                asked[1] = ctx.needsInputGrad(1);
                return new Tensor[] {asked[0] ? g : null, asked[1] ? g : null};
            }
        };
        probe.apply(x(1f), Var.constant(Tensor.ones(1))).sum().backward();
        assertArrayEquals(new boolean[] {true, false}, asked);
    }

    @Test
    void savedValuesAreTypedByTheirKeyAndAMissingKeyIsNamed() {
        Ctx.Key<int[]> order = new Ctx.Key<>("order");
        Ctx.Key<int[]> other = new Ctx.Key<>("other");   // same value type, another key: never saved
        int[][] seen = new int[1][];
        Function keeps = new Function() {
            protected Tensor forward(Ctx ctx, Tensor... in) {
                ctx.save(order, new int[] {2, 0, 1});
                return in[0].copy();
            }
            protected Tensor[] backward(Ctx ctx, Tensor g) {
                seen[0] = ctx.saved(order);                  // an int[] without a cast
                ctx.saved(other);
                return new Tensor[] {g};
            }
        };
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> keeps.apply(x(1f, 2f)).sum().backward());
        assertArrayEquals(new int[] {2, 0, 1}, seen[0]);
        assertTrue(e.getMessage().contains("'other'"), e.getMessage());
    }

    /** y = 2 x; backward returns a new tensor, declared handed over when {@code handOver}. */
    static final class Doubling extends Function {
        final boolean handOver;
        Tensor returned;

        Doubling(boolean handOver) { this.handOver = handOver; }

        @Override
        protected Tensor forward(Ctx ctx, Tensor... in) { return in[0].mul(2f); }

        @Override
        protected Tensor[] backward(Ctx ctx, Tensor g) {
            returned = g.mul(2f);
            if (handOver) ctx.handOverGradient(0);
            return new Tensor[] {returned};
        }
    }

    @Test
    void aHandedOverGradientIsKeptByTheLeafWithoutACopy() {
        Var a = x(1f, -2f);
        Doubling f = new Doubling(true);
        f.apply(a).sum().backward();
        assertTrue(a.grad() == f.returned, "the leaf keeps the handed-over tensor itself");
        assertArrayEquals(new float[] {2f, 2f}, a.grad().toArray());
        Doubling again = new Doubling(true);
        again.apply(a).sum().backward();               // the second gradient is added, the first tensor owned
        assertArrayEquals(new float[] {4f, 4f}, a.grad().toArray());
        assertArrayEquals(new float[] {2f, 2f}, again.returned.toArray(), "a later hand-over is added, not kept or changed");
    }

    @Test
    void aGradientNotHandedOverIsCopied() {
        Var a = x(1f, -2f);
        Doubling f = new Doubling(false);
        f.apply(a).sum().backward();
        assertFalse(a.grad() == f.returned, "without the hand-over the leaf keeps a copy");
        f.returned.filli(7f);
        assertArrayEquals(new float[] {2f, 2f}, a.grad().toArray());
    }

    /** y = 3 x; backward writes the gradient whole into ctx.gradientOutput(0) and hands it over. */
    static final class TriplingIntoOutput extends Function {
        Tensor given;

        @Override
        protected Tensor forward(Ctx ctx, Tensor... in) { return in[0].mul(3f); }

        @Override
        protected Tensor[] backward(Ctx ctx, Tensor g) {
            given = ctx.gradientOutput(0);
            given.assigni(g.mul(3f));
            ctx.handOverGradient(0);
            return new Tensor[] {given};
        }
    }

    @Test
    void aRecycledGradientArrayReceivesTheNextGradient() {
        Var a = x(1f, -2f, 5f);
        new TriplingIntoOutput().apply(a).sum().backward();
        Tensor first = a.grad();
        assertArrayEquals(new float[] {3f, 3f, 3f}, first.toArray());
        a.recycleGrad();
        assertNull(a.grad(), "recycleGrad forgets the gradient like zeroGrad");
        TriplingIntoOutput f = new TriplingIntoOutput();
        f.apply(a).mul(Tensor.of(new float[] {1f, 2f, 3f}, 3)).sum().backward();
        assertTrue(f.given == first, "gradientOutput hands out the recycled tensor");
        assertTrue(a.grad() == first, "the leaf's new gradient lives in the old array");
        assertArrayEquals(new float[] {3f, 6f, 9f}, a.grad().toArray(), "overwritten, not added to the old values");

        // a gradient that is not handed over is copied into the recycled array
        a.recycleGrad();
        a.mul(a).sum().backward();                       // 2a
        assertTrue(a.grad() == first, "the copy goes into the recycled array");
        assertArrayEquals(new float[] {2f, -4f, 10f}, a.grad().toArray());

        // the array is taken once: a second op on the same leaf gets a new one, and the two add up
        a.recycleGrad();
        TriplingIntoOutput g1 = new TriplingIntoOutput(), g2 = new TriplingIntoOutput();
        g1.apply(a).add(g2.apply(a)).sum().backward();
        assertTrue((g1.given == first) != (g2.given == first), "exactly one of the two ops got the recycled array");
        assertArrayEquals(new float[] {6f, 6f, 6f}, a.grad().toArray());

        // the array added into the other was kept too: the next such step allocates none
        Tensor second = g1.given == first ? g2.given : g1.given;
        a.recycleGrad();
        TriplingIntoOutput h1 = new TriplingIntoOutput(), h2 = new TriplingIntoOutput();
        h1.apply(a).add(h2.apply(a)).sum().backward();
        assertTrue(java.util.Set.of(first, second).equals(java.util.Set.of(h1.given, h2.given)), "both arrays reused");
        assertArrayEquals(new float[] {6f, 6f, 6f}, a.grad().toArray());
    }

    /** A scalar Σ x·w whose backward returns the same precomputed w every time (allocates nothing). */
    static final class FixedWeights extends Function {
        final Tensor w;
        FixedWeights(Tensor w) { this.w = w; }
        protected Tensor forward(Ctx ctx, Tensor... in) { return Tensor.scalar((float) in[0].mul(w).sumDouble()); }
        protected Tensor[] backward(Ctx ctx, Tensor g) { return new Tensor[] {w}; }
    }

    /**
     * Softmax and log-softmax write a leaf's gradient into the array the leaf recycled and hand it
     * over: the same bits as a fresh gradient, in the old array, and no new gradient-sized array
     * per step (measured as the bytes the backward allocates; before, each step allocated one
     * and copied it into the recycled array), e.g. Lovász-Softmax's logits. Under the scalar
     * kernels: the Vector API allocates its vectors until the JIT compiles a kernel, which would
     * swamp the count.
     */
    @Test
    void softmaxBackwardWritesIntoTheLeafsRecycledArray() {
        try (var scalar = org.segloss.tensor.Backend.use(org.segloss.tensor.kernel.KernelProvider.scalar())) {
            recycledSoftmaxBackwardAllocatesNoGradient();
        }
    }

    private static void recycledSoftmaxBackwardAllocatesNoGradient() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        int[] shape = {2, 4, 4099};                       // 32,792 floats: 128 KiB
        Tensor x = Tensor.randn(3, shape), w = Tensor.randn(4, shape);
        for (boolean log : new boolean[] {false, true}) {
            java.util.function.Function<Var, Var> op = v -> new FixedWeights(w).apply(log ? v.logSoftmax(1) : v.softmax(1));
            Var fresh = Var.param(x);
            op.apply(fresh).backward();
            Var a = Var.param(x);
            op.apply(a).backward();
            Tensor first = a.grad();
            for (int step = 0; step < 3; step++) {
                a.recycleGrad();
                Var y = op.apply(a);
                long before = mx.getCurrentThreadAllocatedBytes();
                y.backward();
                long allocated = mx.getCurrentThreadAllocatedBytes() - before;
                String what = (log ? "logSoftmax" : "softmax") + " step " + step;
                assertTrue(a.grad() == first, what + ": the gradient lives in the recycled array");
                assertArrayEquals(fresh.grad().toArray(), a.grad().toArray(), what + ": the bits of a fresh gradient");
                assertTrue(allocated < 4L * x.size() / 2, what + ": backward allocated " + allocated + " bytes, a gradient is "
                        + 4L * x.size());
            }
        }
    }

    @Test
    void anAxisKernelsOutputMustFitAndShareNoOperand() {
        Tensor y = Tensor.randn(5, 2, 3, 4), g = Tensor.randn(6, 2, 3, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GradientOps.softmaxBackward(y, g, 1, Tensor.zeros(2, 3, 5)));
        assertEquals("softmaxBackward: out must have the operands' shape [2, 3, 4], got [2, 3, 5]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GradientOps.logSoftmaxBackward(y, g, 1, g));
        assertEquals("logSoftmaxBackward: out must not share its array with an operand [2, 3, 4]", e.getMessage());
        Tensor out = Tensor.full(Float.NaN, 2, 3, 4);
        assertTrue(GradientOps.softmaxBackward(y, g, 1, out) == out, "the result is out");
        assertArrayEquals(GradientOps.softmaxBackward(y, g, 1).toArray(), out.toArray(), "every element written, as a new tensor");
    }

    @Test
    void zeroGradDropsTheRecycledArrayAndNoGradNeverTakesIt() {
        Var a = x(1f, 2f);
        new TriplingIntoOutput().apply(a).sum().backward();
        Tensor first = a.grad();
        a.recycleGrad();
        a.zeroGrad();
        TriplingIntoOutput f = new TriplingIntoOutput();
        f.apply(a).sum().backward();
        assertFalse(f.given == first, "after zeroGrad the old array is not reused");
        assertArrayEquals(new float[] {3f, 3f}, first.toArray(), "and not written");

        Tensor second = a.grad();
        a.recycleGrad();
        Ctx[] seen = new Ctx[1];
        Function peek = new Function() {
            protected Tensor forward(Ctx ctx, Tensor... in) {
                seen[0] = ctx;
                return in[0].copy();
            }
            protected Tensor[] backward(Ctx ctx, Tensor g) { return new Tensor[] {g}; }
        };
        try (NoGrad ignored = NoGrad.enter()) {
            peek.apply(a);
        }
        assertFalse(seen[0].gradientOutput(0) == second, "an op run without grad gets a new array");
        a.mul(2f).sum().backward();
        assertTrue(a.grad() == second, "the leaf still had its recycled array");
    }

    /** y = x; records whether its gradOutput was the graph's own, and passes it on (declared handed over or not). */
    static final class OwnershipProbe extends Function {
        final boolean handOver;
        Boolean owned;

        OwnershipProbe(boolean handOver) { this.handOver = handOver; }

        @Override
        protected Tensor forward(Ctx ctx, Tensor... in) { return in[0].copy(); }

        @Override
        protected Tensor[] backward(Ctx ctx, Tensor g) {
            owned = ctx.ownsGradOutput(0);
            if (handOver) ctx.handOverGradient(0);
            return new Tensor[] {handOver ? g.copy() : g};
        }
    }

    @Test
    void aBackwardOwnsAGradientThatWasHandedOverOrSummed() {
        Var a = x(1f, 2f);
        OwnershipProbe seedReader = new OwnershipProbe(false), afterTripling = new OwnershipProbe(false);
        OwnershipProbe afterPassThrough = new OwnershipProbe(false), afterSum = new OwnershipProbe(true);
        // the seed is the caller's
        seedReader.apply(a).backward(Tensor.of(new float[] {1f, 1f}, 2));
        assertFalse(seedReader.owned, "the seed of backward() is not the graph's");
        // a gradient handed over by the op after it is
        new TriplingIntoOutput().apply(afterTripling.apply(a)).sum().backward();
        assertTrue(afterTripling.owned, "a handed-over gradient is the graph's");
        // a gradient passed through (returned as is, not handed over) is not
        new OwnershipProbe(false).apply(afterPassThrough.apply(a)).sum().backward();
        assertFalse(afterPassThrough.owned, "a passed-through gradient stays the caller's");
        // two uses: the graph's sum is its own
        Var b = afterSum.apply(a);
        b.add(b).sum().backward();
        assertTrue(afterSum.owned, "a summed gradient is the graph's");
    }

    @Test
    void leakyReluOverAnOwnedGradientGivesTheBitsOfANewOne() {
        Tensor x = Tensor.randn(4, 3, 1000);
        Tensor w = Tensor.randn(5, 3, 1000);
        // owned: the gradient reaching the leaky ReLU was handed over by TriplingIntoOutput
        Var a = Var.param(x);
        new TriplingIntoOutput().apply(org.segloss.nn.LeakyReLU.leakyRelu(a, 0.1f)).mul(w).sum().backward();
        // not owned: the same gradient, 3 w, given as the seed of backward()
        Var b = Var.param(x);
        org.segloss.nn.LeakyReLU.leakyRelu(b, 0.1f).backward(w.mul(3f));
        assertArrayEquals(b.grad().toArray(), a.grad().toArray());
    }
}
