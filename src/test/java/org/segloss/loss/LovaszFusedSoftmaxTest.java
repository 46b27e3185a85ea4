package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.segloss.autograd.Var;
import org.segloss.loss.LovaszSoftmaxLoss.Classes;
import org.segloss.tensor.Backend;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;
import org.segloss.tensor.kernel.KernelProvider;
import org.segloss.tensor.kernel.Parallel;

/**
 * Lovász-Softmax on logits with a label map, no voxel ignored and every channel kept takes its
 * softmax inside the op ({@code SoftmaxTerms.fromLogits}): the softmax and the probabilities'
 * gradient live in arrays the loss reuses from step to step, and the logits' gradient in the array
 * they let go. It must give the bits of the composed graph, the loss with activation NONE on
 * {@code logits.softmax(1)} (the same terms, then the softmax primitive's backward): for classes
 * present, all and listed, per image and pooled, with absent classes, at 1 to 3 threads; from step
 * to step when the reused arrays hold a previous step's values (a class present in one step and
 * absent in the next, a size change); with two graphs built before either runs backward; and
 * without a gradient. After the first step a step allocates less than one softmax.
 */
class LovaszFusedSoftmaxTest {

    static Tensor logits(int[] shape, long seed) {
        return Tensor.randn(seed, shape).mul(2f);
    }

    /** Labels in [0, C), with class absentClass (when in range) left out. */
    static LabelTensor labels(int[] shape, long seed, int absentClass) {
        SplittableRandom r = new SplittableRandom(seed);
        int b = shape[0], c = shape[1], s = 1;
        for (int i = 2; i < shape.length; i++) s *= shape[i];
        int[] y = new int[b * s];
        for (int i = 0; i < y.length; i++) {
            int v = r.nextInt(c);
            y[i] = v == absentClass ? (v + 1) % c : v;
        }
        int[] dims = new int[shape.length - 1];
        dims[0] = b;
        System.arraycopy(shape, 2, dims, 1, shape.length - 2);
        return LabelTensor.of(y, dims);
    }

    record Step(float value, float[] grad) {}

    static Step fused(LovaszSoftmaxLoss loss, Tensor x, LabelTensor y) {
        Var v = Var.param(x.copy());
        Var l = loss.forward(v, y);
        l.backward();
        return new Step(l.item(), v.grad().toArray());
    }

    /** The composed graph: the softmax primitive, then the same loss on probabilities. */
    static Step composed(LovaszSoftmaxLoss.Builder b, Tensor x, LabelTensor y) {
        Var v = Var.param(x.copy());
        Var l = b.activation(Activation.NONE).build().forward(v.softmax(1), y);
        l.backward();
        return new Step(l.item(), v.grad().toArray());
    }

    static void assertSameStep(Step want, Step got, String what) {
        assertEquals(Float.floatToIntBits(want.value), Float.floatToIntBits(got.value), what + ": value " + want.value + " / " + got.value);
        assertEquals(want.grad.length, got.grad.length, what + ": gradient size");
        for (int i = 0; i < want.grad.length; i++) {
            if (Float.floatToIntBits(want.grad[i]) != Float.floatToIntBits(got.grad[i])) {
                throw new AssertionError(what + ": gradient at " + i + ": composed " + want.grad[i] + ", fused " + got.grad[i]);
            }
        }
    }

