package org.segloss.autograd;

import org.segloss.tensor.Tensor;

/**
 * A differentiable operation with any number of inputs and outputs, shaped like PyTorch's
 * {@code torch.autograd.Function}. Subclass it, implement {@link #forwardAll} and
 * {@link #backwardAll} on plain tensors, and call {@link #applyAll}. For the common case of one
 * output, subclass {@link Function} instead: its {@code forward} returns one tensor and its
 * {@code backward} receives that output's gradient, and {@link Function#apply} returns one
 * {@link Var}:
 *
 * <pre>{@code
 * final class Cube extends Function {                          // one output
 *     protected Tensor forward(Ctx ctx, Tensor... in) {
 *         ctx.saveForBackward(in[0]);
 *         return in[0].pow(3f);
 *     }
 *     protected Tensor[] backward(Ctx ctx, Tensor g) {         // d(x^3)/dx = 3 x^2
 *         return new Tensor[] {g.mul(ctx.saved(0).square()).mul(3f)};
 *     }
 * }
 * final class SumAndDifference extends MultiFunction {         // two outputs: a + b, a - b
 *     protected Tensor[] forwardAll(Ctx ctx, Tensor... in) {
 *         return new Tensor[] {in[0].add(in[1]), in[0].sub(in[1])};
 *     }
 *     protected Tensor[] backwardAll(Ctx ctx, Tensor... g) {   // g[0], g[1]: the outputs' gradients
 *         return new Tensor[] {g[0].add(g[1]), g[0].sub(g[1])};
 *     }
 * }
 * Var x = Var.param(Tensor.randn(1, 3, 4));
 * Var y = new Cube().apply(x);
 * Var[] sumAndDifference = new SumAndDifference().applyAll(x, y);
 * }</pre>
 *
 * The tutorial test {@code src/test/java/org/segloss/autograd/CustomFunctionTutorialTest.java}
 * walks through both kinds, and {@link GradCheck} checks a hand-written backward.
 *
 * <p>Rules: forward must not modify its inputs; backward returns one gradient per input, with
 * the input's shape, or null where {@link Ctx#needsInputGrad} is false; backward is first-order
 * only (it runs on tensors, so it is not itself recorded). Non-tensor arguments (axes, labels,
 * distance maps) are constructor fields: they can never receive a gradient. Graph recording
 * happens only when some input requires a gradient and grad mode is on ({@link NoGrad}). An
 * instance may be applied more than once; each application gets its own {@link Ctx}.
 */
public abstract class MultiFunction {

    /** Computes the outputs from the input values. */
    protected abstract Tensor[] forwardAll(Ctx ctx, Tensor... inputs);

    /**
     * Gradients of the loss with respect to each input, given the gradients with respect to
     * each output (a zero tensor for an output that received none; null for an output marked
     * non-differentiable).
     */
    protected abstract Tensor[] backwardAll(Ctx ctx, Tensor... gradOutputs);

    /** A name for error messages and graph dumps; the class's simple name by default. */
    public String name() {
        return getClass().getSimpleName();
    }

    /** Runs forward, and records a graph node when a gradient is needed. */
    public final Var[] applyAll(Var... inputs) {
        boolean[] needs = new boolean[inputs.length];
        boolean any = false;
        boolean enabled = NoGrad.gradEnabled();
        Tensor[] values = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i] == null) throw new IllegalArgumentException(name() + ": input " + i + " is null");
            values[i] = inputs[i].value();
            needs[i] = enabled && inputs[i].requiresGrad();
            any |= needs[i];
        }
        Ctx ctx = new Ctx(needs, any, inputs.clone());
        Tensor[] outs = forwardAll(ctx, values);
        Var[] result = new Var[outs.length];
        Node node = any ? new Node(this, ctx, inputs.clone(), outs.length, shapes(outs)) : null;
        for (int o = 0; o < outs.length; o++) {
            boolean differentiable = any && !ctx.isNonDifferentiable(o);
            result[o] = differentiable ? new Var(outs[o], node, o) : Var.constant(outs[o]);
        }
        return result;
    }

    private static org.segloss.tensor.Shape[] shapes(Tensor[] ts) {
        org.segloss.tensor.Shape[] s = new org.segloss.tensor.Shape[ts.length];
        for (int i = 0; i < ts.length; i++) s[i] = ts[i].shape();
        return s;
    }
}
