package org.segloss.nn;

import org.segloss.autograd.Var;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;

/**
 * A named trainable tensor: a {@link Var} leaf that requires a gradient. Optimizers update its
 * {@link #value()} in place, so the same {@code Var} serves every training step; backward
 * accumulates into {@link #grad()} until {@link #zeroGrad()}.
 */
public final class Parameter {
    private final String name;
    private final Var var;

    public Parameter(String name, Tensor value) {
        if (name == null || name.isEmpty()) throw new IllegalArgumentException("Parameter: name must be non-empty, got '" + name + "'");
        this.name = name;
        this.var = Var.param(value);
    }

    /** The name given by the owning layer ("weight", "bias"...). */
    public String name() { return name; }

    /** The leaf to use in a forward pass. */
    public Var var() { return var; }

    public Tensor value() { return var.value(); }

    public Shape shape() { return var.shape(); }

    /** The accumulated gradient, or null before a backward reached this parameter. */
    public Tensor grad() { return var.grad(); }

    public void zeroGrad() { var.zeroGrad(); }

    @Override
    public String toString() { return "Parameter " + name + " " + shape(); }
}
