package org.segloss.autograd;

import org.segloss.tensor.Tensor;

/**
 * A {@link MultiFunction} with exactly one output, the common case: {@code forward} returns a
 * tensor and {@code backward} receives that output's gradient. See {@link MultiFunction} for the
 * rules and an example.
 */
public abstract class Function extends MultiFunction {

    /** Computes the output from the input values. */
    protected abstract Tensor forward(Ctx ctx, Tensor... inputs);

    /** Gradients with respect to each input (null where not needed), given the output's gradient. */
    protected abstract Tensor[] backward(Ctx ctx, Tensor gradOutput);

    @Override
    protected final Tensor[] forwardAll(Ctx ctx, Tensor... inputs) {
        return new Tensor[] {forward(ctx, inputs)};
    }

    @Override
    protected final Tensor[] backwardAll(Ctx ctx, Tensor... gradOutputs) {
        return backward(ctx, gradOutputs[0]);
    }

    /** Runs the function and returns its single output. */
    public final Var apply(Var... inputs) {
        return applyAll(inputs)[0];
    }
}
