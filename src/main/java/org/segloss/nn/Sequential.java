package org.segloss.nn;

import java.util.List;
import org.segloss.autograd.Var;

/**
 * Applies its children in order; they are named "0", "1", ... as in PyTorch. An
 * {@link InstanceNorm3d} directly followed by a {@link LeakyReLU} runs as one fused op (the norm's
 * output goes through the activation in the same pass, and the backward takes the activation's
 * gradient in the norm's passes): the bits of the two modules applied one after the other, with
 * the same modules and parameter names, one full-size array and two passes fewer per pair.
 */
public final class Sequential extends Module {
    private final List<Module> layers;

    public Sequential(Module... layers) {
        if (layers.length == 0) throw new IllegalArgumentException("Sequential: layers must not be empty");
        for (int i = 0; i < layers.length; i++) register(Integer.toString(i), layers[i]);
        this.layers = List.of(layers);
    }

    @Override
    public Var forward(Var x) {
        for (int i = 0; i < layers.size(); i++) {
            if (layers.get(i) instanceof InstanceNorm3d norm && i + 1 < layers.size() && layers.get(i + 1) instanceof LeakyReLU act) {
                x = norm.forwardLeakyRelu(x, act.slope());
                i++;
            } else {
                x = layers.get(i).forward(x);
            }
        }
        return x;
    }
}
