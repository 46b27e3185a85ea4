package org.segloss.nn;

import java.util.List;
import org.segloss.autograd.NoGrad;
import org.segloss.tensor.Tensor;

/**
 * Updates parameters in place from their accumulated gradients. Parameters whose gradient is
 * null (no backward reached them) are skipped, as in PyTorch. State (momentum buffers, moments)
 * is kept per parameter in the order given.
 */
public abstract class Optimizer {
    protected final List<Parameter> params;
    protected float lr;

    protected Optimizer(String name, List<Parameter> params, float lr) {
        if (params == null || params.isEmpty()) throw new IllegalArgumentException(name + ": params must not be empty");
        if (!(lr >= 0)) throw new IllegalArgumentException(name + ": lr must be >= 0, got " + lr);
        this.params = List.copyOf(params);
        this.lr = lr;
    }

    public float lr() { return lr; }

    /** Sets the learning rate (for a schedule); returns this. */
    public Optimizer lr(float lr) {
        if (!(lr >= 0)) throw new IllegalArgumentException(getClass().getSimpleName() + ": lr must be >= 0, got " + lr);
        this.lr = lr;
        return this;
    }

    /** One update of every parameter that has a gradient, without recording a graph. */
    public final void step() {
        try (NoGrad ignored = NoGrad.enter()) {
            beginStep();
            for (int i = 0; i < params.size(); i++) {
                Parameter p = params.get(i);
                if (p.grad() != null) update(i, p);
            }
        }
    }

    /** Forgets every parameter's gradient. */
    public final void zeroGrad() {
        for (Parameter p : params) p.zeroGrad();
    }

    /** Called once per step before the updates. */
    protected void beginStep() {}

    /** Updates parameter i in place. */
    protected abstract void update(int i, Parameter p);

    /** p += delta, elementwise (delta: a fresh [size] array). */
    protected static void addInPlace(Parameter p, float[] delta) {
        p.value().addi(Tensor.wrap(delta, p.shape().dims()));
    }
}
