package org.segloss.nn;

import org.segloss.autograd.Var;

/** y = max(x, 0); dx = dy where x > 0, else 0 (the primitive {@code Var.relu}). */
public final class ReLU extends Module {
    @Override
    public Var forward(Var x) {
        return x.relu();
    }
}
