package org.segloss.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.segloss.tensor.Tensor;

/**
 * A tutorial: how to add an operation with a hand-written backward through the public API, the
 * way the Lovász and Wasserstein losses do. Read it top to bottom.
 */
class CustomFunctionTutorialTest {

    /**
     * Step 1: a single-output op. softplus(x) = log(1 + exp(x)), written stably as
     * max(x, 0) + log1p(exp(-|x|)); its derivative is sigmoid(x), which we compute from the
     * saved input.
     */
    static final class Softplus extends Function {
        @Override
        protected Tensor forward(Ctx ctx, Tensor... in) {
            Tensor x = in[0];
            ctx.saveForBackward(x);                             // keep only what backward needs
            return x.relu().add(x.abs().neg().exp().log1p());
        }

        @Override
        protected Tensor[] backward(Ctx ctx, Tensor g) {
            Tensor x = ctx.saved(0);
            return new Tensor[] {g.mul(x.sigmoid())};           // one gradient per input
        }
    }

    /**
     * Step 2: several outputs, one of them non-differentiable. Sorting a 1-D tensor returns the
     * sorted values and the permutation; the values' gradient flows back through the
     * permutation, the indices get none.
     */
    static final class SortWithIndices extends MultiFunction {
        /** A typed name for non-tensor state kept for backward: no string lookups, no casts. */
        private static final Ctx.Key<int[]> PERMUTATION = new Ctx.Key<>("permutation");

        @Override
        protected Tensor[] forwardAll(Ctx ctx, Tensor... in) {
            float[] v = in[0].toArray();
            Integer[] order = new Integer[v.length];
            for (int i = 0; i < v.length; i++) order[i] = i;
            Arrays.sort(order, (p, q) -> Float.compare(v[p], v[q]));
            float[] sorted = new float[v.length], idx = new float[v.length];
            int[] perm = new int[v.length];
            for (int i = 0; i < v.length; i++) {
                perm[i] = order[i];
                sorted[i] = v[order[i]];
                idx[i] = order[i];
            }
            ctx.save(PERMUTATION, perm);                        // non-tensor state for backward
            ctx.markNonDifferentiable(1);
            return new Tensor[] {Tensor.wrap(sorted, v.length), Tensor.wrap(idx, v.length)};
        }

        @Override
        protected Tensor[] backwardAll(Ctx ctx, Tensor... gradOutputs) {
            int[] perm = ctx.saved(PERMUTATION);
            Tensor g = gradOutputs[0];                          // gradOutputs[1] is null
            float[] gx = new float[perm.length];
            for (int i = 0; i < perm.length; i++) gx[perm[i]] = g.at(i);
            return new Tensor[] {Tensor.wrap(gx, perm.length)};
        }
    }

    @Test
    void step3_checkTheNewOpsWithGradCheck() {
        Tensor x = Tensor.uniform(7, -3f, 3f, 5, 3);
        GradCheck.Report r = GradCheck.check(v -> new Softplus().apply(v[0]), x);
        assertTrue(r.passed(), r.toString());

        // values spread out so that a finite-difference step cannot swap two of them
        Tensor distinct = Tensor.of(new float[] {0.3f, -1.2f, 2.5f, 0.9f, -0.4f}, 5);
        Tensor w = Tensor.of(new float[] {1f, 2f, 3f, 4f, 5f}, 5);
        GradCheck.Report r2 = GradCheck.check(v -> new SortWithIndices().applyAll(v[0])[0].mul(w), distinct);
        assertTrue(r2.passed(), r2.toString());
    }

    @Test
    void step4_useItInAGraph() {
        Var x = Var.param(Tensor.of(new float[] {-50f, 0f, 50f}, 3));
        Var y = new Softplus().apply(x).sum();
        y.backward();
        assertTrue(y.value().isFinite(), "stable for large |x|");
        assertArrayEquals(new float[] {0f, 0.5f, 1f}, x.grad().toArray(), 1e-6f);
    }
}
