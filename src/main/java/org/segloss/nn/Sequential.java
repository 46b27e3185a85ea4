package org.segloss.nn;

import java.util.List;
import org.segloss.autograd.Var;

/** Applies its children in order; they are named "0", "1", ... as in PyTorch. */
public final class Sequential extends Module {
    private final List<Module> layers;

    public Sequential(Module... layers) {
        if (layers.length == 0) throw new IllegalArgumentException("Sequential: layers must not be empty");
        for (int i = 0; i < layers.length; i++) register(Integer.toString(i), layers[i]);
        this.layers = List.of(layers);
    }

    @Override
    public Var forward(Var x) {
        for (Module m : layers) x = m.forward(x);
        return x;
    }
}