    @Test
    void theBitsOfTheComposedGraph() {
        int[][] shapes = {{2, 4, 5, 7, 3}, {1, 3, 2049, 1}, {3, 2, 9, 1}};
        int saved = Parallel.threads();
        try {
            for (int[] shape : shapes) {
                for (int absent : new int[] {-1, 1}) {
                    Tensor x = logits(shape, 11L + shape[1]);
                    LabelTensor y = labels(shape, 12L + shape[1], absent);
                    for (Classes classes : new Classes[] {Classes.PRESENT, Classes.ALL, Classes.LIST}) {
                        for (boolean perImage : new boolean[] {false, true}) {
                            for (int threads : new int[] {1, 2, 3}) {
                                Parallel.setThreads(threads);
                                java.util.function.Supplier<LovaszSoftmaxLoss.Builder> b = () -> {
                                    LovaszSoftmaxLoss.Builder builder = LovaszSoftmaxLoss.builder().perImage(perImage);
                                    return switch (classes) {
                                        case PRESENT -> builder;
                                        case ALL -> builder.classes(Classes.ALL);
                                        case LIST -> builder.classes(0, shape[1] - 1);
                                    };
                                };
                                String what = java.util.Arrays.toString(shape) + " absent " + absent + " " + classes + " perImage "
                                        + perImage + " threads " + threads;
                                assertSameStep(composed(b.get(), x, y), fused(b.get().build(), x, y), what);
                            }
                        }
                    }
                }
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    @Test
    void aLossUsedForManyStepsGivesTheBitsOfANewLossPerStep() {
        // the size changes in the middle and comes back; class 2 is present, then absent (its rows
        // of the reused gradient array then hold the last step's values and must be zeroed)
        int[][] shapes = {{2, 4, 6, 5, 3}, {2, 4, 6, 5, 3}, {1, 4, 33, 1}, {2, 4, 6, 5, 3}};
        int[] absent = {-1, 2, -1, 2};
        // SUM: an unselected class's value 0 still gets an upstream gradient of 1, so its rows of
        // the probabilities' gradient must be 0, not the last step's (MEAN weighs them by 0)
        for (Reduction reduction : new Reduction[] {Reduction.MEAN, Reduction.SUM}) {
            java.util.function.Supplier<LovaszSoftmaxLoss.Builder> b = () -> LovaszSoftmaxLoss.builder().reduction(reduction);
            LovaszSoftmaxLoss reused = b.get().build();
            for (int t = 0; t < shapes.length; t++) {
                Tensor x = logits(shapes[t], 31L * t + 1);
                LabelTensor y = labels(shapes[t], 37L * t + 2, absent[t]);
                String what = reduction + " step " + t;
                assertSameStep(fused(b.get().build(), x, y), fused(reused, x, y), what);
                assertSameStep(composed(b.get(), x, y), fused(reused, x, y), what + " against the composed graph");
            }
        }
    }

    @Test
    void twoGraphsAliveAtOnceKeepTheirOwnArrays() {
        int[] shape = {2, 3, 4, 5, 6};
        LovaszSoftmaxLoss reused = LovaszSoftmaxLoss.create();
        fused(reused, logits(shape, 1), labels(shape, 2, -1));   // leaves spares behind
        Tensor xa = logits(shape, 3), xb = logits(shape, 4);
        LabelTensor ya = labels(shape, 5, -1), yb = labels(shape, 6, 1);
        Var va = Var.param(xa.copy()), vb = Var.param(xb.copy());
        Var la = reused.forward(va, ya), lb = reused.forward(vb, yb);   // both forwards before either backward
        lb.backward();
        la.backward();
        assertSameStep(composed(LovaszSoftmaxLoss.builder(), xa, ya), new Step(la.item(), va.grad().toArray()), "first graph");
        assertSameStep(composed(LovaszSoftmaxLoss.builder(), xb, yb), new Step(lb.item(), vb.grad().toArray()), "second graph");
    }

    @Test
    void withoutAGradientTheSameValue() {
        int[] shape = {2, 4, 3, 5, 7};
        Tensor x = logits(shape, 8);
        LabelTensor y = labels(shape, 9, 3);
        LovaszSoftmaxLoss loss = LovaszSoftmaxLoss.create();
        float constant = loss.forward(Var.constant(x), y).item();
        assertEquals(Float.floatToIntBits(fused(loss, x, y).value()), Float.floatToIntBits(constant));
        assertSameStep(composed(LovaszSoftmaxLoss.builder(), x, y), fused(loss, x, y), "after a step without a gradient");
    }

    /**
     * After the first step, forward + backward into the recycled gradient allocate less than one
     * softmax of the logits (before: a softmax and a probabilities' gradient per step, two arrays of
     * the logits' size). Under the scalar kernels on one thread: the Vector API allocates its
     * vectors until the JIT compiles a kernel, and other threads' allocations are not counted.
     */
    @Test
    void aStepAllocatesLessThanOneSoftmax() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        // 262,144 floats a tensor, 1 MiB: well above what a step allocates whatever the size (the
        // sort's bucket plans and counts, about 270 KB)
        int[] shape = {2, 4, 32, 32, 32};
        Tensor x = logits(shape, 21);
        LabelTensor y = labels(shape, 22, -1);
        LovaszSoftmaxLoss loss = LovaszSoftmaxLoss.create();
        int saved = Parallel.threads();
        try (Backend.Scope scalar = Backend.use(KernelProvider.scalar())) {
            Parallel.setThreads(1);
            Var v = Var.param(x);
            loss.forward(v, y).backward();
            Tensor first = v.grad();
            for (int step = 0; step < 3; step++) {
                v.recycleGrad();
                long before = mx.getCurrentThreadAllocatedBytes();
                loss.forward(v, y).backward();
                long allocated = mx.getCurrentThreadAllocatedBytes() - before;
                assertSame(first, v.grad(), "step " + step + ": the gradient lives in the recycled array");
                assertTrue(allocated < 4L * x.size(), "step " + step + ": forward + backward allocated " + allocated
                        + " bytes; one softmax is " + 4L * x.size());
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }
}
